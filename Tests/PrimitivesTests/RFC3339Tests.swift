import Foundation
import Testing

@testable import Primitives

/// The integer arithmetic against the C library's calendar (`gmtime_r`), which the events used before.
struct RFC3339Tests {
    private static func reference(_ micros: Int64) -> String {
        // Floor division in integers: through Double, instants past 2^53 µs (about 2255) round up to the next
        // second when their fraction is .999999, and the reference itself was wrong (seen at 2366-06-21T00:00:37).
        let (quotient, remainder) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        var seconds = time_t(remainder < 0 ? quotient - 1 : quotient)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fraction = micros - Int64(seconds) * 1_000_000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction))
    }

    @Test func matchesTheCLibraryAcrossFourHundredYears() {
        var generator = SystemRandomNumberGenerator()
        // 1600-01-01 to 2400-01-01, random instants plus the edges of days, months and leap years.
        let low: Int64 = -11_676_096_000 * 1_000_000
        let high: Int64 = 13_569_465_600 * 1_000_000
        var samples = (0..<20_000).map { _ in Int64.random(in: low..<high, using: &generator) }
        samples += [
            0, -1, 1, 951_782_400_000_000, 951_868_799_999_999, 4_107_542_400_000_000, 1_709_251_199_999_999,
            12_511_324_837_999_999, -11_676_095_999_999_999,
        ]
        for micros in samples {
            #expect(RFC3339.format(unixMicros: micros) == Self.reference(micros), "\(micros)")
        }
    }

    @Test func fewerFractionDigitsCutOff() {
        let micros: Int64 = 1_741_000_562_939_999
        #expect(RFC3339.format(unixMicros: micros, fractionDigits: 3) == "2025-03-03T11:16:02.939Z")
        #expect(RFC3339.format(unixMicros: micros, fractionDigits: 0) == "2025-03-03T11:16:02Z")
    }
}
