import FoundationEssentials

/// Bad or missing input, with where it is and what was expected. The command line maps the kind to
/// a sysexits code (README, "Exit codes").
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Wrong command-line usage (64).
        case usage
        /// The data is malformed: profile, report, configuration (65).
        case invalidData
        /// The input does not exist (66).
        case missing
        /// Reading or writing failed (74).
        case io
    }

    public let kind: Kind
    /// The file concerned, when there is one.
    public let file: String?
    /// 1-based line (and column) in `file`, when known.
    public let line: Int?
    public let column: Int?
    /// The message in French (the default language).
    public let message: String
    /// The message in English (`--lang en`).
    public let englishMessage: String

    /// An error in both languages: the command shows the one of its `--lang` (`description(in:)`). A text that
    /// has no language (a raw OS or library message) goes in both slots. There is no single-text initialiser, so
    /// that an error cannot be written in one language only (`InputErrorSourceTests` checks every construction).
    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil, fr: String, en: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = fr
        self.englishMessage = en
    }

    /// An error whose text is `text`, in both languages.
    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil, text: LocalizedText) {
        self.init(kind, file: file, line: line, column: column, fr: text.fr, en: text.en)
    }

    /// `file:line:column: message` in French, the form editors and compilers use.
    public var description: String { description(in: .fr) }

    /// The whole description (`description(in:)`, file and line included) in both languages.
    public var fullText: LocalizedText { LocalizedText(fr: description(in: .fr), en: description(in: .en)) }

    /// `file:line:column: message` in `language`.
    public func description(in language: Language) -> String {
        var location = file ?? ""
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let text = language == .en ? englishMessage : message
        return location.isEmpty ? text : "\(location): \(text)"
    }

    /// sysexits code for this kind.
    public var exitCode: Int32 {
        switch kind {
        case .usage: return 64
        case .invalidData: return 65
        case .missing: return 66
        case .io: return 74
        }
    }
}

/// What an input file is, for a person, without article: `profil` / `profile`, `configuration de l'agent` /
/// `agent configuration`. Messages put it where no agreement is needed (`profil introuvable`).
public typealias InputNoun = LocalizedText

