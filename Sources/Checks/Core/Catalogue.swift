import Model

/// What a person reads about one rule, in one language.
public struct RuleText: Sendable, Equatable {
    /// Short name of the rule (`Expiration du certificat`).
    public let title: String
    /// Why it matters, one or two sentences.
    public let explanation: String
    /// What to do when it fails.
    public let remediation: String

    public init(title: String, explanation: String, remediation: String) {
        self.title = title
        self.explanation = explanation
        self.remediation = remediation
    }
}

/// A rule as the catalogue knows it: code, default severity, references, and its French and English text.
public struct RuleDescription: Sendable {
    /// Stable code (`cert.expiry`); reports keep only the code.
    public let code: String
    /// Severity of a failing result when the check does not grade it further.
    public let severity: Severity
    /// Reference ids (see `ReferenceCatalogue`).
    public let references: [String]
    public let french: RuleText
    public let english: RuleText

    public init(code: String, severity: Severity, references: [String], french: RuleText, english: RuleText) {
        self.code = code
        self.severity = severity
        self.references = references
        self.french = french
        self.english = english
    }

    public var domain: Domain? { Domain(ruleCode: code) }

    public func text(_ language: Language) -> RuleText { language == .fr ? french : english }
}

/// The FR/EN text of every rule, keyed by rule code. Reports store codes only, so any report
/// renders in either language.
public enum Catalogue {
    /// Every rule of every check family. A family adds its table here.
    public static let rules: [String: RuleDescription] = {
        let families: [[RuleDescription]] = [
            RunnerRules.all, TLSRules.all, CertificateRules.all, PatchRules.all, BackupRules.all, OrganisationRules.all,
            ExposureRules.all,
        ]
        var table: [String: RuleDescription] = [:]
        for rule in families.joined() {
            precondition(table[rule.code] == nil, "rule code \(rule.code) defined twice")
            table[rule.code] = rule
        }
        return table
    }()

    public static func rule(_ code: String) -> RuleDescription? { rules[code] }

    /// What to do about one result: the rule's remediation, or a text fitted to the result where the
    /// rule's family gives one (`patch.os-eol`: by support phase, `EndOfSupportText`).
    public static func remediation(for result: CheckResult, in language: Language) -> String {
        EndOfSupportText.remediation(result, language) ?? text(for: result.code, in: language).remediation
    }

    /// The text of `code` in `language`; a neutral fallback naming the code when it is unknown
    /// (a report written by a newer agent).
    public static func text(for code: String, in language: Language) -> RuleText {
        if let rule = rules[code] { return rule.text(language) }
        return language == .fr
            ? RuleText(title: code, explanation: "Règle inconnue de cette version de cyberctl.", remediation: "")
            : RuleText(title: code, explanation: "Rule unknown to this version of cyberctl.", remediation: "")
    }
}

/// Results the runner itself writes when a check could not finish.
public enum RunnerRules {
    /// Code of the result written when a check overran its deadline or stopped early; suffixed to the check id.
    public static func timeoutCode(checkID: String) -> String { checkID }

    static let all: [RuleDescription] = []
}
