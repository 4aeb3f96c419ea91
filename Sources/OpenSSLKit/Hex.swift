/// Hexadecimal text of bytes, without Foundation's `String(format:)` (slow on Linux).
enum Hex {
    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    /// `bytes` as hex digit pairs, optionally joined by `separator`.
    static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes, uppercase: Bool = false, separator: UInt8? = nil) -> String {
        let digits = uppercase ? upper : lower
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if let separator, index > 0 { text.append(separator) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
