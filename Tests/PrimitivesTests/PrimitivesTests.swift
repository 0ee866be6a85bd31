import Testing

@testable import Primitives

struct HexTests {
    @Test func encodesLowercaseTwoDigitsPerByte() {
        #expect(Hex.encode([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func decodeInvertsEncode() {
        let bytes: [UInt8] = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }

    @Test("refuses odd length, non-hex digits and uppercase (one spelling)", arguments: ["0", "0g", "AB", "zz", "abc"])
    func decodeRefuses(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func digitsOfAByte() {
        let (high, low) = Hex.digits(of: 0x1F)
        #expect(String(decoding: [high, low], as: UTF8.self) == "1f")
    }
}

struct ConstantTimeTests {
    @Test func equalBytesCompareEqual() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEquals([], []))
    }

    @Test(
        "a difference anywhere, or in length, compares unequal",
        arguments: [
            ([1, 2, 3], [1, 2, 4]), ([1, 2, 3], [0, 2, 3]), ([1, 2, 3], [1, 2]), ([1, 2], [1, 2, 0]), ([], [0]),
        ]
            as [([UInt8], [UInt8])])
    func differencesCompareUnequal(_ a: [UInt8], _ b: [UInt8]) {
        #expect(!constantTimeEquals(a, b))
        #expect(!constantTimeEquals(b, a))
    }
}

struct CivilCalendarTests {
    @Test func dayCountsAndDatesAreInverse() {
        // 1600-01-01 to 2400-12-31, every day, against the previous day's date moved on by one.
        var expected = (year: Int64(1600), month: Int64(1), day: Int64(1))
        for days in CivilCalendar.days(
            year: 1600, month: 1, day: 1)...CivilCalendar.days(year: 2400, month: 12, day: 31)
        {
            let date = CivilCalendar.date(days: days)
            #expect(date == expected)
            #expect(CivilCalendar.days(year: date.year, month: date.month, day: date.day) == days)
            if expected.day < CivilCalendar.daysIn(month: expected.month, year: expected.year) {
                expected.day += 1
            } else if expected.month < 12 {
                expected = (expected.year, expected.month + 1, 1)
            } else {
                expected = (expected.year + 1, 1, 1)
            }
        }
        #expect(CivilCalendar.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.daysIn(month: 2, year: 2000) == 29 && CivilCalendar.daysIn(month: 2, year: 1900) == 28)
    }
}

struct HexDigitTests {
    @Test func digitValuesLowercaseUnlessAsked() {
        #expect(Hex.value(ofDigit: UInt8(ascii: "f")) == 15 && Hex.value(ofDigit: UInt8(ascii: "0")) == 0)
        #expect(
            Hex.value(ofDigit: UInt8(ascii: "F")) == nil && Hex.value(ofDigit: UInt8(ascii: "F"), uppercase: true) == 15
        )
        #expect(Hex.value(ofDigit: UInt8(ascii: "g"), uppercase: true) == nil)
    }
}
