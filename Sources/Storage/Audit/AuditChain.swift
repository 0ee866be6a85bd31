import Crypto
import Foundation
import Primitives

/// The audit log's hash chain: the canonical form of a record and how its hash is computed.
/// Pure and engine-independent, so both engines and the verifier agree byte for byte.
///
/// ## Canonical form
///
/// `canonical(record)` is one JSON object, encoded as UTF-8, with
/// - exactly these members, in this order (their names sorted lexicographically by UTF-8 bytes):
///   `clientId`, `idempotencyKey`, `instance`, `latencyMicros`, `operation`, `outcome`, `requestDigest`,
///   `requestId`, `responseDigest`, `sequence`, `sourceAddress`, `timeMicros`, `tokenProfile`, `traceparent`,
///   `upstreamMethod`, `upstreamStatus`, `upstreamURL`;
/// - no whitespace anywhere (no space after `:` or `,`, no newline);
/// - absent values written as `null`, never omitted;
/// - `sequence`, `latencyMicros`, `upstreamStatus` and `timeMicros` as base-10 integers (a leading `-` when
///   negative, no leading zeros, no fraction, no exponent). `timeMicros` is the record's time as integer
///   microseconds since 1970-01-01T00:00:00Z; both engines store this integer, so there is no float or
///   time-zone drift;
/// - every other value a JSON string: `"` is written `\"`, `\` is written `\\`, the control characters
///   U+0000…U+001F are written `\u00xx` (four lowercase hex digits, no short forms such as `\n`), every other
///   character as its literal UTF-8 bytes (no `\/`, no `\uXXXX` for non-ASCII).
///
/// Example (one line):
/// `{"clientId":"erp","idempotencyKey":null,…,"sequence":1,…,"timeMicros":1767225600000000,…,"upstreamURL":null}`
///
/// ## Chain
///
/// `hash_n = lowercase-hex(SHA-256(canonical(record_n) ‖ bytes(hash_{n-1})))`, where `bytes(h)` is the 32 raw
/// bytes the 64 hex digits of `h` stand for, and `hash_0` is 32 zero bytes (hex `"0" × 64`). Sequences start
/// at 1 and increase by exactly 1.
package enum AuditChain {
    /// The previous hash of the first record: 32 zero bytes, as 64 hex digits.
    package static let genesisHash = String(repeating: "0", count: 64)

    /// The hash of the record `sequence` holding `entry`, chained to `previousHash` (64 hex digits).
    package static func hash(entry: AuditEntry, sequence: Int64, previousHash: String) throws(StoreError) -> String {
        guard let previous = Hex.decode(previousHash), previous.count == SHA256.byteCount else {
            throw .failed("audit chain: previous hash is not 64 hex digits")
        }
        var hasher = SHA256()
        hasher.update(data: canonical(entry: entry, sequence: sequence))
        hasher.update(data: previous)
        return Hex.encode(hasher.finalize())
    }

    /// The canonical UTF-8 bytes of a record (see the type's documentation).
    package static func canonical(entry: AuditEntry, sequence: Int64) -> [UInt8] {
        let parts = canonicalParts(entry: entry)
        return parts.head + Array(String(sequence).utf8) + parts.tail
    }

    /// The canonical bytes around the value of `sequence`: `head ‖ decimal(sequence) ‖ tail` is
    /// `canonical(entry:sequence:)`. The PostgreSQL engine hashes a record inside the statement that picks its
    /// sequence (`audit_append` in `PostgresMigrations`), so the sequence is not known when the bytes are built.
    package static func canonicalParts(entry: AuditEntry) -> (head: [UInt8], tail: [UInt8]) {
        // Written out in sorted order by hand: a dictionary plus a generic encoder would tie the hash to
        // that encoder's escaping and number rules.
        var members: [(String, JSONScalar)] = [
            ("clientId", .string(entry.clientId)),
            ("idempotencyKey", .string(entry.idempotencyKey)),
            ("instance", .string(entry.instance)),
            ("latencyMicros", .integer(entry.latencyMicros)),
            ("operation", .string(entry.operation)),
            ("outcome", .string(entry.outcome)),
            ("requestDigest", .string(entry.requestDigest)),
            ("requestId", .string(entry.requestId)),
            ("responseDigest", .string(entry.responseDigest)),
            ("sequence", .integer(nil)),
            ("sourceAddress", .string(entry.sourceAddress)),
            ("timeMicros", .integer(StoredTime.micros(entry.time))),
            ("tokenProfile", .string(entry.tokenProfile)),
            ("traceparent", .string(entry.traceparent)),
            ("upstreamMethod", .string(entry.upstreamMethod)),
            ("upstreamStatus", .integer(entry.upstreamStatus.map(Int64.init))),
            ("upstreamURL", .string(entry.upstreamURL)),
        ]
        // Only when present (after `sequence`, in sorted order): records from before it existed hash as they did.
        if let signed = entry.signedData {
            members.insert(("signedData", .string(signed)), at: members.firstIndex { $0.0 == "sourceAddress" } ?? 0)
        }
        var out: [UInt8] = [UInt8(ascii: "{")]
        var head: [UInt8] = []
        for (index, (name, value)) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            // The sequence's value is the split point, written by the caller.
            if name == "sequence" {
                head = out
                out = []
                continue
            }
            switch value {
            case .string(nil), .integer(nil): out.append(contentsOf: Array("null".utf8))
            case .string(let text?): appendJSONString(text, to: &out)
            case .integer(let number?): out.append(contentsOf: Array(String(number).utf8))
            }
        }
        out.append(UInt8(ascii: "}"))
        return (head, out)
    }

    private enum JSONScalar {
        case string(String?)
        case integer(Int64?)
    }

    /// `text` as a JSON string in the canonical form; the PostgreSQL engine writes its audit rows with it too
    /// (`PostgresStore.auditRowsJSON`).
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // The canonical form the chain's hashes cover: only `"`, `\` and control bytes escaped, as `\u00XX`.
        EscapedRuns.append(text, to: &out, escapingDelete: false) { byte, out in
            guard byte < 0x20 else { return out.append(contentsOf: [UInt8(ascii: "\\"), byte]) }
            let (high, low) = Hex.digits(of: byte)
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, high, low])
        }
        out.append(UInt8(ascii: "\""))
    }
}
