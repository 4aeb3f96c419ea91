import Agent
import Checks
import Foundation
import Incidents
import NIS2
import Model
import Territory

/// `territory digest`: what one member of the territory should do this month, in plain French (English with
/// `--lang en`), ready to paste into an e-mail to its DGS and élu référent (issue 14). Every part is read
/// through the view that owns its rule — the élus page's wording (`SummaryBuilder`, `ElusWording`,
/// `PlainFrench`), the alerts (`territory alerts`: certificates, silence, agent certificates, incident
/// deadlines, contacts), the entity's latest reports — so the digest never says less than those views.
/// The state sentence never reassures on what was not verified: silent servers, checks that could not
/// run and certificates whose end date could not be read are named as such.
public struct CommuneDigest: Codable, Sendable {
    public var siren: String
    public var name: String
    /// The day it was written, for people (`3 mars 2026`).
    public var date: String
    public var language: Language
    /// Who it is addressed to: the roster's DGS and élu référent (else maire or président, else every contact).
    public var recipients: [Recipient]
    /// `Bonjour Marie Durand, Jean Martin,` — or `Bonjour,` when the roster names nobody.
    public var greeting: String
    /// The member's state in one sentence, with what could not be verified.
    public var state: String
    /// What could not be verified, one line each (empty only when every check of every server ran recently).
    public var unverified: [String]
    /// Certificates expired, expiring within the window, or whose end date could not be read.
    public var certificates: [String]
    /// Servers that have not reported for longer than the roster allows, and for how long.
    public var silentHosts: [String]
    /// The first fixes, in plain words.
    public var fixes: [Fix]
    /// Said instead of the fixes when there are none (never "nothing to do" when nothing could be verified).
    public var noFixes: String
    /// Legal reports of incidents due within the window or overdue.
    public var incidents: [String]
    /// What the RSSI will do this month.
    public var rssiActions: [String]
    /// The window of the certificates and deadlines, in days.
    public var windowDays: Int

    public struct Recipient: Codable, Sendable, Equatable {
        /// The role as people read it (`Direction générale des services`).
        public var role: String
        public var name: String?
        public var email: String?
        public var phone: String?
    }

    public struct Fix: Codable, Sendable, Equatable {
        public var action: String
        public var why: String
        /// Who acts, and the rough effort.
        public var who: String
    }
}

/// Builds a `CommuneDigest` from the territory store.
public struct CommuneDigestBuilder: Sendable {
    public let views: TerritoryViews
    public let scopeRules: ScopeRules

    public init(views: TerritoryViews, scopeRules: ScopeRules) {
        self.views = views
        self.scopeRules = scopeRules
    }

