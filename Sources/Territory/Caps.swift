import Checks
import Foundation
import Model

/// A critical gap that caps an entity's level whatever its score, as SSL Labs' rating guide caps a grade
/// ("grade capped to B/F"): a commune without any backup is not "C" because its certificates are fine.
///
/// The table (docs/territory.md, "Caps"): each rule's maximum level when the gap is found, the facts it
/// reads (rule codes of the hosts' latest reports) and its sources. A rule whose input could not be
/// verified (the results erred, or nothing checked it) caps at `CapRule.unverifiedLevel` (C): the
/// entity is never called good on a gap it could not rule out.
public enum CapRule: String, Codable, Sendable, CaseIterable {
    /// A server with no backup at all: every `backup.present` result of the host fails (or errs), none
    /// passes. Cap E.
    case backupNone = "backup.none"
    /// Backups exist but none sits outside the data's own storage: no `backup.separate-storage` pass,
    /// at least one warn or fail. Cap D.
    case backupSameStorage = "backup.same-storage"
    /// A certificate used by a service (`cert.expiry` on the files services name, `tls.cert.expiry` on
    /// what endpoints serve) whose `notAfter` is past. Cap D.
    case certificateExpired = "certificate.expired"
    /// The operating system is past its end of security support (`patch.os-eol` fails, or every end date
    /// its evidence gives — standard and extended support — has passed since). Cap D; unverified (C) when the
    /// check erred or the host's report has no `patch.os-eol` result at all (not checked is not supported).
    case osEndOfLife = "os.end-of-life"
    /// A security update pending for more than `CapRule.securityUpdateDays` days: from the first
    /// report of the host that listed the package in `patch.security-updates` to its latest report,
    /// without a report in between where the rule passed. Cap D.
    case securityUpdateLate = "patch.security-late"

    /// Maximum level when the gap is found.
    public var level: Level {
        switch self {
        case .backupNone: .e
        case .backupSameStorage, .certificateExpired, .osEndOfLife, .securityUpdateLate: .d
        }
    }

    /// Maximum level when the rule's input could not be verified: an entity whose backups (say) could
    /// not be checked is never "bon niveau".
    public static let unverifiedLevel = Level.c

    /// A security update pending this long caps the level (30 days: the usual remediation deadline for
    /// high-severity findings, e.g. DefectDojo's default SLA; Regulation 2024/2690 annex 6.6.2 asks
    /// patches to be applied "within a reasonable time").
    public static let securityUpdateDays = 30

    /// Reference ids (`ReferenceCatalogue`), plus the SSL Labs rating guide for the idea of a cap.
    public var sources: [String] {
        switch self {
        case .backupNone, .backupSameStorage: ["ANSSI-HYG-37", "NIS2-21.2.c", "EU-2024/2690-4.2"]
        case .certificateExpired: ["NIS2-21.2.h", "EU-2024/2690-9", "SSLLABS-T"]
        case .osEndOfLife: ["ANSSI-HYG-35", "NIS2-21.2.e", "EU-2024/2690-6.6"]
        case .securityUpdateLate: ["ANSSI-HYG-34", "NIS2-21.2.e", "EU-2024/2690-6.6"]
        }
    }

    /// Rule codes whose results are this cap's input.
    public var codes: [String] {
        switch self {
        case .backupNone: ["backup.present"]
        case .backupSameStorage: ["backup.separate-storage"]
        case .certificateExpired: ["cert.expiry", "tls.cert.expiry"]
        case .osEndOfLife: ["patch.os-eol"]
        case .securityUpdateLate: ["patch.security-updates"]
        }
    }

    /// What the gap is, for the RSSI's views.
    public func title(_ state: CapState, _ language: Language) -> String {
        let fr = language == .fr
        switch (self, state) {
        case (.backupNone, .gap): return fr ? "aucune sauvegarde" : "no backup at all"
        case (.backupNone, .unverified): return fr ? "sauvegardes non vérifiées" : "backups not verified"
        case (.backupSameStorage, .gap): return fr ? "aucune copie hors du support des données" : "no copy outside the data's storage"
        case (.backupSameStorage, .unverified): return fr ? "emplacement des sauvegardes non vérifié" : "backup location not verified"
        case (.certificateExpired, .gap): return fr ? "certificat expiré sur un service" : "expired certificate on a service"
        case (.certificateExpired, .unverified): return fr ? "validité d'un certificat non vérifiée" : "certificate validity not verified"
        case (.osEndOfLife, .gap): return fr ? "système en fin de support de sécurité" : "operating system past its end of security support"
        case (.osEndOfLife, .unverified): return fr ? "fin de support du système non vérifiée" : "end of support not verified"
        case (.securityUpdateLate, .gap):
            return fr ? "mise à jour de sécurité en attente depuis plus de \(Self.securityUpdateDays) jours"
                : "security update pending for more than \(Self.securityUpdateDays) days"
        case (.securityUpdateLate, .unverified): return fr ? "mises à jour de sécurité non vérifiées" : "security updates not verified"
        }
    }
}

