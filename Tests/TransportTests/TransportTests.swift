import Testing

@testable import Transport

struct TraceContextTests {
    @Test func parsesAValidTraceparentAndWritesItBack() throws {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let context = try #require(TraceContext(traceparent: value))
        #expect(context.traceparent == value)
    }

    @Test(
        "refuses malformed, uppercase and all-zero ids",
        arguments: [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ])
    func refuses(_ value: String) {
        #expect(TraceContext(traceparent: value) == nil)
    }

    @Test func aChildKeepsTheTraceAndTakesANewSpan() throws {
        let root = TraceContext.root()
        let child = root.child()
        #expect(child.traceId == root.traceId)
        #expect(child.spanId != root.spanId)
        #expect(TraceContext(traceparent: child.traceparent) == child)
    }
}

struct AccessTokenTests {
    @Test func neverPrintsItsValue() {
        let token = AccessToken("secret-value-123")
        #expect(!"\(token)".contains("secret-value-123"))
        #expect(!String(reflecting: token).contains("secret-value-123"))
        #expect(token.authorizationHeaderValue == "Bearer secret-value-123")
    }

    @Test func matchesOnlyItsOwnValue() {
        let token = AccessToken("abc")
        #expect(token.matches("abc"))
        #expect(!token.matches("abd"))
        #expect(!token.matches("ab"))
    }
}
