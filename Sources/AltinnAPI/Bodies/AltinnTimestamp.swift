package import Foundation
package import Primitives

/// An ISO-8601 timestamp as Altinn writes it: .NET `DateTime` with 0-7 fractional digits
/// (e.g. `2025-03-03T11:16:02.9390324Z`), with `Z`, an offset, or (for unspecified kinds) none.
package struct AltinnTimestamp: Sendable, Hashable, Decodable, TapeReadable, CustomStringConvertible {
    /// Seconds since 1970 in UTC, with the fraction kept to 100 ns like .NET ticks.
    package let date: Date

    package init(date: Date) {
        self.date = date
    }

    package init?(_ text: String) {
        guard let date = Self.parse(text) else { return nil }
        self.date = date
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO-8601 timestamp")
        }
        self.date = date
    }

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        guard let date = Self.parse(try value.string()) else { throw .init(reason: "not an ISO-8601 timestamp") }
        self.date = date
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-03-03T11:16:02.939Z`.
    package var description: String {
        self.date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        )
    }

    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + length)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard let hours = number(index + 1, 2), bytes.count > index + 3,
                    bytes[index + 3] == UInt8(ascii: ":"), let minutes = number(index + 4, 2)
                else { return nil }
                offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count, day <= CivilCalendar.daysIn(month: Int64(month), year: Int64(year)), second < 60
        else { return nil }
        let days = CivilCalendar.days(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = Int(days) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Date counts from 2001: add the fraction to that count, as Date's own arithmetic would.
        return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + fraction)
    }
}