/// Whether a cap's gap was found, or could not be ruled out.
public enum CapState: String, Codable, Sendable {
    case gap
    case unverified

    /// The level this state caps at for `rule`.
    func level(_ rule: CapRule) -> Level { self == .gap ? rule.level : CapRule.unverifiedLevel }
}

/// A cap that applies to an entity (or a host): which, why, where.
public struct AppliedCap: Codable, Sendable, Equatable {
    /// `CapRule` raw value.
    public var rule: String
    /// `gap` or `unverified`.
    public var state: String
    /// The level it caps at.
    public var level: String
    /// What the gap is, in the view's language.
    public var title: String
    /// Hosts concerned (empty when the gap is the entity's as a whole: no host checked its backups).
    public var hosts: [String]
    /// Facts behind it: certificate and its end date, packages and since when, OS release…
    public var detail: String?
    /// Reference ids of the cap's sources.
    public var sources: [String]
}

extension Level {
    /// 0 for A … 4 for E.
    public var rank: Int { Level.allCases.firstIndex(of: self)! }

    /// The worse of two levels.
    static func worst(_ a: Level, _ b: Level) -> Level { a.rank >= b.rank ? a : b }

    /// The better of two levels.
    static func best(_ a: Level, _ b: Level) -> Level { a.rank <= b.rank ? a : b }
}

/// What one report says about the caps' inputs, kept per report in `report_fact` so that the views
/// never re-read results for the caps (migration `v4-roster` fills it for stored reports).
struct CapFact: Sendable, Equatable, Hashable {
    enum Kind: String, Sendable {
        case backupPresent = "backup.present"
        case backupSeparate = "backup.separate-storage"
        case certificate
        case endOfLife = "os.end-of-life"
        case security = "patch.security"
        case securityPackage = "patch.security.package"
    }

    enum State: String, Sendable {
        /// Verified and fine (for certificates and end of life: verified, with the date that decides).
        case ok
        /// The gap was found.
        case gap
        /// The results erred: could not be verified.
        case unverified
    }

    var kind: Kind
    /// Empty for one-per-report facts; `code target` for certificates; the package for packages.
    var subject: String
    var state: State
    /// Unix seconds: a certificate's notAfter, the end of security support of the OS.
    var at: Int?
    /// Words for the views (certificate subject, OS release).
    var label: String?
}

/// Gathers a report's results into `CapFact`s.
struct CapFactBuilder {
    private var backupPresent = Set<Status>()
    private var backupSeparate = Set<Status>()
    private var certificates: [String: CapFact] = [:]
    private var endOfLife: CapFact?
    private var security = Set<Status>()
    private var packages = Set<String>()

    init() {}

    static let codes: Set<String> = Set(CapRule.allCases.flatMap(\.codes))

    mutating func add(code: String, status: Status, target: String, evidence: JSONValue?) {
        guard Self.codes.contains(code) else { return }
        let fields: [String: JSONValue]
        if case .object(let object)? = evidence { fields = object } else { fields = [:] }
        switch code {
        case "backup.present": backupPresent.insert(status)
        case "backup.separate-storage": backupSeparate.insert(status)
        case "cert.expiry", "tls.cert.expiry":
            guard status != .skip else { return }
            let subject = "\(code) \(target)" + (fields["sha256"]?.stringValue.map { " \($0)" } ?? "")
            let label = fields["subject"]?.stringValue ?? target
            let fact: CapFact
            if let text = fields["notAfter"]?.stringValue, let notAfter = ISO8601.date(from: text) {
                fact = CapFact(kind: .certificate, subject: subject, state: .ok, at: Int(notAfter.timeIntervalSince1970), label: label)
            } else if status == .error {
                fact = CapFact(kind: .certificate, subject: subject, state: .unverified, label: label)
            } else {
                return
            }
            // One fact per certificate: the one that ends first, an unverified one only when nothing is known.
            if let known = certificates[subject], let knownAt = known.at, fact.at.map({ $0 >= knownAt }) ?? true { return }
            certificates[subject] = fact
        case "patch.os-eol":
            let label = fields["release"]?.stringValue ?? target
            switch status {
            case .fail: endOfLife = CapFact(kind: .endOfLife, subject: "", state: .gap, label: label)
            case .pass, .warn:
                guard endOfLife?.state != .gap else { return }
                // The day after which no free security fix comes any more: the later of the standard and
                // extended (Debian LTS, Ubuntu ESM) ends. A host subscribed to a paid phase (ELTS, Pro) is
                // left to its next report.
                func end(_ key: String) -> Int? {
                    fields[key]?.stringValue.flatMap { ISO8601.date(from: $0 + "T00:00:00Z") }.map { Int($0.timeIntervalSince1970) + 86_400 }
                }
                let last = [end("securitySupportEnds"), end("extendedSupportEnds")].compactMap { $0 }.max()
                endOfLife = CapFact(kind: .endOfLife, subject: "", state: .ok, at: fields["extendedSources"] == .bool(true) ? nil : last, label: label)
            case .error:
                if endOfLife == nil { endOfLife = CapFact(kind: .endOfLife, subject: "", state: .unverified, label: label) }
            case .skip: break
            }
        case "patch.security-updates":
            security.insert(status)
            if status == .fail, case .array(let updates)? = fields["updates"] {
                for update in updates {
                    if case .object(let entry) = update, let name = entry["package"]?.stringValue { packages.insert(name) }
                }
            }
        default: break
        }
    }

