import FoundationEssentials

/// One rule applied to one target: the unit of every report, score and view.
///
/// A value type stored as one reference to a box (copy on write) that holds the fields and, after them in the same
/// allocation, the evidence packed in bytes (`CompactEvidence`). A scan of 2,000 certificate files holds 10,000
/// results until the report is written: moving them between arrays (a check's workers, the runner) copies 8 bytes
/// per result instead of 112, and each result is one allocation of about 350 bytes instead of a 112-byte struct
/// plus an array of 40-byte evidence members (docs/benchmarks.md, "The agent's executable"). Reading `evidence`
/// builds the dictionary.
///
/// `@unchecked Sendable`: the box is a `ManagedBuffer`, which the standard library marks non-Sendable; it is only
/// mutated through `unique()`, when this value is its one owner, so a result crossing threads is never shared mutably.
public struct CheckResult: Codable, @unchecked Sendable, Equatable {
    /// Id of the check that produced it (`cert.files`).
    public var check: String {
        get { storage.header.check }
        set { unique().header.check = newValue }
    }
    /// What was looked at (`/etc/ssl/certs/x.pem`, `mail.example.fr:993`).
    public var target: String {
        get { storage.header.target }
        set { unique().header.target = newValue }
    }
    /// Stable rule code (`cert.expiry`); also the key of the text catalogue.
    public var code: String {
        get { storage.header.code }
        set { unique().header.code = newValue }
    }
    public var status: Status {
        get { storage.header.status }
        set { unique().header.status = newValue }
    }
    public var severity: Severity {
        get { storage.header.severity }
        set { unique().header.severity = newValue }
    }
    /// Reference ids (`NIS2-21.2.h`, `ANSSI-HYG-…`); see `References`.
    public var references: [String] {
        get { storage.header.references }
        set { unique().header.references = newValue }
    }
    /// Why an `error` or `skip` could not decide, or a short technical detail; never a translation of the rule.
    /// In English: the report's `reason` member, as machines and consumers older than `reasonFr` read it.
    public var reason: String? {
        get { storage.header.reason }
        set { unique().header.reason = newValue }
    }
    /// The same reason in French: the report's optional `reasonFr` member (issue 18). Nil in reports written
    /// before it existed; readers then show `reason` (see `reason(in:)`).
    public var reasonFr: String? {
        get { storage.header.reasonFr }
        set { unique().header.reasonFr = newValue }
    }
    /// Time spent on the target, in milliseconds.
    public var durationMs: Int {
        get { storage.header.durationMs }
        set { unique().header.durationMs = newValue }
    }
    /// Structured facts behind the status (dates, sizes, names); keys are camelCase.
    ///
    /// Stored packed (`CompactEvidence`); every read builds a new dictionary.
    public var evidence: [String: JSONValue] {
        get { storage.withEvidenceBytes(CompactEvidence.dictionary) }
        set { storage = Storage.make(storage.header, evidence: CompactEvidence.encode(newValue)) }
    }
    /// The evidence's members in the byte order of their keys' UTF-8 (the report's order), decoded on every read.
    public var evidenceMembers: [EvidenceMember] {
        storage.withEvidenceBytes(CompactEvidence.members).map { EvidenceMember(key: $0.key, value: $0.value) }
    }

    /// The fields other than the evidence.
    private struct Fields {
        var check: String
        var target: String
        var code: String
        var status: Status
        var severity: Severity
        /// Bytes of packed evidence after the fields (UInt32: fits beside status and severity).
        var evidenceCount: UInt32
        var references: [String]
        var reason: String?
        var reasonFr: String?
        var durationMs: Int
    }

    /// The fields, then `header.evidenceCount` bytes of packed evidence. Mutated only through `unique()`, i.e.
    /// while one value owns it, so sharing one between threads is safe.
    private final class Storage: ManagedBuffer<Fields, UInt8> {
        static func make(_ fields: Fields, evidence: [UInt8]) -> Storage {
            var fields = fields
            fields.evidenceCount = UInt32(evidence.count)
            let buffer = unsafeDowncast(Storage.create(minimumCapacity: evidence.count) { _ in fields }, to: Storage.self)
            buffer.withUnsafeMutablePointerToElements { elements in
                evidence.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress { elements.initialize(from: base, count: source.count) }
                }
            }
            return buffer
        }

        func withEvidenceBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            let count = Int(header.evidenceCount)
            return withUnsafeMutablePointerToElements { body(UnsafeBufferPointer(start: $0, count: count)) }
        }

        func copy() -> Storage {
            let evidence = withEvidenceBytes { Array($0) }
            return Storage.make(header, evidence: evidence)
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
        let (a, b) = (lhs.storage.header, rhs.storage.header)
        return a.check == b.check && a.target == b.target && a.code == b.code && a.status == b.status
            && a.severity == b.severity && a.references == b.references && a.reason == b.reason
            && a.reasonFr == b.reasonFr && a.durationMs == b.durationMs && lhs.evidence == rhs.evidence
    }

    public init(
        check: String, target: String, code: String, status: Status, severity: Severity,
        evidence: [String: JSONValue] = [:], references: [String] = [], reason: LocalizedText? = nil, durationMs: Int = 0
    ) {
        storage = Storage.make(
            Fields(
                check: check, target: target, code: code, status: status, severity: severity, evidenceCount: 0,
                references: references, reason: reason?.en, reasonFr: reason?.fr, durationMs: durationMs),
            evidence: CompactEvidence.encode(evidence))
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
