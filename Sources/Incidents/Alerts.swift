import Checks
import Foundation
import Model
import Territory
import Trust

extension TerritoryViews {
    /// `territory alerts`: every part read through the view that owns its rule (see `AlertsView`), with
    /// `days` as the window of certificates, agent certificates and incident deadlines. A part whose read
    /// throws is recorded in `errors` with its message and returned in `failures` (for its exit code); the
    /// other parts are still read.
    public func alerts(withinDays days: Int) -> (view: AlertsView, failures: [(AlertsView.Part, any Error)]) {
        collectAlerts(withinDays: days, filter: ViewFilter())
    }

    /// `alerts(withinDays:)` about the entities a filter names only (an incident recorded without an entity is
    /// then left out); the filter's domain is not used (the command refuses `--domain`).
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know (nothing is read).
    public func alerts(withinDays days: Int, filter: ViewFilter) throws -> (view: AlertsView, failures: [(AlertsView.Part, any Error)]) {
        try requireKnown(filter)
        return collectAlerts(withinDays: days, filter: filter)
    }

    func collectAlerts(withinDays days: Int, filter: ViewFilter) -> (view: AlertsView, failures: [(AlertsView.Part, any Error)]) {
        let english = language == .en
        var alerts: [AlertsView.Alert] = []
        var failures: [(AlertsView.Part, any Error)] = []
        func read(_ part: AlertsView.Part, _ body: () throws -> [AlertsView.Alert]) {
            do { alerts += try body() } catch { failures.append((part, error)) }
        }
        read(.certificates) {
            let view = try certificates(expiringWithinDays: days)
            let unverified = view.unverified.map { check in
                AlertsView.Alert(
                    kind: .certificateUnverified, siren: check.siren, entity: check.entity, host: check.host, subject: check.target,
                    date: nil, days: nil,
                    detail: (english ? "end date not read" : "date de fin non lue") + (check.reason.map { ": \($0)" } ?? ""))
            }
            return unverified + view.certificates.map { certificate in
                let expired = certificate.daysLeft < 0 || ISO8601.date(from: certificate.notAfter).map { $0 <= now } == true
                let what = certificate.kind == "served" ? (english ? "served certificate" : "certificat présenté") : (english ? "certificate file" : "fichier de certificat")
                return AlertsView.Alert(
                    kind: expired ? .certificateExpired : .certificateExpiring, siren: certificate.siren, entity: certificate.entity,
                    host: certificate.host, subject: certificate.target, date: certificate.notAfter, days: certificate.daysLeft,
                    detail: "\(what)\(certificate.subject.map { " \($0)" } ?? "")")
            }
        }
        read(.silence) {
            let status = try status(fixes: 0)
            let days = status.territory.silentAfterDays
            let silent = status.entities.filter { $0.inPerimeter && $0.stale }.map { row in
                guard let age = row.ageDays else {
                    // Servers, but no trusted report left on any of them (every one withdrawn after its signer's revocation).
                    return AlertsView.Alert(
                        kind: .memberSilent, siren: row.siren, entity: row.name, subject: "", date: nil, days: nil,
                        detail: english
                            ? "no trusted report left: each was withdrawn after its signer's revocation (enrol the agents again: cyberctl enroll, then cyberctl pki issue)"
                            : "plus aucun rapport de confiance : chacun a été retiré après la révocation de son signataire (enrôlez à nouveau les agents : cyberctl enroll, puis cyberctl pki issue)")
                }
                return AlertsView.Alert(
                    kind: .memberSilent, siren: row.siren, entity: row.name, subject: "", date: row.newestReport, days: age,
                    detail: english
                        ? "no report for \(age) days (expected every \(days) days, plus \(Roster.graceDays) of grace)"
                        : "aucun rapport depuis \(age) j (attendu tous les \(days) j, plus \(Roster.graceDays) j de grâce)")
            }
            let never = status.neverReported.map { member in
                AlertsView.Alert(
                    kind: .memberNeverReported, siren: member.siren, entity: member.name, subject: "", date: nil, days: nil,
                    detail: english ? "listed in the roster, never reported" : "inscrit au périmètre, aucun rapport reçu")
            }
            // A host silent within a member that still reports: the member's newest report would hide it.
            let staleMembers = Set(status.entities.filter(\.stale).map(\.siren))
            let members = Set(status.entities.filter(\.inPerimeter).map(\.siren))
            // One left without any trusted report (every report withdrawn) stays named for as long as it is so, not only
            // while its withdrawal is recent (`report-withdrawn`): the status counts it silent all that time.
            let hosts = try silentHosts(silentAfterDays: days).filter { members.contains($0.siren) && !staleMembers.contains($0.siren) }.map { host in
                guard let latest = host.latest, let age = host.ageDays else {
                    return AlertsView.Alert(
                        kind: .hostSilent, siren: host.siren, entity: host.entity, host: host.hostname, subject: "", date: nil, days: nil,
                        detail: english
                            ? "no trusted report of this server left: each was withdrawn after its signer's revocation (enrol its agent again: cyberctl enroll on the server, then cyberctl pki issue); the member's other servers still report"
                            : "plus aucun rapport de confiance de ce serveur : chacun a été retiré après la révocation de son signataire (enrôlez à nouveau son agent : cyberctl enroll sur le serveur, puis cyberctl pki issue) ; les autres serveurs du membre rapportent encore")
                }
                return AlertsView.Alert(
                    kind: .hostSilent, siren: host.siren, entity: host.entity, host: host.hostname, subject: "",
                    date: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(latest))), days: age,
                    detail: english
                        ? "this server's latest report is \(age) days old; the member's other servers still report"
                        : "dernier rapport de ce serveur il y a \(age) j ; les autres serveurs du membre rapportent encore")
            }
            // Nothing trusted in the store at all: every list above is empty because nothing was seen.
            let empty = try store.hasReports() ? [] : [AlertsView.Alert(
                kind: .noReports, siren: nil, entity: nil, subject: "", date: nil, days: nil,
                detail: english
                    ? "the store holds no trusted report: nothing was verified, so no other alert can be raised (is the collector or consolidate writing to another store?)"
                    : "la base ne contient aucun rapport de confiance : rien n'a été vérifié, aucune autre alerte ne peut donc être levée (le collecteur ou consolidate écrivent-ils dans une autre base ?)")]
            return silent + never + hosts + empty
        }
        read(.refusals) {
            let horizon = try (store.roster()?.silentAfterDays ?? Roster.defaultSilentAfterDays) + Roster.graceDays
            let since = now.addingTimeInterval(-TimeInterval(horizon) * 86_400)
            // Reports withdrawn after a revocation: said with their entity and host, and what the host falls back on.
            let withdrawn = try store.withdrawals(since: since).map { report in
                let at = ISO8601.date(from: report.withdrawnAt) ?? now
                let after = report.hostLatestAfter.map { PeopleTime.string(iso: $0) }
                let consequence = english
                    ? (report.wasLatest
                        ? (after.map { " — the server now counts on its report of \($0)" } ?? " — the server has no trusted report left: not evaluated")
                        : " — an earlier report of the server")
                    : (report.wasLatest
                        ? (after.map { " — le serveur retombe sur son rapport du \($0)" } ?? " — le serveur n'a plus aucun rapport de confiance : non évalué")
                        : " — un rapport antérieur du serveur")
                return AlertsView.Alert(
                    kind: .reportWithdrawn, siren: report.siren, entity: report.entity, host: report.host, subject: report.path,
                    date: report.withdrawnAt, days: max(0, Int((now.timeIntervalSince(at) / 86_400).rounded(.down))),
                    detail: (english ? report.message.en : report.message.fr) + consequence)
            }
            // A withdrawal's own refusal is the alert above.
            return try withdrawn + rejected(includeResolved: false).rejections.compactMap { refusal in
                guard refusal.code != RejectionCode.reportWithdrawn else { return nil }
                guard let seen = ISO8601.date(from: refusal.lastSeen), seen >= since else { return nil }
                return AlertsView.Alert(
                    kind: .reportRefused, siren: nil, entity: nil, subject: refusal.path, date: refusal.lastSeen,
                    days: max(0, Int((now.timeIntervalSince(seen) / 86_400).rounded(.down))),
                    detail: "\(refusal.title) (\(refusal.code))\(english ? ":" : " :") \(refusal.message)"
                        + (english ? " — see `cyberctl territory rejected`" : " — voir `cyberctl territory rejected`"))
            }
        }
        read(.revocation) {
            // The CRLs the last consolidation or collector trusted (`CRLState`); nothing recorded yet: nothing said.
            let states = try store.crlStates()
            let withReports = try states.contains { !$0.hasCRL } && store.hasReports()
            return states.compactMap { state -> AlertsView.Alert? in
                let seen = PeopleTime.string(iso: state.recordedAt)
                let by = state.source == "collect" ? (english ? "the collector" : "le collecteur") : "consolidate"
                guard let path = state.path else {
                    guard withReports else { return nil }
                    return AlertsView.Alert(
                        kind: .crlMissing, siren: nil, entity: nil, subject: state.issuer, date: nil, days: nil,
                        detail: english
                            ? "no CRL of this CA when \(by) last loaded its trust (\(seen)): the agents' revocation is not checked, a revoked agent's reports would be accepted and kept — give --crl FILE (or put crl.pem next to ca.pem)"
                            : "aucune CRL de cette autorité au dernier chargement par \(by) (\(seen)) : la révocation des agents n'est pas vérifiée, les rapports d'un agent révoqué seraient acceptés et gardés — donnez --crl FICHIER (ou placez crl.pem à côté de ca.pem)")
                }
                guard state.isStale(at: now), let next = state.nextUpdate, let nextDate = ISO8601.date(from: next) else { return nil }
                let due = PeopleTime.string(iso: next)
                let issued = state.thisUpdate.map { PeopleTime.string(iso: $0) } ?? "?"
                return AlertsView.Alert(
                    kind: .crlStale, siren: nil, entity: nil, subject: path, date: next,
                    days: Int((nextDate.timeIntervalSince(now) / 86_400).rounded(.down)),
                    detail: english
                        ? "CRL of \(state.issuer), issued \(issued), to be renewed by \(due): revocations issued since may be missing (a revoked agent accepted, its reports kept) — run cyberctl pki crl, copy the CRL to the collector, then consolidate (seen by \(by) on \(seen))"
                        : "CRL de \(state.issuer), émise le \(issued), à renouveler avant le \(due) : les révocations prononcées depuis peuvent y manquer (un agent révoqué accepté, ses rapports gardés) — lancez cyberctl pki crl, copiez la CRL au collecteur, puis consolidate (relevée par \(by) le \(seen))")
            }
        }
        read(.agents) {
            try agentCertificates(expiringWithinDays: days).agents.map { agent in
                AlertsView.Alert(
                    kind: agent.state == SignerCertificateStatus.State.expired.rawValue ? .agentCertificateExpired : .agentCertificateExpiring,
                    siren: agent.siren, entity: agent.entity, host: agent.host, subject: agent.serial, date: agent.notAfter, days: agent.daysLeft,
                    detail: english ? "agent certificate \(agent.subject) (renew: cyberctl pki issue)"
                        : "certificat d'agent \(agent.subject) (à renouveler : cyberctl pki issue)")
            }
        }
        read(.incidents) {
            var found: [AlertsView.Alert] = []
            for incident in try store.incidents() {
                // The name as the other alerts of this view give it (the entity's newest report), so that one entity
                // reads the same on every line; nil when the store has no report of it.
                let name = try incident.siren.flatMap { siren in
                    try store.read { db in try db.fetchOne(String.self, sql: "SELECT name FROM entity WHERE siren = ?", arguments: [siren]) }
                }
                for deadline in incident.pendingDeadlines(now: now, within: TimeInterval(days) * 86_400, english: english) {
                    found.append(AlertsView.Alert(
                        kind: deadline.state == .overdue ? .incidentOverdue : .incidentDue, siren: incident.siren, entity: name,
                        subject: "INC-\(incident.id)", date: ISO8601.string(from: deadline.due),
                        days: Int((deadline.due.timeIntervalSince(now) / 86_400).rounded(.down)),
                        detail: "\(deadline.title) (\(deadline.basis)), \(deadline.dueLocal), \(deadline.remaining) — \(incident.title)"))
                }
            }
            return found
        }
        read(.contacts) {
            guard let roster = try store.roster() else { return [] }
            return roster.members.filter(\.contacts.isEmpty).map { member in
                AlertsView.Alert(
                    kind: .memberWithoutContact, siren: member.siren, entity: member.name, subject: "", date: nil, days: nil,
                    detail: english ? "no contact in the roster (maire, DGS, élu référent…)" : "aucun contact au périmètre (maire, DGS, élu référent…)")
            }
        }
        alerts = alerts.filter { filter.keeps(siren: $0.siren) }
        let order = AlertsView.Kind.allCases
        alerts.sort {
            ($0.date == nil ? 1 : 0, $0.date ?? "", order.firstIndex(of: $0.kind)!, $0.siren ?? "", $0.host ?? "", $0.subject)
                < ($1.date == nil ? 1 : 0, $1.date ?? "", order.firstIndex(of: $1.kind)!, $1.siren ?? "", $1.host ?? "", $1.subject)
        }
        let errors = failures.map { AlertsView.PartError(part: $0.0, message: String(describing: $0.1)) }
        return (AlertsView(
            now: ISO8601.string(from: now), windowDays: days, alerts: alerts, errors: errors, filter: ViewFilter(entities: filter.entities).orNil),
                failures)
    }
}