    /// The digest of `siren` (9 digits, normalised), with certificates and deadlines within `windowDays`.
    /// - Throws: `InputError(.missing)` (66) when the SIREN is neither in the declared roster nor in any report;
    ///   a part of the alerts that could not be read, with its own error (never left out as "nothing due").
    public func digest(siren: String, windowDays: Int = 30) throws -> CommuneDigest {
        let fr = views.language == .fr
        let roster = try views.store.roster()
        let member = roster?.member(siren)
        let detail: DetailView?
        do {
            detail = try views.entity(siren)
        } catch let error as InputError where error.kind == .missing {
            detail = nil
        }
        guard member != nil || detail != nil else {
            throw InputError(
                .missing,
                fr: "SIREN \(siren) : ni membre du périmètre déclaré, ni dans les rapports de la base (voir `cyberctl territory status` et `cyberctl territory roster show`)",
                en: "SIREN \(siren): neither a member of the declared roster nor in the store's reports (see `cyberctl territory status` and `cyberctl territory roster show`)")
        }
        let name = member?.name ?? detail?.name ?? "SIREN \(siren)"
        let (alertsView, failures) = views.alerts(withinDays: windowDays)
        if let failure = failures.first { throw failure.1 }
        let alerts = alertsView.alerts.filter { $0.siren == siren }
        let silentAfter = roster?.silentAfterDays ?? Roster.defaultSilentAfterDays

        var digest = CommuneDigest(
            siren: siren, name: name, date: fr ? SummaryBuilder.frenchDate(views.now) : String(ISO8601.string(from: views.now).prefix(10)),
            language: views.language, recipients: Self.recipients(member), greeting: "", state: "", unverified: [], certificates: [],
            silentHosts: [], fixes: [], noFixes: "", incidents: [], rssiActions: [], windowDays: windowDays)
        digest.greeting = Self.greeting(digest.recipients, fr: fr)

        // Servers silent for longer than the roster allows, or left without any trusted report (every report withdrawn
        // after its signer's revocation): the detail's, per server.
        var silentHosts: [String] = []
        for host in detail?.silentHosts ?? [] {
            silentHosts.append(host.host)
            if let last = host.lastReport {
                let days = host.ageDays ?? 0
                digest.silentHosts.append(fr
                    ? "\(host.host) : dernier contrôle reçu le \(SummaryBuilder.frenchDate(last)), il y a \(days) jours (attendu tous les \(silentAfter) jours) ; son état actuel n'est pas connu."
                    : "\(host.host): last report received on \(last.prefix(10)), \(days) days ago (expected every \(silentAfter) days); its current state is not known.")
            } else {
                digest.silentHosts.append(fr
                    ? "\(host.host) : plus aucun contrôle valable, ses rapports ont été retirés (certificat de signature révoqué) ; son état n'est pas connu."
                    : "\(host.host): no valid report left, its reports were withdrawn (signing certificate revoked); its state is not known.")
            }
        }

        // Certificates, from the alerts (the `territory certificates` view).
        for alert in alerts {
            let on = alert.host.map { fr ? " sur \($0)" : " on \($0)" } ?? ""
            let day = alert.date.map { fr ? SummaryBuilder.frenchDate($0) : String($0.prefix(10)) } ?? "?"
            switch alert.kind {
            case .certificateExpired:
                digest.certificates.append(fr
                    ? "Expiré le \(day) : \(alert.subject)\(on) (\(alert.detail)). Les usagers voient une alerte de sécurité ou le service ne fonctionne plus : à renouveler tout de suite."
                    : "Expired on \(day): \(alert.subject)\(on) (\(alert.detail)). Users see a security warning or the service fails: renew it now.")
            case .certificateExpiring:
                digest.certificates.append(fr
                    ? "Expire le \(day), dans \(alert.days ?? 0) jours : \(alert.subject)\(on) (\(alert.detail)). À renouveler avant cette date."
                    : "Expires on \(day), in \(alert.days ?? 0) days: \(alert.subject)\(on) (\(alert.detail)). Renew it before then.")
            case .certificateUnverified:
                digest.certificates.append(fr
                    ? "Date de fin non lue : \(alert.subject)\(on). Nous ne savons pas si ce certificat est encore valable."
                    : "End date not read: \(alert.subject)\(on). We do not know whether this certificate is still valid.")
            case .incidentOverdue, .incidentDue:
                let overdue = alert.kind == .incidentOverdue
                digest.incidents.append(fr
                    ? "\(alert.subject) — \(overdue ? "EN RETARD" : "à faire") : \(alert.detail)."
                    : "\(alert.subject) — \(overdue ? "OVERDUE" : "due"): \(alert.detail).")
            default:
                break
            }
        }

        if let detail {
            try describe(detail, siren: siren, silentHosts: silentHosts, into: &digest)
        } else {
            digest.state = fr
                ? "Nous n'avons reçu aucun contrôle des serveurs de \(name) : nous ne pouvons rien dire de leur état, ni en bien ni en mal."
                : "We have received no check of \(name)'s servers: we cannot say anything about their state, good or bad."
            digest.unverified.append(fr ? "Aucun serveur de \(name) n'a encore envoyé de rapport de contrôle." : "No server of \(name) has sent a check report yet.")
            digest.noFixes = fr
                ? "Aucune priorité ne peut être donnée tant qu'aucun contrôle n'a été reçu."
                : "No priority can be given until a check has been received."
        }
        digest.rssiActions = Self.rssiActions(alerts: alerts, digest: digest, reported: detail != nil, silentHosts: silentHosts, fr: fr)
        return digest
    }

