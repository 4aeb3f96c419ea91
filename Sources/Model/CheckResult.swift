import FoundationEssentials

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
    ///
    /// Stored as `evidenceMembers`, one exactly sized array sorted by key: a dictionary of 10–20 members
    /// takes 16–32 hash buckets, and a scan of thousands of certificates holds every result until the
    /// report is written (docs/benchmarks.md, "Certificate files"). Reading builds the dictionary.
    public var evidence: [String: JSONValue] {
        get { Dictionary(uniqueKeysWithValues: evidenceMembers.lazy.map { ($0.key, $0.value) }) }
        set { evidenceMembers = Self.members(of: newValue) }
    }
    /// The evidence's members in the byte order of their keys' UTF-8 (the report's order).
    public private(set) var evidenceMembers: [EvidenceMember]
    /// Reference ids (`NIS2-21.2.h`, `ANSSI-HYG-…`); see `References`.
    public var references: [String]
    /// Why an `error` or `skip` could not decide, or a short technical detail; never a translation of the rule.
    /// In English: the report's `reason` member, as machines and consumers older than `reasonFr` read it.
    public var reason: String?
    /// The same reason in French: the report's optional `reasonFr` member (issue 18). Nil in reports written
    /// before it existed; readers then show `reason` (see `reason(in:)`).
    public var reasonFr: String?
    /// Time spent on the target, in milliseconds.
    public var durationMs: Int

    public init(
        check: String, target: String, code: String, status: Status, severity: Severity,
        evidence: [String: JSONValue] = [:], references: [String] = [], reason: LocalizedText? = nil, durationMs: Int = 0
    ) {
        self.check = check
        self.target = target
        self.code = code
        self.status = status
        self.severity = severity
        self.evidenceMembers = Self.members(of: evidence)
        self.references = references
        self.reason = reason?.en
        self.reasonFr = reason?.fr
        self.durationMs = durationMs
    }

    /// The reason in `language`: French falls back to English when the report has no `reasonFr` (an agent older
    /// than issue 18); nil when there is no reason.
    public func reason(in language: Language) -> String? {
        language == .fr ? (reasonFr ?? reason) : reason
    }

    /// The reason in both languages (French being the English one when the report had none), or nil.
    public var localizedReason: LocalizedText? {
        get { reason.map { LocalizedText(fr: reasonFr ?? $0, en: $0) } }
        set {
            reason = newValue?.en
            reasonFr = newValue?.fr
        }
    }

    /// The domain of the rule, read from its code's first segment (`cert.` → certificates).
    public var domain: Domain? { Domain(ruleCode: code) }

    /// One member of the evidence.
    public struct EvidenceMember: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    /// `evidence` sorted by the UTF-8 bytes of its keys, in an array of exactly its size.
    static func members(of evidence: [String: JSONValue]) -> [EvidenceMember] {
        var members: [EvidenceMember] = []
        members.reserveCapacity(evidence.count)
        for (key, value) in evidence { members.append(EvidenceMember(key: key, value: value)) }
        members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return members
    }

    private enum CodingKeys: String, CodingKey {
        case check, target, code, status, severity, evidence, references, reason, reasonFr, durationMs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            check: try container.decode(String.self, forKey: .check),
            target: try container.decode(String.self, forKey: .target),
            code: try container.decode(String.self, forKey: .code),
            status: try container.decode(Status.self, forKey: .status),
            severity: try container.decode(Severity.self, forKey: .severity),
            evidence: try container.decode([String: JSONValue].self, forKey: .evidence),
            references: try container.decode([String].self, forKey: .references),
            durationMs: try container.decode(Int.self, forKey: .durationMs))
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        reasonFr = try container.decodeIfPresent(String.self, forKey: .reasonFr)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(check, forKey: .check)
        try container.encode(target, forKey: .target)
        try container.encode(code, forKey: .code)
        try container.encode(status, forKey: .status)
        try container.encode(severity, forKey: .severity)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(references, forKey: .references)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(reasonFr, forKey: .reasonFr)
        try container.encode(durationMs, forKey: .durationMs)
    }
}

extension Domain {
    /// The domain a rule code belongs to, by its prefix: `tls.`, `cert.`, `patch.`, `backup.`, `org.`;
    /// `mail.`, `dns.` and `web.` are the domain names' exposure (`exposition`).
    public init?(ruleCode: String) {
        let prefix = ruleCode.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        switch prefix {
        case "tls": self = .tls
        case "cert": self = .certificates
        case "patch": self = .patches
        case "backup": self = .backups
        case "org": self = .organisation
        case "mail", "dns", "web": self = .exposition
        default: return nil
        }
    }
}
