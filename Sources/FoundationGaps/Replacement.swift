extension StringProtocol {
    /// The text with every occurrence of `target` replaced by `replacement`, left to right and without
    /// overlap, compared byte for byte in UTF-8, in place of Foundation's `replacingOccurrences(of:with:)`
    /// (not part of FoundationEssentials). Unlike the standard library's `replacing(_:with:)`, which
    /// compares whole `Character`s, "\n" is found inside "\r\n", as Foundation finds it; as Foundation, a
    /// match followed by a combining scalar (Grapheme_Extend: "e" in "e\u{301}") is not one. Unlike
    /// Foundation, a precomposed "é" does not match "e\u{301}" (every target in the agent is ASCII). An
    /// empty `target` leaves the text unchanged.
    public func replacingAll(_ target: some StringProtocol, with replacement: some StringProtocol) -> String {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return String(self) }
        let bytes = Array(utf8)
        guard bytes.count >= needle.count else { return String(self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            if bytes[index] == needle[0], index + needle.count <= bytes.count, bytes[index..<index + needle.count].elementsEqual(needle),
               !Self.startsWithCombiningScalar(bytes[(index + needle.count)...]) {
                out.append(contentsOf: replacement.utf8)
                index += needle.count
                changed = true
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : String(self)
    }

    /// Whether UTF-8 `bytes` begin with a scalar that extends the grapheme before it (a combining accent).
    static func startsWithCombiningScalar(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let lead = bytes.first, lead >= 0xC0 else { return false }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return false }
        return scalar.properties.isGraphemeExtend
    }

    /// Whether the text contains `other`, compared byte for byte in UTF-8 (empty `other`: false, as
    /// Foundation's `range(of:)` finds nothing).
    public func containsBytes(_ other: some StringProtocol) -> Bool { byteRange(of: other) != nil }

    /// The range of the first occurrence of `other`, compared byte for byte in UTF-8, in place of
    /// Foundation's `range(of:)`; nil when absent or when `other` is empty.
    public func byteRange(of other: some StringProtocol) -> Range<Index>? {
        let needle = Array(other.utf8)
        guard !needle.isEmpty else { return nil }
        let view = utf8
        var start = view.startIndex
        while start != view.endIndex {
            var i = start, j = 0
            while j < needle.count, i != view.endIndex, view[i] == needle[j] { view.formIndex(after: &i); j += 1 }
            if j == needle.count { return start..<i }
            view.formIndex(after: &start)
        }
        return nil
    }
}
