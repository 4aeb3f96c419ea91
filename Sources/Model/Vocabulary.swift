
/// The areas a check belongs to; domain scores are computed per area. `exposition`: the entity's domain
/// names as seen from the Internet (mail authentication, DNS, web; rule codes `mail.`, `dns.`, `web.`).
public enum Domain: String, Codable, Sendable, CaseIterable, Comparable {
    case tls, certificates, patches, backups, organisation, exposition

    public static func < (lhs: Domain, rhs: Domain) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How one target fared against one rule.
public enum Status: String, Codable, Sendable, CaseIterable {
    /// The rule was verified and holds.
    case pass
    /// The rule holds only partly (half credit in the score).
    case warn
    /// The rule was verified and does not hold.
    case fail
    /// The check could not decide (unreadable file, timeout, crash): weighs in the score and earns nothing
    /// (what was not verified is not credited), lowers coverage.
    case error
    /// The rule does not apply or was not run (tool absent, not configured); left out of the score.
    case skip

    /// True for the verified statuses (pass, warn, fail): the ones that earn credit and coverage.
    public var isScored: Bool { self == .pass || self == .warn || self == .fail }
    /// True when the result is something to act on.
    public var isFinding: Bool { self == .warn || self == .fail }

    /// The word tables show: `OK`, `ATTENTION`, `ÉCHEC`, `ERREUR`, `IGNORÉ` (`PASS`, `WARN`… in English).
    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.pass, .fr): "OK"
        case (.warn, .fr): "ATTENTION"
        case (.fail, .fr): "ÉCHEC"
        case (.error, .fr): "ERREUR"
        case (.skip, .fr): "IGNORÉ"
        case (_, .en): rawValue.uppercased()
        }
    }
}

/// How much a rule matters; also its weight in the score.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    /// Weight of a result in its domain score (see README, "Scores and levels").
    public var weight: Double {
        switch self {
        case .info: return 1
        case .low: return 2
        case .medium: return 4
        case .high: return 8
        case .critical: return 16
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The word people read: `info`, `faible`, `moyenne`, `haute`, `critique` (the codes themselves in English).
    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.info, .fr): "info"
        case (.low, .fr): "faible"
        case (.medium, .fr): "moyenne"
        case (.high, .fr): "haute"
        case (.critical, .fr): "critique"
        case (_, .en): rawValue
        }
    }
}

/// Language of what people read. Codes and identifiers are language-neutral.
public enum Language: String, Codable, Sendable, CaseIterable {
    case fr, en
}

// MARK: - LocalizedText text

// `LocalizedText` is NIS 2's bilingual text (`NIS2/Common.swift`, French `fr` and English `en`), shared here
// rather than declared twice: a second type of the same name would make every file that imports both Checks and
// NIS2 ambiguous. Checks adds what reasons need: reading in a `Language`, text that is the same in both languages,
// and composition.
extension LocalizedText {
    /// The text in `language`.
    public func text(in language: Language) -> String { language == .en ? en : fr }

    /// A technical token that reads the same in both languages (a path, an OpenSSL error string, an IANA name, a
    /// unit name, a record as served). Never for words: those are given in both languages.
    public static func verbatim(_ token: String) -> LocalizedText { LocalizedText(fr: token, en: token) }

    /// `lhs` followed by `rhs`, language by language.
    public static func + (lhs: LocalizedText, rhs: LocalizedText) -> LocalizedText {
        LocalizedText(fr: lhs.fr + rhs.fr, en: lhs.en + rhs.en)
    }

    /// The text with `transform` applied to each language (`$0.prefix(3)`), given the same arguments.
    public func map(_ transform: (String) -> String) -> LocalizedText { LocalizedText(fr: transform(fr), en: transform(en)) }

    /// The text with `transform` applied to each language, told which (`{ text, language in … }`): a
    /// message built from a noun never mixes languages, since the closure sees one language at a time.
    public func map(_ transform: (String, Language) -> String) -> LocalizedText {
        LocalizedText(fr: transform(fr, .fr), en: transform(en, .en))
    }
}

extension Sequence<LocalizedText> {
    /// The texts joined with `separator`, language by language: by default `" ; "` in French (a space before the
    /// semicolon, French typography) and `"; "` in English.
    public func joined(separator: LocalizedText = LocalizedText(fr: " ; ", en: "; ")) -> LocalizedText {
        var fr: [String] = []
        var en: [String] = []
        for text in self {
            fr.append(text.fr)
            en.append(text.en)
        }
        return LocalizedText(fr: fr.joined(separator: separator.fr), en: en.joined(separator: separator.en))
    }
}
