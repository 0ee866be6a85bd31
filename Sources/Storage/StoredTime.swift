package import Foundation

/// Time as the store keeps it: integer microseconds since 1970, in both engines and in the audit chain's canonical
/// form. Rounds to the nearest microsecond, so `micros(date(micros: m)) == m` for every stored value.
package enum StoredTime {
    package static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The `Date` a stored microsecond count stands for.
    package static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}
