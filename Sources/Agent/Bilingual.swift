import Checks

/// A text a person reads, in French (the default language) and English (`--lang en`). Error messages are
/// built from these so that a message is never half in one language: a noun (`what` of
/// `InputError.readInput`), a context (`YAMLInput`'s "profile", "agent configuration") or a whole problem.
public struct Bilingual: Sendable, Hashable, CustomStringConvertible {
    public let fr: String
    public let en: String

    public init(fr: String, en: String) {
        self.fr = fr
        self.en = en
    }

    /// A text with no language (a raw OS message, a key name, a value quoted back): the same in both.
    public init(both text: String) {
        self.init(fr: text, en: text)
    }

    /// The text in `language`.
    public func text(in language: Language) -> String { language == .en ? en : fr }

    /// The French text.
    public var description: String { fr }

    /// Both texts transformed alike (`{ "\($0) …" }` cannot mix languages: it sees one at a time).
    public func map(_ transform: (String, Language) -> String) -> Bilingual {
        Bilingual(fr: transform(fr, .fr), en: transform(en, .en))
    }
}
