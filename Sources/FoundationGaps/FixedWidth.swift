extension BinaryInteger {
    /// The integer in `radix` (10 by default; 16 for hexadecimal, `uppercase` for A–F), left-padded with
    /// zeros to at least `width` characters after any minus sign: what `String(format: "%0Nd")`,
    /// `"%0Nx"` and `"%0NX"` write, without Foundation's `String(format:)` (not in FoundationEssentials).
    /// Wider values are written whole, as printf does.
    public func zeroPadded(_ width: Int, radix: Int = 10, uppercase: Bool = false) -> String {
        let digits = String(self.magnitude, radix: radix, uppercase: uppercase)
        let padding = String(repeating: "0", count: Swift.max(0, width - digits.count - (self < 0 ? 1 : 0)))
        return (self < 0 ? "-" : "") + padding + digits
    }
}