    /// ok when any status in `fine` was seen, gap when any in `bad`, unverified when only errors.
    private static func state(_ seen: Set<Status>, fine: Set<Status>, bad: Set<Status>) -> CapFact.State? {
        if !seen.isDisjoint(with: fine) { return .ok }
        if !seen.isDisjoint(with: bad) { return .gap }
        if seen.contains(.error) { return .unverified }
        return nil
    }

    var facts: [CapFact] {
        var out: [CapFact] = []
        // A set whose copies live on another host (skip) or that holds fewer copies than expected (warn)
        // is a backup; one that holds none fails.
        if let state = Self.state(backupPresent, fine: [.pass, .warn, .skip], bad: [.fail]) {
            out.append(CapFact(kind: .backupPresent, subject: "", state: state))
        }
        if let state = Self.state(backupSeparate, fine: [.pass, .skip], bad: [.warn, .fail]) {
            out.append(CapFact(kind: .backupSeparate, subject: "", state: state))
        }
        out += certificates.keys.sorted().map { certificates[$0]! }
        if let endOfLife { out.append(endOfLife) }
        if let state = Self.state(security, fine: [.pass], bad: [.fail, .warn]) {
            // A fail with a list the check could not fill is still a gap: one anonymous package.
            let pending = state == .gap && packages.isEmpty ? ["?"] : packages.sorted()
            out.append(CapFact(kind: .security, subject: "", state: state))
            if state == .gap { out += pending.map { CapFact(kind: .securityPackage, subject: $0, state: .gap) } }
        }
        return out
    }
}

/// One host's cap inputs at one time: its latest report's facts, and since when each pending security
/// update has been pending (from the host's report history).
struct HostCapInput: Sendable {
    var hostname: String
    /// Generation time of the report the facts come from (Unix seconds).
    var reportTime: Int
    var facts: [CapFact]
    /// Package → generation time of the first report of the unbroken run of reports listing it.
    var pendingSince: [String: Int]
}

/// Follows one host's reports in time order and keeps, for each pending security update, the first
/// report of the run that listed it: a report where `patch.security-updates` passed ends every run, a
/// report where it erred (or did not run) neither ends nor extends one.
struct SecurityHistory: Sendable {
    private(set) var pendingSince: [String: Int] = [:]

    mutating func add(reportTime: Int, facts: [CapFact]) {
        guard let summary = facts.first(where: { $0.kind == .security }) else { return }
        switch summary.state {
        case .ok: pendingSince = [:]
        case .gap:
            var next: [String: Int] = [:]
            for fact in facts where fact.kind == .securityPackage { next[fact.subject] = pendingSince[fact.subject] ?? reportTime }
            pendingSince = next
        case .unverified: break
        }
    }
}

