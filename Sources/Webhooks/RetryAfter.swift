package import Foundation

/// The `Retry-After` response header (RFC 9110 §10.2.3) and how much of it we honour.
package enum RetryAfter {
    /// Delta-seconds or an HTTP-date, as a wait from `now`. A date in the past is zero;
    /// anything unparseable is nil (the header is then ignored).
    package static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            // RFC 9110: an overflowing delta-seconds means "very long"; the caller's cap applies.
            return .seconds(Int64(text) ?? Int64.max)
        }
        guard let date = HTTPDate.parse(text, now: now) else { return nil }
        let interval = date.timeIntervalSince(now)
        return interval > 0 ? .seconds(interval) : .zero
    }

    /// Svix's policy (svix-webhooks PR #2203): wait at least our own backoff, longer if the
    /// subscriber asks, but never more than `cap` beyond the backoff, so a subscriber cannot
    /// park a message for days.
    package static func nextDelay(backoff: Duration, retryAfter: Duration?, cap: Duration) -> Duration {
        guard let retryAfter, retryAfter > backoff else { return backoff }
        return min(retryAfter, backoff + max(cap, .zero))
    }
}

/// The three HTTP-date forms: IMF-fixdate and the obsolete RFC 850 and asctime forms.
enum HTTPDate {
    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String, now: Date) -> Date? {
        let tokens = text.split(separator: " ").map(String.init)
        switch tokens.count {
        case 6:
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard tokens[0].hasSuffix(","), shortDays.contains(String(tokens[0].dropLast())), tokens[5] == "GMT",
                tokens[1].count == 2, tokens[3].count == 4, let day = Int(tokens[1]),
                let month = monthNumber(tokens[2]), let year = Int(tokens[3])
            else { return nil }
            return date(year: year, month: month, day: day, time: tokens[4])
        case 4:
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard tokens[0].hasSuffix(","), longDays.contains(String(tokens[0].dropLast())), tokens[3] == "GMT",
                parts.count == 3, parts[0].count == 2, parts[2].count == 2, let day = Int(parts[0]),
                let month = monthNumber(parts[1]), let shortYear = Int(parts[2])
            else { return nil }
            return date(year: fullYear(shortYear, now: now), month: month, day: day, time: tokens[2])
        case 5:
            // asctime: Sun Nov  6 08:49:37 1994 (the double space was collapsed by split)
            guard shortDays.contains(tokens[0]), let month = monthNumber(tokens[1]), (1...2).contains(tokens[2].count),
                let day = Int(tokens[2]), tokens[4].count == 4, let year = Int(tokens[4])
            else { return nil }
            return date(year: year, month: month, day: day, time: tokens[3])
        default:
            return nil
        }
    }

    private static func monthNumber(_ name: String) -> Int? {
        months.firstIndex(of: name).map { $0 + 1 }
    }

    /// RFC 9110: a two-digit year more than 50 years ahead is the most recent such year in the past.
    private static func fullYear(_ shortYear: Int, now: Date) -> Int {
        let currentYear = civilYear(secondsSinceEpoch: Int64(now.timeIntervalSince1970))
        var year = currentYear - currentYear % 100 + shortYear
        if year > currentYear + 50 { year -= 100 }
        return year
    }

    private static func date(year: Int, month: Int, day: Int, time: String) -> Date? {
        let fields = time.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ $0.count == 2 }), let hour = Int(fields[0]),
            let minute = Int(fields[1]), let second = Int(fields[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (1...9999).contains(year), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse's year part (Hinnant's civil-from-days), enough for the RFC 850 century rule.
    private static func civilYear(secondsSinceEpoch: Int64) -> Int {
        let z = Int(secondsSinceEpoch.dividedFloor(by: 86_400)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0)
    }
}

extension Int64 {
    fileprivate func dividedFloor(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
