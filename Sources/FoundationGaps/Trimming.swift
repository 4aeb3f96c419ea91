/// A set of Unicode scalars to trim from the ends of a text, in place of Foundation's `CharacterSet` for
/// `trimmingCharacters(in:)` (neither is part of FoundationEssentials).
public struct TrimmedScalars: Sendable {
    private let contains: @Sendable (Unicode.Scalar) -> Bool

    /// `CharacterSet.whitespaces`: Unicode general category Zs (space separators), U+0009 TAB and, as
    /// swift-corelibs-foundation has it, U+200B ZERO WIDTH SPACE.
    public static let whitespaces = TrimmedScalars { $0 == "\t" || $0 == "\u{200B}" || $0.properties.generalCategory == .spaceSeparator }

    /// `CharacterSet.whitespacesAndNewlines`: `whitespaces` plus U+000A–U+000D, U+0085, U+2028 and U+2029.
    public static let whitespacesAndNewlines = TrimmedScalars {
        switch $0.value {
        case 0x09...0x0D, 0x85, 0x200B, 0x2028, 0x2029: true
        default: $0.properties.generalCategory == .spaceSeparator
        }
    }

    /// The scalars of `characters` (`CharacterSet(charactersIn:)`).
    public init(charactersIn characters: String) {
        let scalars = Set(characters.unicodeScalars)
        contains = { scalars.contains($0) }
    }

    private init(_ contains: @escaping @Sendable (Unicode.Scalar) -> Bool) { self.contains = contains }

    public func contains(_ scalar: Unicode.Scalar) -> Bool { contains(scalar) }
}

extension StringProtocol {
    /// The text without the scalars of `set` at its start and end, scalar by scalar as Foundation's
    /// `trimmingCharacters(in:)` does (so a trailing "\r\n" goes with `.whitespacesAndNewlines`).
    public func trimming(_ set: TrimmedScalars) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !set.contains($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !set.contains($0) })!
        var trimmed = ""
        trimmed.unicodeScalars.append(contentsOf: scalars[first...last])
        return trimmed
    }
}
