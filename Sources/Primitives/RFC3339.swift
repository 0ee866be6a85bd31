/// RFC 3339 timestamps in UTC with a fixed number of fraction digits (`2025-03-03T11:16:02.939012Z`), written with
/// integer arithmetic (`CivilCalendar`).
package enum RFC3339 {
    /// `unixMicros` microseconds since 1970 (negative before), shown with `fractionDigits` (0...6) digits, the
    /// rest cut off (not rounded), so a time never shows later than it was.
    package static func format(unixMicros: Int64, fractionDigits: Int = 6) -> String {
        let digits = min(max(fractionDigits, 0), 6)
        let (seconds, micros) = floorDivide(unixMicros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = CivilCalendar.date(days: days)
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
}
