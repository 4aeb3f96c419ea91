/// A probe's account of what went wrong, in French (`fr`) and English (`en`), for the check results built from
/// it. OpenSSL's own error strings, protocol names and bytes the peer sent stay as they are in both.
/// (TLSProbe sits below the text types of Checks and NIS 2; Checks turns it into a `LocalizedText`.)
public struct ProbeText: Sendable, Equatable, CustomStringConvertible {
    public var fr: String
    public var en: String

    public init(fr: String, en: String) {
        self.fr = fr
        self.en = en
    }

    /// A technical text that reads the same in both languages (OpenSSL's reason strings).
    public static func verbatim(_ text: String) -> ProbeText { ProbeText(fr: text, en: text) }

    /// The English text.
    public var description: String { en }

    /// `lhs` followed by `rhs`, language by language.
    public static func + (lhs: ProbeText, rhs: ProbeText) -> ProbeText { ProbeText(fr: lhs.fr + rhs.fr, en: lhs.en + rhs.en) }
}

