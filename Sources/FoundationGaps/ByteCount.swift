/// Byte counts as Foundation's `ByteCountFormatter.string(fromByteCount:countStyle: .file)` writes them
/// (swift-corelibs-foundation, English, not part of FoundationEssentials): "Zero KB", "1 byte",
/// "999 bytes", "12 KB", "1.2 MB", "1.23 GB", "1,000 KB".
public enum ByteCount {
    private static let units = ["KB", "MB", "GB", "TB", "PB", "EB"]

    /// Units of 1000 bytes; below 1000 the count in bytes. KB show no decimals, MB one, larger units two,
    /// rounded half to even on the shortest decimal form of the quotient as ICU does (1.25 MB → "1.2 MB"),
    /// trailing zeros dropped, thousands grouped with commas. Negative counts keep their sign.
    public static func file(_ count: Int64) -> String {
        if count == 0 { return "Zero KB" }
        if count == 1 || count == -1 { return "\(count) byte" }
        let bytes = Double(count)
        if abs(bytes) < 1000 { return "\(count) bytes" }
        var exponent = 1
        var divisor = 1000.0
        while exponent < units.count, abs(bytes) >= divisor * 1000 { exponent += 1; divisor *= 1000 }
        var value = bytes / divisor
        let fractionDigits = exponent == 1 ? 0 : exponent == 2 ? 1 : 2
        if value < 0 && fractionDigits == 2 { value = (value * 100).rounded() / 100 }
        return rounded(value, fractionDigits: fractionDigits) + " " + units[exponent - 1]
    }

    /// `value` (at least 1e-4 and below 1e16 in magnitude, so Swift writes it without exponent) rounded half
    /// to even to at most `fractionDigits` decimals, trailing zeros dropped, integer part grouped with commas.
    static func rounded(_ value: Double, fractionDigits: Int) -> String {
        let text = "\(abs(value))"
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(parts[0]).map { Int($0.asciiValue! - 48) }
        let fraction = parts.count > 1 ? Array(parts[1]).map { Int($0.asciiValue! - 48) } : []
        digits += fraction.prefix(fractionDigits)
        digits += Array(repeating: 0, count: max(0, fractionDigits - fraction.count))
        let dropped = Array(fraction.dropFirst(fractionDigits))
        if let first = dropped.first {
            let beyondHalf = first > 5 || (first == 5 && dropped.dropFirst().contains { $0 != 0 })
            let tie = first == 5 && !beyondHalf
            if beyondHalf || (tie && (digits.last ?? 0) % 2 == 1) {
                var index = digits.count - 1
                while index >= 0 {
                    if digits[index] == 9 { digits[index] = 0; index -= 1 } else { digits[index] += 1; break }
                }
                if index < 0 { digits.insert(1, at: 0) }
            }
        }
        let integerDigits = digits.count - fractionDigits
        var integer = ""
        for (offset, digit) in digits.prefix(integerDigits).enumerated() {
            if offset > 0, (integerDigits - offset) % 3 == 0 { integer.append(",") }
            integer += String(digit)
        }
        var decimals = digits.suffix(fractionDigits).map(String.init).joined()
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return (value < 0 ? "-" : "") + integer + (decimals.isEmpty ? "" : "." + decimals)
    }
}
