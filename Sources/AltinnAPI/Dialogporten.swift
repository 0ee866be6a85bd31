package import Foundation

/// What the gateway reads from Dialogporten's activity CloudEvents (altinn-signing-more.md §7.2): which app's
/// dialog the event is about, and how a dialog id maps back to an app instance.
package enum Dialogporten {
    /// Storage's `Signed` instance event, as Dialogporten forwards it.
    package static let signatureProvided = "dialogporten.dialog.activity.signature-provided.v1"
    /// Storage's `SentToSign` instance event (each entry into a signing task, re-entry after a reject included).
    package static let sentToSigning = "dialogporten.dialog.activity.sent-to-signing.v1"
    /// Every Dialogporten event type starts with this.
    package static let typePrefix = "dialogporten."

    /// The two activity types that say an instance's signing changed.
    package static func isSigningActivity(_ type: String) -> Bool {
        type == Self.signatureProvided || type == Self.sentToSigning
    }

    private static let appResourcePrefix = "urn:altinn:resource:app_"

    /// The app of an app dialog's service resource `urn:altinn:resource:app_{org}_{app}` (DPA `ToServiceResource`).
    /// Org codes and app names hold no `_` (see `AppReference`), so the first `_` after `app_` ends the org.
    /// Nil for any other resource (a dialog of a non-app service), or an org/app the gateway would refuse.
    package static func app(ofResource resource: String) -> AppReference? {
        guard resource.hasPrefix(Self.appResourcePrefix) else { return nil }
        let rest = resource.dropFirst(Self.appResourcePrefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        return try? AppReference(org: String(rest[..<separator]), app: String(rest[rest.index(after: separator)...]))
    }
}

/// Dialogporten's dialog id of an app instance: the adapter's `instanceGuid.ToVersion7(instance.created)`
/// (DPA `GuidExtensions.ToVersion7`). On the GUID's big-endian bytes (canonical string order):
/// - bytes 0–5 (hex digits 1–12) become `created` in Unix milliseconds (48 bits);
/// - the high nibble of byte 6 (digit 13) becomes 7, the version;
/// - the top two bits of byte 8 (the top of digit 17) become `10`, the RFC 4122 variant;
/// - everything else survives: the low nibble of byte 6, byte 7, the low six bits of byte 8 and bytes 9–15
///   (74 bits of the instance GUID).
package enum DialogId {
    /// The bits of each byte that a dialog id keeps from the instance GUID.
    private static let survivingBits: [UInt8] = [0, 0, 0, 0, 0, 0, 0x0F, 0xFF, 0x3F] + Array(repeating: 0xFF, count: 7)

    /// `ToVersion7`: the dialog id the adapter gives the instance `guid` created at `created`.
    package static func of(instance guid: UUID, created: Date) -> UUID {
        var bytes = Self.bytes(guid)
        let millis = UInt64(bitPattern: Self.unixMilliseconds(created))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return Self.uuid(bytes)
    }

    /// Whether `dialogId` can be the dialog of the instance `guid`: the 74 surviving bits are equal, the version
    /// nibble is 7 and the variant bits are `10`. With `created` (when known), the 48-bit time must equal it too;
    /// without it, two instances whose GUIDs differ only in the replaced bits cannot be told apart.
    package static func matches(_ dialogId: UUID, instance guid: UUID, created: Date? = nil) -> Bool {
        let dialog = Self.bytes(dialogId)
        let instance = Self.bytes(guid)
        guard dialog[6] >> 4 == 7, dialog[8] >> 6 == 0b10 else { return false }
        for index in 0..<16
        where dialog[index] & Self.survivingBits[index] != instance[index] & Self.survivingBits[index] {
            return false
        }
        guard let created else { return true }
        return Self.timestamp(of: dialogId) == UInt64(bitPattern: Self.unixMilliseconds(created)) & 0xFFFF_FFFF_FFFF
    }

    /// The 48-bit Unix-millisecond time in a dialog id's first six bytes.
    package static func timestamp(of dialogId: UUID) -> UInt64 {
        Self.bytes(dialogId)[0..<6].reduce(0) { ($0 << 8) | UInt64($1) }
    }

    /// .NET `DateTimeOffset.ToUnixTimeMilliseconds()`: whole milliseconds of its 100 ns ticks, rounded down. The
    /// ticks are rounded first (from the reference date, where `Date` is most precise), so a time like `.438` that
    /// `Double` holds as `.4379999…` stays 438.
    static func unixMilliseconds(_ date: Date) -> Int64 {
        let ticks = Int64((date.timeIntervalSinceReferenceDate * 10_000_000).rounded()) + 978_307_200 * 10_000_000
        return ticks >= 0 ? ticks / 10_000 : (ticks - 9_999) / 10_000
    }

    private static func bytes(_ uuid: UUID) -> [UInt8] {
        let u = uuid.uuid
        return [
            u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15,
        ]
    }

    private static func uuid(_ b: [UInt8]) -> UUID {
        UUID(
            uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
        )
    }
}
