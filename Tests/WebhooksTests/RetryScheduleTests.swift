import Testing
import Webhooks

@Suite struct RetryScheduleTests {
    @Test func standardIsTheStandardWebhooksExample() {
        let hours = { (h: Int64) in Duration.seconds(h * 3600) }
        #expect(
            RetrySchedule.standard.delays == [
                .seconds(5), .seconds(300), .seconds(1800), hours(2), hours(5), hours(10), hours(14), hours(20),
                hours(24),
            ])
        #expect(RetrySchedule.standard.jitter == 0.2)
        #expect(RetrySchedule.standard.maxAttempts == 10)
    }

    @Test func jitterStaysWithinBoundsAndActuallySpreads() {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        let schedule = RetrySchedule.standard
        for attempt in 1...schedule.delays.count {
            let base = schedule.delays[attempt - 1]
            let samples = (0..<500).compactMap { _ in schedule.delay(afterFailedAttempt: attempt, using: &rng) }
            #expect(samples.count == 500)
            #expect(samples.allSatisfy { $0 >= base * 0.8 && $0 <= base * 1.2 })
            // 500 uniform draws: both ends of the ±20% band are visited.
            #expect(samples.contains { $0 < base * 0.85 })
            #expect(samples.contains { $0 > base * 1.15 })
        }
    }

    @Test func sameSeedGivesTheSameDelays() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        let first = (1...9).map { RetrySchedule.standard.delay(afterFailedAttempt: $0, using: &a) }
        let second = (1...9).map { RetrySchedule.standard.delay(afterFailedAttempt: $0, using: &b) }
        #expect(first == second)
    }

    @Test func noDelayOutsideTheSchedule() {
        var rng = SeededGenerator(seed: 1)
        #expect(RetrySchedule.standard.delay(afterFailedAttempt: 0, using: &rng) == nil)
        #expect(RetrySchedule.standard.delay(afterFailedAttempt: 10, using: &rng) == nil)
        #expect(RetrySchedule.standard.delay(afterFailedAttempt: 9, using: &rng) != nil)
        #expect(RetrySchedule(delays: [], jitter: 0).delay(afterFailedAttempt: 1) == nil)
    }

    @Test func zeroJitterIsExact() {
        let schedule = RetrySchedule(delays: [.seconds(3), .milliseconds(500)], jitter: 0)
        var rng = SeededGenerator(seed: 1)
        #expect(schedule.delay(afterFailedAttempt: 1, using: &rng) == .seconds(3))
        #expect(schedule.delay(afterFailedAttempt: 2, using: &rng) == .milliseconds(500))
        #expect(schedule.maxAttempts == 3)
    }

    @Test func directlyBuiltSchedulesWithWildJitterNeitherTrapNorGoNegative() {
        var rng = SeededGenerator(seed: 3)
        for jitter in [Double.nan, .infinity, 5, -1] {
            let delays = (0..<100).compactMap { _ in
                RetrySchedule(delays: [.seconds(10)], jitter: jitter).delay(afterFailedAttempt: 1, using: &rng)
            }
            #expect(delays.count == 100)
            #expect(delays.allSatisfy { $0 > .zero && $0 < .seconds(20) })
        }
    }

    @Test func parsesEveryUnit() throws {
        let schedule = try RetrySchedule(parsing: ["500ms", "5s", "5m", "2h", " 10s "], jitter: 0.1)
        #expect(schedule.delays == [.milliseconds(500), .seconds(5), .seconds(300), .seconds(7200), .seconds(10)])
        #expect(schedule.jitter == 0.1)
        #expect(try RetrySchedule(parsing: [], jitter: 0).maxAttempts == 1)
    }

    @Test(arguments: [
        "5", "s", "ms", "-5s", "0s", "5 s", "1.5s", "5d", "5S", "", "+5s", "٥s", "5sec", "99999999999999999999h",
        "9223372036854775807h",
    ])
    func refusesMalformedDelays(entry: String) {
        #expect(throws: RetryScheduleError.invalidDelay(index: 2, entry: entry)) {
            try RetrySchedule(parsing: ["5s", entry, "1h"], jitter: 0.2)
        }
    }

    @Test func delayErrorsNameTheEntryAndItsPosition() {
        let error = RetryScheduleError.invalidDelay(index: 3, entry: "5x")
        #expect(error.description.contains("#3 \"5x\""))
        #expect(error.description.contains("\"500ms\""))
        let long = RetryScheduleError.invalidDelay(index: 1, entry: String(repeating: "9", count: 5000))
        #expect(long.description.count < 400)
    }

    @Test(arguments: [-0.1, 1.0, 2.0, Double.nan, Double.infinity])
    func refusesJitterOutsideZeroToOne(jitter: Double) {
        #expect {
            try RetrySchedule(parsing: ["5s"], jitter: jitter)
        } throws: { error in
            guard case RetryScheduleError.invalidJitter = error else { return false }
            return true
        }
    }
}