    /// The state, what could not be verified and the fixes of a member with reports.
    func describe(_ detail: DetailView, siren: String, silentHosts: [String], into digest: inout CommuneDigest) throws {
        let fr = views.language == .fr
        let score = detail.score
        // What could not be verified.
        if !silentHosts.isEmpty {
            digest.unverified.append(fr
                ? "\(silentHosts.count == 1 ? "1 serveur n'envoie" : "\(silentHosts.count) serveurs n'envoient") plus de rapport (\(silentHosts.joined(separator: ", "))) : \(silentHosts.count == 1 ? "son état actuel" : "leur état actuel") n'est pas connu."
                : "\(silentHosts.count) server(s) no longer report (\(silentHosts.joined(separator: ", "))): their current state is not known.")
        }
        let notEvaluated = score.notEvaluated.compactMap(Domain.init(rawValue:))
        if !notEvaluated.isEmpty {
            digest.unverified.append(fr
                ? "Non évalué : \(notEvaluated.map(PlainFrench.domainName).joined(separator: ", ")) (les contrôles n'ont pas pu être menés)."
                : "Not evaluated: \(notEvaluated.map(\.rawValue).joined(separator: ", ")) (the checks could not run).")
        }
        // The core domains the latest reports did not check at all (a scan limited with --only, a check not run).
        let unchecked = [Domain.tls, .certificates, .patches, .backups].filter {
            score.domains[$0.rawValue] == nil && !score.notEvaluated.contains($0.rawValue)
        }
        if !unchecked.isEmpty {
            digest.unverified.append(fr
                ? "Pas contrôlé par les derniers rapports : \(unchecked.map(PlainFrench.domainName).joined(separator: ", "))."
                : "Not checked by the latest reports: \(unchecked.map(\.rawValue).joined(separator: ", ")).")
        }
        if score.coverage < 1 {
            let missing = max(1, Int(((1 - score.coverage) * 100).rounded()))
            digest.unverified.append(fr
                ? "Environ \(missing) % des contrôles n'ont pas pu être menés."
                : "About \(missing) % of the checks could not run.")
        }
        for cap in score.caps where cap.state == CapState.unverified.rawValue {
            if let domain = CapRule(rawValue: cap.rule)?.domain, unchecked.contains(domain) { continue }
            digest.unverified.append(cap.title.capitalizedFirst + (cap.hosts.isEmpty ? "" : " (\(cap.hosts.joined(separator: ", ")))") + ".")
        }
        let unreadCertificates = digest.certificates.filter { $0.hasPrefix(fr ? "Date de fin non lue" : "End date not read") }.count
        if unreadCertificates > 0 {
            digest.unverified.append(fr
                ? "\(unreadCertificates) certificat(s) dont la date de fin n'a pas pu être lue."
                : "\(unreadCertificates) certificate(s) whose end date could not be read.")
        }

        let level = score.level.flatMap(Level.init(rawValue:))
        let caveat: String
        if score.coverage <= 0 {
            caveat = fr ? " Les derniers contrôles n'ont rien pu vérifier." : " The latest checks could verify nothing."
        } else if digest.unverified.isEmpty {
            caveat = ""
        } else {
            caveat = fr
                ? " Ce constat ne porte que sur ce qui a pu être vérifié : \(digest.unverified.count == 1 ? "un point n'a" : "\(digest.unverified.count) points n'ont") pas pu l'être (voir ci-dessous)."
                : " This covers only what could be verified: \(digest.unverified.count) point(s) could not be (see below)."
        }
        if fr {
            let summary = try SummaryBuilder(views: views, scopeRules: scopeRules).entity(siren)
            let gaps = summary.gaps.isEmpty ? "" : " " + summary.gaps.joined(separator: " ")
            digest.state = "Niveau \(summary.level ?? "?")\(summary.score.map { " (note \($0) sur 100)" } ?? "") — \(summary.meaning)\(gaps)\(caveat)"
            digest.fixes = summary.priorities.map { .init(action: $0.action, why: $0.why, who: "Qui agit : \($0.who) — effort : \($0.effort), \($0.cost).") }
            digest.noFixes = summary.noPriorities
        } else {
            let meaning = level.map(Self.englishMeaning) ?? "No usable check has been received yet: the level cannot be established."
            let gaps = score.caps.filter { $0.state == CapState.gap.rawValue }.map { $0.title + "." }
            digest.state = "Level \(score.level ?? "?")\(score.score.map { " (score \($0) out of 100)" } ?? "") — \(meaning)\(gaps.isEmpty ? "" : " " + gaps.joined(separator: " "))\(caveat)"
            var seen: [String] = []
            for fix in detail.fixes where !seen.contains(fix.code) && seen.count < 3 {
                seen.append(fix.code)
                let hosts = detail.fixes.filter { $0.code == fix.code }.map(\.host)
                digest.fixes.append(.init(
                    action: fix.title, why: "Severity \(fix.severity.rawValue).", who: "Servers: \(Array(Set(hosts)).sorted().joined(separator: ", "))."))
            }
            digest.noFixes = score.coverage <= 0
                ? "No priority can be given: the latest checks could verify nothing."
                : score.coverage < 1 ? "Nothing to fix was found among what could be verified; the rest could not be."
                : "Nothing to fix was found by the latest checks."
        }
    }

