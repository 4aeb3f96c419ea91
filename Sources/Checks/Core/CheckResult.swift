import Foundation

/// One rule applied to one target: the unit of every report, score and view.
public struct CheckResult: Codable, Sendable, Equatable {
    /// Id of the check that produced it (`cert.files`).
    public var check: String
    /// What was looked at (`/etc/ssl/certs/x.pem`, `mail.example.fr:993`).
    public var target: String
    /// Stable rule code (`cert.expiry`); also the key of the text catalogue.
    public var code: String
    public var status: Status
    public var severity: Severity
    /// Structured facts behind the status (dates, sizes, names); keys are camelCase.
    public var evidence: [String: JSONValue]
    /// Reference ids (`NIS2-21.2.h`, `ANSSI-HYG-…`); see `References`.
    public var references: [String]
    /// Why an `error` or `skip` could not decide, or a short technical detail; never a translation of the rule.
    public var reason: String?
    /// Time spent on the target, in milliseconds.
    public var durationMs: Int

    public init(
        check: String, target: String, code: String, status: Status, severity: Severity,
        evidence: [String: JSONValue] = [:], references: [String] = [], reason: String? = nil, durationMs: Int = 0
    ) {
        self.check = check
        self.target = target
        self.code = code
        self.status = status
        self.severity = severity
        self.evidence = evidence
        self.references = references
        self.reason = reason
        self.durationMs = durationMs
    }

    /// The domain of the rule, read from its code's first segment (`cert.` → certificates).
    public var domain: Domain? { Domain(ruleCode: code) }
}

extension Domain {
    /// The domain a rule code belongs to, by its prefix: `tls.`, `cert.`, `patch.`, `backup.`, `org.`.
    public init?(ruleCode: String) {
        let prefix = ruleCode.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        switch prefix {
        case "tls": self = .tls
        case "cert": self = .certificates
        case "patch": self = .patches
        case "backup": self = .backups
        case "org": self = .organisation
        default: return nil
        }
    }
}
