import Foundation

/// Formats instants the way .NET writes a UTC `DateTime`: seven fractional digits (100 ns ticks)
/// and a `Z`, e.g. `2025-03-03T11:16:02.9390324Z`.
enum WireTime {
    static func format(_ date: Date) -> String {
        let ticks = Int64((date.timeIntervalSince1970 * 10_000_000).rounded(.down))
        let seconds = ticks.quotientFloor(10_000_000)
        let fraction = ticks - seconds * 10_000_000
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds))
            .formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .gmt))
        let digits = String(fraction)
        let padded = String(repeating: "0", count: 7 - digits.count) + digits
        // ISO8601FormatStyle gives "…:02Z"; put the fraction before the zone.
        return String(whole.dropLast()) + "." + padded + "Z"
    }

    static func json(_ date: Date?) -> JSONValue {
        date.map { .string(format($0)) } ?? .null
    }
}

extension Int64 {
    fileprivate func quotientFloor(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
