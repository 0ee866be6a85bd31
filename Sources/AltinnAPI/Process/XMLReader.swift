/// One element of a document read by `XMLReader`: its name as written and as resolved against the namespace
/// declarations in scope, its attributes and its content.
package struct XMLElement: Sendable, Equatable {
    /// The qualified name as written, e.g. `bpmn:task`.
    package var name: String
    package var localName: String
    /// The namespace URI the prefix (or the default namespace) is bound to; nil when none is.
    package var namespace: String?
    package var attributes: [XMLAttribute]
    package var children: [XMLNode]

    /// The value of an attribute written without a prefix (BPMN's `id`, `name`, `sourceRef`, …).
    package func attribute(_ localName: String) -> String? {
        self.attributes.first { $0.namespace == nil && $0.localName == localName }?.value
    }

    /// The child elements with this namespace and local name, in document order.
    package func elements(_ namespace: String?, _ localName: String) -> [XMLElement] {
        self.childElements.filter { $0.namespace == namespace && $0.localName == localName }
    }

    package func element(_ namespace: String?, _ localName: String) -> XMLElement? {
        self.childElements.first { $0.namespace == namespace && $0.localName == localName }
    }

    package var childElements: [XMLElement] {
        self.children.compactMap {
            if case .element(let element) = $0 { return element }
            return nil
        }
    }

    /// The text and CDATA directly inside this element, joined (child elements' text is not included).
    package var text: String {
        self.children.reduce(into: "") { text, node in
            if case .text(let part) = node { text += part }
        }
    }
}

package struct XMLAttribute: Sendable, Equatable {
    package var name: String
    package var localName: String
    /// Unprefixed attributes are in no namespace (XML Namespaces §6.2).
    package var namespace: String?
    package var value: String
}

package enum XMLNode: Sendable, Equatable {
    case element(XMLElement)
    /// Character data, with references decoded; CDATA sections are text too.
    case text(String)
}

/// Why a document was refused. The messages are the gateway's own words; no document text is quoted.
package enum XMLReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(limit: Int)
    /// A `<!DOCTYPE …>` or `<!ENTITY …>` declaration: refused outright, so no external or recursive entity
    /// (billion laughs, XXE) can ever be expanded.
    case declarationRefused
    /// An entity reference other than the five predefined ones (none can be declared).
    case undeclaredEntity
    case tooDeep(limit: Int)
    /// Not well-formed, at this byte offset.
    case malformed(String, offset: Int)

    package var description: String {
        switch self {
        case .tooLarge(let limit): return "the document exceeds \(limit) bytes"
        case .declarationRefused: return "the document has a DOCTYPE or ENTITY declaration, which is refused"
        case .undeclaredEntity: return "the document uses an entity other than the five predefined ones"
        case .tooDeep(let limit): return "the document nests elements deeper than \(limit)"
        case .malformed(let what, let offset): return "the document is not well-formed XML (\(what) at byte \(offset))"
        }
    }
}

/// A small non-validating XML reader for the subset process definitions use: elements with namespace prefixes,
/// attributes, text, CDATA, comments, processing instructions, the five predefined entities and numeric character
/// references. It never reads a DTD: any DOCTYPE or ENTITY declaration is refused, so nothing is fetched or expanded.
/// Written here instead of using FoundationXML, which would bring libxml2 into the static binary.
package enum XMLReader {
    package static let defaultMaxBytes = 1024 * 1024
    package static let defaultMaxDepth = 256

    package static func parse(
        _ bytes: [UInt8], maxBytes: Int = Self.defaultMaxBytes, maxDepth: Int = Self.defaultMaxDepth
    ) throws(XMLReaderError) -> XMLElement {
        guard bytes.count <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        return try parser.document()
    }

    package static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"
}

