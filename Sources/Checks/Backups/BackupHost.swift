import FoundationEssentials
import Model
import NIS2

/// Whose snapshots or archives count in a restic or Borg repository that several hosts may share:
/// other hosts' backups never make this one fresh, large or present.
struct BackupHost: Sendable, Equatable {
    /// Names that count as this host's (compared by `AuditedHostName.matches`); empty when unknown.
    let names: [String]
    /// Where the names come from, for the evidence: `profile (host)`, `gethostname`, `/etc/hostname`.
    let source: String
    /// This host's own domains (`AuditedHostName.domains`): a fully qualified recorded name matches
    /// a short name only completed with one of them.
    var domains: [AuditedHostName.Domain] = []

    /// The names a set counts: the profile's `host:` for that set, else the audited system's name
    /// (`gethostname` on the live system, the image's `/etc/hostname` with `--root`); the domains
    /// are the audited system's (its /etc/hostname, /etc/hosts, /etc/resolv.conf).
    static func of(_ set: BackupSet, audited: String?, root: FileSystemRoot) -> BackupHost {
        let domains = audited.map { AuditedHostName.domains(of: $0, root: root) } ?? []
        if !set.hosts.isEmpty { return BackupHost(names: set.hosts, source: "profile (host)", domains: domains) }
        guard let audited else { return BackupHost(names: [], source: "unknown") }
        return BackupHost(names: [audited], source: root.isSystemRoot ? "gethostname" : "/etc/hostname", domains: domains)
    }

    /// `entries` (newest first) recorded by this host, order kept. The evidence gets every host name
    /// seen (`hosts`), the names counted (`thisHost`, `thisHostSource`) and how many entries other
    /// hosts made (`otherHostsCopies`). When entries exist but none is this host's, `noCopyReason`
    /// says so. Nil, with `failure` set, when this host's name is unknown and entries exist: they
    /// cannot be told apart.
    func keep<Entry>(
        _ entries: [Entry], into measurement: inout BackupMeasurement, noun: LocalizedText, host: (Entry) -> String?
    ) -> [Entry]? {
        let recorded = Set(entries.map { host($0) ?? "" })
        measurement.details["hosts"] = .strings(recorded.filter { !$0.isEmpty }.sorted())
        guard !entries.isEmpty else { return [] }
        guard !names.isEmpty else {
            measurement.failure = LocalizedText(
                fr: "le nom d'hôte du système audité est inconnu (pas de /etc/hostname) : dans ce dépôt, ses \(noun.fr)s ne se distinguent pas "
                    + "de ce qu'ont écrit les autres hôtes ; déclarez host: pour cet ensemble dans le profil",
                en: "the audited system's host name is unknown (no /etc/hostname): its \(noun.en)s cannot be told from other hosts' "
                    + "in this repository; declare host: for this set in the profile")
            return nil
        }
        measurement.details["thisHost"] = .strings(names)
        measurement.details["thisHostSource"] = .string(source)
        if !domains.isEmpty { measurement.details["thisHostDomains"] = .strings(domains.map { "\($0.name) (\($0.source))" }) }
        let domainNames = domains.map(\.name)
        let mine = entries.filter { AuditedHostName.matches(host($0) ?? "", names, domains: domainNames) }
        if mine.count < entries.count { measurement.details["otherHostsCopies"] = .int(entries.count - mine.count) }
        if mine.isEmpty {
            let others = recorded.filter { !$0.isEmpty }.sorted()
            let unnamed = recorded.contains("")
            func list(_ noName: String) -> String {
                ((unnamed ? [noName] : []) + others).prefix(5).joined(separator: ", ") + (others.count + (unnamed ? 1 : 0) > 5 ? ", …" : "")
            }
            measurement.noCopyReason = LocalizedText(
                fr: "le dépôt contient \(entries.count) \(noun.fr)(s), d'autres hôtes uniquement (\(list("(sans nom)"))), rien de \(names.joined(separator: " ou "))",
                en: "the repository holds \(entries.count) \(noun.en)(s), all of other hosts (\(list("(no name)"))), none of \(names.joined(separator: " or "))")
        }
        return mine
    }
}