    /// The roster's DGS and élu référent; else its maire or président; else every contact it lists.
    static func recipients(_ member: Roster.Member?) -> [CommuneDigest.Recipient] {
        guard let member else { return [] }
        let preferred = member.contacts.filter { $0.role == .dgs || $0.role == .eluReferent }
        let heads = member.contacts.filter { $0.role == .maire || $0.role == .president }
        let chosen = !preferred.isEmpty ? preferred : !heads.isEmpty ? heads : member.contacts
        return chosen.map { .init(role: $0.role.french, name: $0.name, email: $0.email, phone: $0.phone) }
    }

    static func greeting(_ recipients: [CommuneDigest.Recipient], fr: Bool) -> String {
        let names = recipients.compactMap(\.name)
        let hello = fr ? "Bonjour" : "Hello"
        return names.isEmpty ? "\(hello)," : "\(hello) \(names.joined(separator: ", ")),"
    }

    /// What the RSSI will do, from what the digest found.
    static func rssiActions(alerts: [AlertsView.Alert], digest: CommuneDigest, reported: Bool, silentHosts: [String], fr: Bool) -> [String] {
        var out: [String] = []
        if !reported {
            out.append(fr
                ? "Je prends contact avec vous pour installer l'outil de contrôle sur vos serveurs, ou comprendre pourquoi aucun rapport ne nous parvient."
                : "I will contact you to install the checking tool on your servers, or to find out why no report reaches us.")
        }
        if !silentHosts.isEmpty {
            out.append(fr
                ? "Je vérifie avec votre prestataire pourquoi \(silentHosts.joined(separator: ", ")) n'envoie plus de rapport."
                : "I will check with your IT provider why \(silentHosts.joined(separator: ", ")) no longer reports.")
        }
        for alert in alerts where alert.kind == .agentCertificateExpired || alert.kind == .agentCertificateExpiring {
            let day = alert.date.map { fr ? SummaryBuilder.frenchDate($0) : String($0.prefix(10)) } ?? "?"
            out.append(fr
                ? "Je renouvelle le certificat de l'outil de contrôle de \(alert.host ?? "?") (\(alert.kind == .agentCertificateExpired ? "expiré le" : "valable jusqu'au") \(day)) : sans lui, ses rapports seraient refusés."
                : "I will renew the checking tool's certificate on \(alert.host ?? "?") (\(alert.kind == .agentCertificateExpired ? "expired on" : "valid until") \(day)): without it, its reports would be refused.")
        }
        if digest.certificates.contains(where: { $0.hasPrefix(fr ? "Date de fin non lue" : "End date not read") }) {
            out.append(fr
                ? "Je fais vérifier les certificats dont la date de fin n'a pas pu être lue."
                : "I will have the certificates whose end date could not be read checked.")
        }
        if !digest.incidents.isEmpty {
            out.append(fr
                ? "Je vous aide à préparer les déclarations d'incident à faire (`cyberctl incident draft`)."
                : "I will help you prepare the incident reports due (`cyberctl incident draft`).")
        }
        if alerts.contains(where: { $0.kind == .memberWithoutContact }) || digest.recipients.isEmpty {
            out.append(fr
                ? "Je complète les contacts de la commune dans notre annuaire : merci de me dire qui suit le numérique (DGS, élu référent)."
                : "I will complete the commune's contacts in our directory: please tell me who follows digital matters (DGS, élu référent).")
        }
        out.append(fr
            ? "Je vous envoie le prochain point le mois prochain, après les contrôles suivants."
            : "I will send you the next update next month, after the following checks.")
        return out
    }

    static func englishMeaning(_ level: Level) -> String {
        switch level {
        case .a: "Very good level: the essential protections are in place; they must be maintained."
        case .b: "Good level: a few points remain to be fixed, without major urgency."
        case .c: "Average level: real weaknesses exist; an action plan over a few months is needed."
        case .d: "Insufficient level: a common attack would have a good chance of succeeding; action is needed in the coming weeks."
        case .e: "Critical level: the authority is highly exposed; urgent measures are required."
        }
    }
}