private struct Parser {
    let bytes: [UInt8]
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        // A UTF-8 byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.position = 3 }
    }

    /// An element being read: its start tag is done, its content is not.
    private struct Open {
        var element: XMLElement
        /// The namespace bindings in scope inside it (its own declarations included).
        var bindings: [String: String]
        var text: [UInt8] = []
    }

    mutating func document() throws(XMLReaderError) -> XMLElement {
        // Prolog: the XML declaration, comments, processing instructions, white space.
        try self.skipMisc()
        guard self.peek() == UInt8(ascii: "<") else { throw self.malformed("no root element") }
        var stack: [Open] = []
        var root: XMLElement?
        let initial: [String: String] = ["xml": XMLReader.xmlNamespace]
        while root == nil {
            guard self.position < self.bytes.count else { throw self.malformed("unexpected end of document") }
            if self.peek() == UInt8(ascii: "<") {
                if self.starts(with: "<!--") {
                    try self.skipComment()
                } else if self.starts(with: "<![CDATA[") {
                    guard !stack.isEmpty else { throw self.malformed("CDATA outside the root element") }
                    stack[stack.count - 1].text += try self.cdata()
                } else if self.starts(with: "<!") {
                    throw self.declaration()
                } else if self.starts(with: "<?") {
                    try self.skipProcessingInstruction()
                } else if self.starts(with: "</") {
                    let name = try self.endTag()
                    guard var open = stack.popLast() else { throw self.malformed("end tag without start tag") }
                    guard open.element.name == name else { throw self.malformed("mismatched end tag") }
                    Self.flush(&open)
                    if stack.isEmpty {
                        root = open.element
                    } else {
                        Self.flush(&stack[stack.count - 1])
                        stack[stack.count - 1].element.children.append(.element(open.element))
                    }
                } else {
                    let bindings = stack.last?.bindings ?? initial
                    let (element, elementBindings, selfClosing) = try self.startTag(bindings)
                    if selfClosing {
                        if stack.isEmpty {
                            root = element
                        } else {
                            Self.flush(&stack[stack.count - 1])
                            stack[stack.count - 1].element.children.append(.element(element))
                        }
                    } else {
                        guard stack.count < self.maxDepth else { throw .tooDeep(limit: self.maxDepth) }
                        stack.append(Open(element: element, bindings: elementBindings))
                    }
                }
            } else {
                guard !stack.isEmpty else { throw self.malformed("text outside the root element") }
                stack[stack.count - 1].text += try self.characterData()
            }
        }
        // Epilog: only comments, processing instructions and white space may follow the root.
        try self.skipMisc()
        guard self.position == self.bytes.count else { throw self.malformed("content after the root element") }
        guard let root else { throw self.malformed("no root element") }
        return root
    }

    /// Moves collected character data into the element as one text node.
    private static func flush(_ open: inout Open) {
        guard !open.text.isEmpty else { return }
        open.element.children.append(.text(String(decoding: open.text, as: UTF8.self)))
        open.text.removeAll(keepingCapacity: true)
    }

    // MARK: - Markup

    private mutating func skipMisc() throws(XMLReaderError) {
        while self.position < self.bytes.count {
            if Self.isSpace(self.bytes[self.position]) {
                self.position += 1
            } else if self.starts(with: "<!--") {
                try self.skipComment()
            } else if self.starts(with: "<?") {
                try self.skipProcessingInstruction()
            } else if self.starts(with: "<!") {
                throw self.declaration()
            } else {
                return
            }
        }
    }

    /// `<!DOCTYPE` and `<!ENTITY` are refused as such; any other `<!…` is not XML.
    private func declaration() -> XMLReaderError {
        if self.starts(with: "<!DOCTYPE") || self.starts(with: "<!ENTITY") { return .declarationRefused }
        return self.malformed("unknown markup declaration")
    }

    private mutating func skipComment() throws(XMLReaderError) {
        let start = self.position
        self.position += 4
        guard let end = self.find("-->") else {
            self.position = start
            throw self.malformed("unterminated comment")
        }
        self.position = end + 3
    }

    private mutating func skipProcessingInstruction() throws(XMLReaderError) {
        let start = self.position
        self.position += 2
        guard let end = self.find("?>") else {
            self.position = start
            throw self.malformed("unterminated processing instruction")
        }
        self.position = end + 2
    }

    private mutating func cdata() throws(XMLReaderError) -> [UInt8] {
        let start = self.position
        self.position += 9
        guard let end = self.find("]]>") else {
            self.position = start
            throw self.malformed("unterminated CDATA section")
        }
        let content = Array(self.bytes[self.position..<end])
        self.position = end + 3
        return content
    }

    /// Text up to the next `<`, with references decoded. `]]>` is not allowed in text.
    private mutating func characterData() throws(XMLReaderError) -> [UInt8] {
        var out: [UInt8] = []
        while self.position < self.bytes.count, self.bytes[self.position] != UInt8(ascii: "<") {
            let byte = self.bytes[self.position]
            if byte == UInt8(ascii: "&") {
                out += try self.reference()
            } else {
                if byte == UInt8(ascii: "]"), self.starts(with: "]]>") { throw self.malformed("']]>' in text") }
                out.append(byte)
                self.position += 1
            }
        }
        return out
    }

    /// `<name attr="value" …>` or `…/>`. Declares its namespaces before resolving its own name and attributes.
    private mutating func startTag(
        _ inherited: [String: String]
    ) throws(XMLReaderError) -> (XMLElement, [String: String], Bool) {
        self.position += 1
        let name = try self.name()
        var raw: [(name: String, value: String)] = []
        var bindings = inherited
        var selfClosing = false
        while true {
            let hadSpace = self.skipSpace()
            guard self.position < self.bytes.count else { throw self.malformed("unterminated start tag") }
            let byte = self.bytes[self.position]
            if byte == UInt8(ascii: ">") {
                self.position += 1
                break
            }
            if byte == UInt8(ascii: "/") {
                guard self.starts(with: "/>") else { throw self.malformed("'/' in a start tag") }
                self.position += 2
                selfClosing = true
                break
            }
            guard hadSpace else { throw self.malformed("attributes must be separated by white space") }
            let attributeName = try self.name()
            self.skipSpace()
            guard self.peek() == UInt8(ascii: "=") else { throw self.malformed("attribute without '='") }
            self.position += 1
            self.skipSpace()
            let value = try self.attributeValue()
            guard !raw.contains(where: { $0.name == attributeName }) else {
                throw self.malformed("repeated attribute")
            }
            raw.append((attributeName, value))
            if attributeName == "xmlns" {
                bindings[""] = value
            } else if attributeName.hasPrefix("xmlns:") {
                let prefix = String(attributeName.dropFirst(6))
                guard !prefix.isEmpty, !value.isEmpty else { throw self.malformed("empty namespace declaration") }
                bindings[prefix] = value
            }
        }
        let (prefix, local) = Self.split(name)
        let namespace: String?
        if let prefix {
            guard let bound = bindings[prefix] else { throw self.malformed("unbound namespace prefix") }
            namespace = bound
        } else {
            namespace = bindings[""].flatMap { $0.isEmpty ? nil : $0 }
        }
        var attributes: [XMLAttribute] = []
        for (attributeName, value) in raw where attributeName != "xmlns" && !attributeName.hasPrefix("xmlns:") {
            let (attributePrefix, attributeLocal) = Self.split(attributeName)
            var attributeNamespace: String?
            if let attributePrefix {
                guard let bound = bindings[attributePrefix] else {
                    throw self.malformed("unbound namespace prefix")
                }
                attributeNamespace = bound
            }
            attributes.append(
                XMLAttribute(
                    name: attributeName, localName: attributeLocal, namespace: attributeNamespace, value: value))
        }
        let element = XMLElement(
            name: name, localName: local, namespace: namespace, attributes: attributes, children: [])
        return (element, bindings, selfClosing)
    }

    private mutating func endTag() throws(XMLReaderError) -> String {
        self.position += 2
        let name = try self.name()
        self.skipSpace()
        guard self.peek() == UInt8(ascii: ">") else { throw self.malformed("unterminated end tag") }
        self.position += 1
        return name
    }

    /// A quoted value; references decoded, white space characters normalized to spaces (XML 1.0 §3.3.3).
    private mutating func attributeValue() throws(XMLReaderError) -> String {
        guard let quote = self.peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw self.malformed("attribute value not quoted")
        }
        self.position += 1
        var out: [UInt8] = []
        while true {
            guard self.position < self.bytes.count else { throw self.malformed("unterminated attribute value") }
            let byte = self.bytes[self.position]
            if byte == quote {
                self.position += 1
                break
            }
            switch byte {
            case UInt8(ascii: "<"): throw self.malformed("'<' in an attribute value")
            case UInt8(ascii: "&"): out += try self.reference()
            case 0x09, 0x0A, 0x0D:
                out.append(UInt8(ascii: " "))
                self.position += 1
            default:
                out.append(byte)
                self.position += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` `&#…;` `&#x…;`. Nothing else: no entity can have been declared.
    private mutating func reference() throws(XMLReaderError) -> [UInt8] {
        let start = self.position
        self.position += 1
        var end = self.position
        while end < self.bytes.count, end - self.position <= 16, self.bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < self.bytes.count, self.bytes[end] == UInt8(ascii: ";"), end > self.position else {
            self.position = start
            throw self.malformed("unterminated reference")
        }
        let name = String(decoding: self.bytes[self.position..<end], as: UTF8.self)
        self.position = end + 1
        switch name {
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "amp": return [UInt8(ascii: "&")]
        case "apos": return [UInt8(ascii: "'")]
        case "quot": return [UInt8(ascii: "\"")]
        default: break
        }
        guard name.hasPrefix("#") else { throw .undeclaredEntity }
        let digits = name.dropFirst()
        let value: UInt32?
        if digits.hasPrefix("x") {
            let hex = digits.dropFirst()
            value = hex.allSatisfy(\.isHexDigit) ? UInt32(hex, radix: 16) : nil
        } else {
            value = digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? UInt32(digits, radix: 10) : nil
        }
        guard let value, let scalar = Unicode.Scalar(value), Self.isXMLChar(value) else {
            self.position = start
            throw self.malformed("invalid character reference")
        }
        return Array(String(Character(scalar)).utf8)
    }

    /// An XML name: ASCII letters, digits, `_ - . :` and any non-ASCII byte; not starting with a digit, `-` or `.`.
    private mutating func name() throws(XMLReaderError) -> String {
        let start = self.position
        while self.position < self.bytes.count, Self.isNameByte(self.bytes[self.position]) { self.position += 1 }
        guard self.position > start else { throw self.malformed("expected a name") }
        let first = self.bytes[start]
        guard !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), first != UInt8(ascii: "-"),
            first != UInt8(ascii: ".")
        else { throw self.malformed("invalid name") }
        let name = String(decoding: self.bytes[start..<self.position], as: UTF8.self)
        // At most one colon, not at either end (XML Namespaces QName).
        let colons = name.utf8.filter { $0 == UInt8(ascii: ":") }.count
        guard colons == 0 || (colons == 1 && !name.hasPrefix(":") && !name.hasSuffix(":")) else {
            throw self.malformed("invalid qualified name")
        }
        return name
    }

    private static func split(_ name: String) -> (prefix: String?, local: String) {
        guard let colon = name.firstIndex(of: ":") else { return (nil, name) }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    // MARK: - Bytes

    private func peek() -> UInt8? { self.position < self.bytes.count ? self.bytes[self.position] : nil }

    private func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard self.position + count <= self.bytes.count else { return false }
        return text.withUTF8Buffer { pattern in
            for index in 0..<count where self.bytes[self.position + index] != pattern[index] { return false }
            return true
        }
    }

    /// The offset of the next occurrence of `text` at or after the position.
    private func find(_ text: StaticString) -> Int? {
        text.withUTF8Buffer { pattern -> Int? in
            let count = pattern.count
            guard count > 0, self.bytes.count >= count else { return nil }
            var index = self.position
            while index + count <= self.bytes.count {
                if self.bytes[index] == pattern[0] {
                    var matched = true
                    for offset in 1..<count where self.bytes[index + offset] != pattern[offset] {
                        matched = false
                        break
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = self.position
        while self.position < self.bytes.count, Self.isSpace(self.bytes[self.position]) { self.position += 1 }
        return self.position > start
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    /// XML 1.0 `Char`.
    private static func isXMLChar(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    private func malformed(_ what: String) -> XMLReaderError { .malformed(what, offset: self.position) }
}
