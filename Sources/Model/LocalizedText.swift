import FoundationEssentials

/// A text people read, in French first and English.
public struct LocalizedText: Sendable, Hashable, Codable, CustomStringConvertible {
    public var fr: String
    public var en: String

    public init(fr: String, en: String) {
        self.fr = fr
        self.en = en
    }

    /// The text in `english ? en : fr`.
    public func text(english: Bool) -> String { english ? en : fr }

    /// A text with no language (an identifier, a YAML path, a raw OS message): the same in both.
    public init(both text: String) { self.init(fr: text, en: text) }

    /// The French text (the default language).
    public var description: String { fr }
}
