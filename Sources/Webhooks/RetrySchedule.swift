/// Why a configured retry schedule was refused. The description names the offending entry.
package enum RetryScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `index` is 1-based, as a person counts entries in a config list.
    case invalidDelay(index: Int, entry: String)
    case invalidJitter(Double)

    package var description: String {
        switch self {
        case .invalidDelay(let index, let entry):
            "retry delay #\(index) \"\(Clip.input(entry))\" is not a positive integer followed by ms, s, m or h "
                + "(e.g. \"500ms\", \"5s\", \"5m\", \"2h\")"
        case .invalidJitter(let jitter):
            "retry jitter \(jitter) must be a fraction from 0 up to, not including, 1 (e.g. 0.2 for ±20%)"
        }
    }
}

/// The waits between delivery attempts. Attempt 1 goes out at once; after failed attempt n
/// the wait is `delays[n-1]`, spread by ±`jitter` so retries of many messages do not align.
package struct RetrySchedule: Sendable, Equatable {
    package var delays: [Duration]
    /// A fraction: 0.2 means each delay is drawn uniformly from [0.8·d, 1.2·d].
    package var jitter: Double

    package init(delays: [Duration], jitter: Double) {
        self.delays = delays
        self.jitter = jitter
    }

    /// Standard Webhooks' example schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
    package static let standard = RetrySchedule(
        delays: [
            .seconds(5), .minutes(5), .minutes(30), .hours(2), .hours(5), .hours(10), .hours(14), .hours(20),
            .hours(24),
        ],
        jitter: 0.2
    )

    /// The first attempt plus one per delay.
    package var maxAttempts: Int { delays.count + 1 }

    /// The wait after failed attempt `n` (1-based), or nil when that was the last attempt.
    package func delay(afterFailedAttempt n: Int, using rng: inout some RandomNumberGenerator) -> Duration? {
        guard n >= 1, n <= delays.count else { return nil }
        let base = delays[n - 1]
        // The parser only admits 0 ≤ jitter < 1; a schedule built directly is clamped the same way
        // rather than trapping (NaN, infinity) or producing negative waits.
        let spread = jitter.isFinite ? min(jitter, 0.99) : 0
        guard spread > 0 else { return base }
        return base * Double.random(in: (1 - spread)...(1 + spread), using: &rng)
    }

    package func delay(afterFailedAttempt n: Int) -> Duration? {
        var rng = SystemRandomNumberGenerator()
        return delay(afterFailedAttempt: n, using: &rng)
    }

    /// Parses config entries such as `["5s", "5m", "2h"]`. An empty list means no retries.
    package init(parsing entries: [String], jitter: Double) throws(RetryScheduleError) {
        // Below 0 is meaningless; 1 or more would allow zero or negative waits.
        guard jitter.isFinite, jitter >= 0, jitter < 1 else { throw .invalidJitter(jitter) }
        var delays: [Duration] = []
        for (offset, entry) in entries.enumerated() {
            guard let delay = Self.parseDelay(entry) else { throw .invalidDelay(index: offset + 1, entry: entry) }
            delays.append(delay)
        }
        self.init(delays: delays, jitter: jitter)
    }

    private static let unitMilliseconds: [(suffix: String, milliseconds: Int64)] = [
        // "ms" before "m" and "s": the longest suffix must win.
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
    ]

    private static func parseDelay(_ entry: String) -> Duration? {
        let text = entry.trimmingWhitespace()
        guard let unit = unitMilliseconds.first(where: { text.hasSuffix($0.suffix) }) else { return nil }
        let digits = text.dropLast(unit.suffix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits),
            value > 0
        else { return nil }
        let (milliseconds, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
        return overflow ? nil : .milliseconds(milliseconds)
    }
}

extension Duration {
    fileprivate static func minutes(_ count: Int64) -> Duration { .seconds(count * 60) }
    fileprivate static func hours(_ count: Int64) -> Duration { .seconds(count * 3600) }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex(where: { !$0.isWhitespace }) ?? endIndex
        let end = lastIndex(where: { !$0.isWhitespace }).map(index(after:)) ?? start
        return self[start..<max(start, end)]
    }
}