/// Applies the caps table to hosts' facts.
enum CapEvaluation {
    /// The caps of one host at `now` (Unix seconds): certificates and end of support against `now`, a
    /// pending security update by how long its reports have shown it.
    static func caps(_ host: HostCapInput, now: Int) -> [(rule: CapRule, state: CapState, detail: String?)] {
        var out: [(CapRule, CapState, String?)] = []
        let facts = host.facts
        let backup = facts.first { $0.kind == .backupPresent }
        switch backup?.state {
        case .gap?: out.append((.backupNone, .gap, nil))
        case .unverified?: out.append((.backupNone, .unverified, nil))
        case .ok?, nil: break
        }
        if backup?.state != .gap, let separate = facts.first(where: { $0.kind == .backupSeparate }) {
            if separate.state == .gap { out.append((.backupSameStorage, .gap, nil)) }
            if separate.state == .unverified { out.append((.backupSameStorage, .unverified, nil)) }
        }
        let certificates = facts.filter { $0.kind == .certificate }
        let expired = certificates.filter { fact in fact.at.map { $0 <= now } ?? false }.sorted { ($0.at ?? 0) < ($1.at ?? 0) }
        if let first = expired.first {
            let day = String(ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(first.at ?? 0))).prefix(10))
            out.append((.certificateExpired, .gap, "\(first.label ?? first.subject) (\(day))" + (expired.count > 1 ? " +\(expired.count - 1)" : "")))
        } else if let unknown = certificates.first(where: { $0.state == .unverified }) {
            out.append((.certificateExpired, .unverified, unknown.label ?? unknown.subject))
        }
        if let eol = facts.first(where: { $0.kind == .endOfLife }) {
            if eol.state == .gap || (eol.state == .ok && eol.at.map { $0 <= now } ?? false) {
                out.append((.osEndOfLife, .gap, eol.label))
            } else if eol.state == .unverified {
                out.append((.osEndOfLife, .unverified, eol.label))
            }
        } else {
            // No patch.os-eol result at all (a profile or `--only` without the patches checks): the end of support was
            // not checked, which is not "supported" (a Debian 8 host scanned for its backups alone is not "bon niveau").
            out.append((.osEndOfLife, .unverified, nil))
        }
        if let security = facts.first(where: { $0.kind == .security }) {
            if security.state == .unverified { out.append((.securityUpdateLate, .unverified, nil)) }
            if security.state == .gap {
                let limit = host.reportTime - CapRule.securityUpdateDays * 86_400
                let late = host.pendingSince.filter { $0.value <= limit }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
                if let oldest = late.first {
                    let day = String(ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(oldest.value))).prefix(10))
                    let names = late.prefix(3).map(\.key).joined(separator: ", ") + (late.count > 3 ? " +\(late.count - 3)" : "")
                    out.append((.securityUpdateLate, .gap, "\(names) (\(day))"))
                }
            }
        }
        return out
    }

    /// An entity's caps: every host's, merged by rule and state (hosts listed), plus "backups not
    /// verified" when no host of the entity checked its backups at all.
    static func entityCaps(_ hosts: [HostCapInput], now: Int, language: Language) -> [AppliedCap] {
        var merged: [String: AppliedCap] = [:]
        var order: [String] = []
        for host in hosts.sorted(by: { $0.hostname < $1.hostname }) {
            for (rule, state, detail) in caps(host, now: now) {
                let key = rule.rawValue + "/" + state.rawValue
                if merged[key] == nil {
                    order.append(key)
                    merged[key] = AppliedCap(
                        rule: rule.rawValue, state: state.rawValue, level: state.level(rule).rawValue, title: rule.title(state, language),
                        hosts: [], detail: nil, sources: rule.sources)
                }
                merged[key]!.hosts.append(host.hostname)
                if let detail {
                    merged[key]!.detail = merged[key]!.detail.map { $0 + "; \(host.hostname): \(detail)" } ?? "\(host.hostname): \(detail)"
                }
            }
        }
        if !hosts.isEmpty && !hosts.contains(where: { $0.facts.contains { $0.kind == .backupPresent } }) && merged["backup.none/gap"] == nil {
            let key = CapRule.backupNone.rawValue + "/unverified"
            if merged[key] == nil {
                order.append(key)
                merged[key] = AppliedCap(
                    rule: CapRule.backupNone.rawValue, state: CapState.unverified.rawValue, level: CapRule.unverifiedLevel.rawValue,
                    title: CapRule.backupNone.title(.unverified, language), hosts: [],
                    detail: language == .fr ? "aucun serveur n'a contrôlé ses sauvegardes" : "no host checked its backups",
                    sources: CapRule.backupNone.sources)
            }
        }
        // Harshest first, then in table order.
        let table = CapRule.allCases.map(\.rawValue)
        return order.map { merged[$0]! }.sorted {
            let l = Level(rawValue: $0.level)!.rank, r = Level(rawValue: $1.level)!.rank
            return (l, -(table.firstIndex(of: $0.rule) ?? 0)) > (r, -(table.firstIndex(of: $1.rule) ?? 0))
        }
    }

    /// The level shown: the score's level, no better than the harshest cap.
    static func cappedLevel(score: Level?, caps: [AppliedCap]) -> Level? {
        guard let score else { return nil }
        return caps.compactMap { Level(rawValue: $0.level) }.reduce(score, Level.worst)
    }
}
