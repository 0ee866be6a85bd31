/// RFC 3339 timestamps in UTC with a fixed number of fraction digits (`2025-03-03T11:16:02.939012Z`), written with
/// integer arithmetic: `String(format:)` over `gmtime_r` cost every event about ten times as much.
package enum RFC3339 {
    /// `unixMicros` microseconds since 1970 (negative before), shown with `fractionDigits` (0...6) digits, the
    /// rest cut off (not rounded), so a time never shows later than it was.
    package static func format(unixMicros: Int64, fractionDigits: Int = 6) -> String {
        let digits = min(max(fractionDigits, 0), 6)
        let (seconds, micros) = floorDivide(unixMicros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(days: days)
        var out: [UInt8] = []
        out.reserveCapacity(28)
        func append(_ value: Int64, width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ 0x30)
                rest %= divisor
                divisor /= 10
            }
        }
        append(year, width: 4)
        out.append(UInt8(ascii: "-"))
        append(month, width: 2)
        out.append(UInt8(ascii: "-"))
        append(day, width: 2)
        out.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2)
        if digits > 0 {
            out.append(UInt8(ascii: "."))
            var scale: Int64 = 1
            for _ in digits..<6 { scale *= 10 }
            append(micros / scale, width: digits)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Year, month, day of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's civil_from_days).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
