import HTTPTypes
import Testing
import Transport

@testable import CurlHTTP

@Suite("Response header parsing")
struct ResponseHeadParserTests {
    private func parse(_ lines: [String]) -> HTTPFields {
        var parser = ResponseHeadParser()
        for line in lines {
            Array(line.utf8).withUnsafeBytes { parser.consume(line: $0) }
        }
        return HTTPFields(headerBlock: parser.block)
    }

    @Test func parsesFieldsAndTrimsWhitespace() {
        let fields = parse([
            "HTTP/1.1 200 OK\r\n", "Content-Type:  text/plain \r\n", "X-A: 1\r\n", "X-A: 2\r\n", "\r\n",
        ])
        #expect(fields[.contentType] == "text/plain")
        #expect(fields[values: HTTPField.Name("x-a")!] == ["1", "2"])
    }

    @Test func interimResponseHeadersAreDiscarded() {
        let fields = parse([
            "HTTP/1.1 100 Continue\r\n", "X-Interim: yes\r\n", "\r\n",
            "HTTP/1.1 201 Created\r\n", "Location: /x\r\n", "\r\n",
        ])
        #expect(fields[HTTPField.Name("x-interim")!] == nil)
        #expect(fields[.location] == "/x")
    }

    @Test func trailersAndMalformedLinesAreIgnored() {
        let fields = parse([
            "HTTP/2 200 \r\n", "no colon here\r\n", " folded: continuation\r\n", "bad name: x\r\n",
            "ok: 1\r\n",
            "\r\n", "X-Trailer: t\r\n",
        ])
        #expect(fields.count == 1)
        #expect(fields[HTTPField.Name("ok")!] == "1")
    }
}
