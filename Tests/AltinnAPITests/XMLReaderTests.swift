import Testing

@testable import AltinnAPI

/// The small XML reader: the subset it reads, and everything it refuses (no DTD is ever read).
@Suite struct XMLReaderTests {
    func parse(_ text: String, maxBytes: Int = XMLReader.defaultMaxBytes, maxDepth: Int = 256) throws(XMLReaderError)
        -> XMLElement
    {
        try XMLReader.parse(Array(text.utf8), maxBytes: maxBytes, maxDepth: maxDepth)
    }

    func refusal(_ text: String, maxBytes: Int = XMLReader.defaultMaxBytes, maxDepth: Int = 256) -> XMLReaderError? {
        do {
            _ = try self.parse(text, maxBytes: maxBytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsNamespacesAttributesTextCDATACommentsAndProcessingInstructions() throws {
        let root = try parse(
            """
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- before -->
            <p:root xmlns:p="urn:p" xmlns="urn:default" xmlns:q='urn:q' id="r1" q:extra="x&amp;y">
              <child a="1 &lt; 2&#10;next" b="tab\there">Hello &quot;world&quot; &apos;&gt; &#x41;&#66; æøå</child>
              <?app do something?>
              <q:leaf><![CDATA[a <b> & c]]></q:leaf>
              <empty/>
              <inner xmlns="urn:other"><deep/></inner>
            </p:root>
            <!-- after -->
            """)
        #expect(root.name == "p:root")
        #expect(root.localName == "root")
        #expect(root.namespace == "urn:p")
        #expect(root.attribute("id") == "r1")
        #expect(root.attribute("extra") == nil)
        #expect(root.attributes.first { $0.localName == "extra" }?.namespace == "urn:q")
        #expect(root.attributes.first { $0.localName == "extra" }?.value == "x&y")
        // xmlns declarations are not attributes.
        #expect(root.attributes.count == 2)
        let child = try #require(root.element("urn:default", "child"))
        // References decoded; a literal white space character becomes a space, a referenced one stays (§3.3.3).
        #expect(child.attribute("a") == "1 < 2\nnext")
        #expect(child.attribute("b") == "tab here")
        #expect(child.text == "Hello \"world\" '> AB æøå")
        #expect(root.element("urn:q", "leaf")?.text == "a <b> & c")
        #expect(root.element("urn:default", "empty") != nil)
        let inner = try #require(root.element("urn:other", "inner"))
        #expect(inner.element("urn:other", "deep") != nil)
        #expect(root.childElements.count == 4)
    }

    @Test func unprefixedElementsWithoutDefaultNamespaceHaveNone() throws {
        let root = try parse("<a><b x='1'/></a>")
        #expect(root.namespace == nil)
        #expect(root.element(nil, "b")?.attribute("x") == "1")
    }

    @Test func refusesDoctypeAndEntityDeclarations() {
        #expect(refusal("<!DOCTYPE a><a/>") == .declarationRefused)
        #expect(refusal(#"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a>&xxe;</a>"#) == .declarationRefused)
        #expect(refusal(#"<?xml version="1.0"?><!ENTITY x "y"><a/>"#) == .declarationRefused)
        // Inside the document too.
        #expect(refusal("<a><!DOCTYPE b></a>") == .declarationRefused)
        #expect(refusal("<a><!ENTITY b 'c'></a>") == .declarationRefused)
    }

    @Test func refusesTheBillionLaughsShape() {
        var text = #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            text += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
        }
        text += "]><lolz>&lol9;</lolz>"
        #expect(refusal(text) == .declarationRefused)
        // Without the declarations, the references are simply undeclared.
        #expect(refusal("<lolz>&lol9;</lolz>") == .undeclaredEntity)
    }

    @Test func refusesUndeclaredEntitiesAndBadCharacterReferences() {
        #expect(refusal("<a>&nbsp;</a>") == .undeclaredEntity)
        #expect(refusal("<a b='&foo;'/>") == .undeclaredEntity)
        for bad in ["<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#x110000;</a>", "<a>&#12a;</a>", "<a>&;</a>", "<a>& b</a>"] {
            guard case .malformed? = refusal(bad) else {
                Issue.record("\(bad) was not refused as malformed")
                continue
            }
        }
    }

    @Test func refusesMalformedDocuments() {
        let cases = [
            "", "   ", "text", "<a>", "<a></b>", "<a><b></a></b>", "</a>", "<a/><b/>", "<a/>trailing",
            "<a b=1/>", "<a b='1' b='2'/>", "<a b='1'c='2'/>", "<a b='<'/>", "<a b='1/>", "<p:a/>",
            "<a><p:b/></a>", "<a p:x='1'/>", "<1a/>", "<a:b:c xmlns:a='u'/>", "<a><!-- open</a>",
            "<a><![CDATA[open</a>", "<a><?pi</a>", "<a>]]></a>", "<a xmlns:p=''/>", "<!something><a/>", "<a/ >",
        ]
        for text in cases {
            guard case .malformed? = refusal(text) else {
                Issue.record("not refused as malformed: \(text)")
                continue
            }
        }
    }

    @Test func capsSizeAndDepth() {
        let big = "<a>" + String(repeating: "x", count: 2000) + "</a>"
        #expect(refusal(big, maxBytes: 1000) == .tooLarge(limit: 1000))
        #expect(refusal(big, maxBytes: 4000) == nil)
        let deep = String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
        #expect(refusal(deep) == .tooDeep(limit: 256))
        #expect(refusal(deep, maxDepth: 400) == nil)
        // A huge document of the default cap (1 MiB) is refused before it is read.
        let huge = "<a>" + String(repeating: "<b/>", count: 300_000) + "</a>"
        #expect(refusal(huge) == .tooLarge(limit: XMLReader.defaultMaxBytes))
    }

    @Test func describesRefusalsInItsOwnWords() {
        #expect(XMLReaderError.declarationRefused.description.contains("DOCTYPE"))
        #expect(XMLReaderError.malformed("x", offset: 3).description.contains("byte 3"))
    }
}
