import Foundation
import Testing
import Webhooks

@Suite struct RetryAfterTests {
    /// 2015-10-21T07:28:00Z.
    let target = Date(timeIntervalSince1970: 1_445_412_480)
    var now: Date { target.addingTimeInterval(-90) }

    @Test func deltaSeconds() {
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("99999999999999999999999", now: now) == .seconds(Int64.max))
    }

    @Test(arguments: [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Wednesday, 21-Oct-15 07:28:00 GMT",
        "Wed Oct 21 07:28:00 2015",
    ])
    func httpDatesInEveryForm(value: String) {
        #expect(RetryAfter.parse(value, now: now) == .seconds(90))
    }

    @Test func asctimePadsSingleDigitDaysWithASpace() {
        let now = Date(timeIntervalSince1970: 784_111_777 - 5)
        #expect(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: now) == .seconds(5))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(5))
    }

    @Test func rfc850YearsMoreThanFiftyYearsAheadAreLastCentury() {
        // now is 2015: "94" would be 2094, more than 50 years ahead, so it is 1994: in the past.
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .zero)
    }

    @Test func leapDaysAreValidOnlyInLeapYears() {
        let before = Date(timeIntervalSince1970: 1_456_704_000 - 10)  // 2016-02-29T00:00:00Z - 10 s
        #expect(RetryAfter.parse("Mon, 29 Feb 2016 00:00:00 GMT", now: before) == .seconds(10))
        #expect(RetryAfter.parse("Sun, 29 Feb 2015 00:00:00 GMT", now: before) == nil)
    }

    @Test func pastDatesMeanNoWait() {
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: target.addingTimeInterval(3600)) == .zero)
    }

    @Test(arguments: [
        "", "soon", "-5", "1.5", "0x10", "5s",
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:00:00 GMT",
        "Wed, 21 Oct 2015 07:28:00 UTC",
        "Wed, 21 Okt 2015 07:28:00 GMT",
        "Xyz, 21 Oct 2015 07:28:00 GMT",
        "Wed 21 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 15 07:28:00 GMT",
        "Wed, 21 Oct 2015 7:28:00 GMT",
    ])
    func garbageIsIgnored(value: String) {
        #expect(RetryAfter.parse(value, now: now) == nil)
    }

    @Test func nextDelayTakesTheLongerWaitUpToTheCap() {
        let backoff = Duration.seconds(300)
        let cap = Duration.seconds(3600)
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: nil, cap: cap) == backoff)
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: .seconds(10), cap: cap) == backoff)
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: .seconds(900), cap: cap) == .seconds(900))
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: .seconds(86_400), cap: cap) == .seconds(3900))
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: .seconds(Int64.max), cap: cap) == .seconds(3900))
        #expect(RetryAfter.nextDelay(backoff: backoff, retryAfter: .seconds(900), cap: .seconds(-5)) == backoff)
    }
}
