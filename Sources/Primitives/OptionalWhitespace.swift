extension BidirectionalCollection where Element == UInt8, SubSequence == Self {
    /// Without HTTP's optional whitespace (SP, HTAB: RFC 9110 §5.6.3) at either end, on the bytes.
    @inlinable
    package func trimmingOptionalWhitespace() -> Self {
        var bytes = self
        while let byte = bytes.first, byte == 0x20 || byte == 0x09 { bytes = bytes.dropFirst() }
        while let byte = bytes.last, byte == 0x20 || byte == 0x09 { bytes = bytes.dropLast() }
        return bytes
    }
}
