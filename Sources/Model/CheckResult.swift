import FoundationEssentials

/// One rule applied to one target: the unit of every report, score and view.
///
/// A value type stored as one reference to an immutable-once-shared box (copy on write), with its evidence packed
/// in bytes (`CompactEvidence`): a scan of 2,000 certificate files holds 10,000 results until the report is
/// written, and moving them between arrays (a check's workers, the runner) then copies 8 bytes per result
/// instead of 112, while the evidence takes about half the memory of an array of members
/// (docs/benchmarks.md, "The agent's executable"). Reading `evidence` builds the dictionary.
public struct CheckResult: Codable, Sendable, Equatable {
    /// Id of the check that produced it (`cert.files`).
    public var check: String {
        get { storage.check }
        set { unique().check = newValue }
    }
    /// What was looked at (`/etc/ssl/certs/x.pem`, `mail.example.fr:993`).
    public var target: String {
        get { storage.target }
        set { unique().target = newValue }
    }
    /// Stable rule code (`cert.expiry`); also the key of the text catalogue.
    public var code: String {
        get { storage.code }
        set { unique().code = newValue }
    }
    public var status: Status {
        get { storage.status }
        set { unique().status = newValue }
    }
    public var severity: Severity {
        get { storage.severity }
        set { unique().severity = newValue }
    }
    /// Structured facts behind the status (dates, sizes, names); keys are camelCase.
    ///
    /// Stored packed (`CompactEvidence`); every read builds a new dictionary.
    public var evidence: [String: JSONValue] {
        get { storage.evidence.dictionary }
        set { unique().evidence = CompactEvidence(newValue) }
    }
    /// The evidence's members in the byte order of their keys' UTF-8 (the report's order), decoded on every read.
    public var evidenceMembers: [EvidenceMember] {
        storage.evidence.members.map { EvidenceMember(key: $0.key, value: $0.value) }
    }
    /// Reference ids (`NIS2-21.2.h`, `ANSSI-HYG-…`); see `References`.
    public var references: [String] {
        get { storage.references }
        set { unique().references = newValue }
    }
    /// Why an `error` or `skip` could not decide, or a short technical detail; never a translation of the rule.
    /// In English: the report's `reason` member, as machines and consumers older than `reasonFr` read it.
    public var reason: String? {
        get { storage.reason }
        set { unique().reason = newValue }
    }
    /// The same reason in French: the report's optional `reasonFr` member (issue 18). Nil in reports written
    /// before it existed; readers then show `reason` (see `reason(in:)`).
    public var reasonFr: String? {
        get { storage.reasonFr }
        set { unique().reasonFr = newValue }
    }
    /// Time spent on the target, in milliseconds.
    public var durationMs: Int {
        get { storage.durationMs }
        set { unique().durationMs = newValue }
    }

    /// The fields. Mutated only through `unique()`, i.e. while this value is its only owner, so sharing one
    /// between threads is safe.
    private final class Storage: @unchecked Sendable {
        var check: String
        var target: String
        var code: String
        var status: Status
        var severity: Severity
        var evidence: CompactEvidence
        var references: [String]
        var reason: String?
        var reasonFr: String?
        var durationMs: Int

        init(
            check: String, target: String, code: String, status: Status, severity: Severity, evidence: CompactEvidence,
            references: [String], reason: String?, reasonFr: String?, durationMs: Int
        ) {
            self.check = check
            self.target = target
            self.code = code
            self.status = status
            self.severity = severity
            self.evidence = evidence
            self.references = references
            self.reason = reason
            self.reasonFr = reasonFr
            self.durationMs = durationMs
        }

        func copy() -> Storage {
            Storage(
                check: check, target: target, code: code, status: status, severity: severity, evidence: evidence,
                references: references, reason: reason, reasonFr: reasonFr, durationMs: durationMs)
        }
    }

    private var storage: Storage

    /// The box, copied first when another value shares it.
    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public static func == (lhs: CheckResult, rhs: CheckResult) -> Bool {
        if lhs.storage === rhs.storage { return true }
        let (a, b) = (lhs.storage, rhs.storage)
        return a.check == b.check && a.target == b.target && a.code == b.code && a.status == b.status
            && a.severity == b.severity && a.references == b.references && a.reason == b.reason
            && a.reasonFr == b.reasonFr && a.durationMs == b.durationMs
            && (a.evidence == b.evidence || a.evidence.dictionary == b.evidence.dictionary)
    }

    public init(
        check: String, target: String, code: String, status: Status, severity: Severity,
        evidence: [String: JSONValue] = [:], references: [String] = [], reason: LocalizedText? = nil, durationMs: Int = 0
    ) {
        storage = Storage(
            check: check, target: target, code: code, status: status, severity: severity,
            evidence: evidence.isEmpty ? .empty : CompactEvidence(evidence), references: references,
            reason: reason?.en, reasonFr: reason?.fr, durationMs: durationMs)
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
