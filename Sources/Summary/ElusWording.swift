import Checks
import Foundation
import Model
import Territory

/// What the élus page states, as facts: its wording (`ElusWording`) is a function of these only, so
/// that every sentence follows from something true and the table of fact patterns in the tests covers it.
public struct ElusFacts: Sendable, Equatable {
    public enum Scope: Sendable, Equatable {
        /// One entity: gaps are counted in servers.
        case entity
        /// A territory: gaps are counted in members, named.
        case territory(noun: MemberNoun, members: Int)
    }

    /// A gap (a cap that applies): which, whether found or not verified, and who.
    public struct Gap: Sendable, Equatable {
        public var rule: CapRule
        public var state: CapState
        /// Territory: the members concerned, by name. Entity: the servers concerned (counted, never named).
        public var who: [String]
        /// Entity: how many servers it has (for "1 serveur sur 2").
        public var outOf: Int

        public init(rule: CapRule, state: CapState, who: [String], outOf: Int = 0) {
            self.rule = rule
            self.state = state
            self.who = who
            self.outOf = outOf
        }
    }

    public struct Trend: Sendable, Equatable {
        public var direction: ReadinessSummary.Trend.Direction
        /// French date (and time when the previous report is the same day) of the previous report.
        public var since: String?
        public var previousScore: Int?
        public var score: Int?
        public var previousLevel: String?
        public var level: String?
        /// Servers checked at the previous point and now (`TrendPoint.hosts`), when known.
        public var previousHosts: Int?
        public var hosts: Int?
        /// How many rules verified at the previous point the newest report did not verify (`LostChecks.codes`), and their
        /// domains: the direction is then `unverified` for a rise; a fall or a stable score is said with that caveat.
        public var lostChecks: Int
        public var lostDomains: [Domain]

        public init(direction: ReadinessSummary.Trend.Direction, since: String? = nil, previousScore: Int? = nil, score: Int? = nil,
                    previousLevel: String? = nil, level: String? = nil, previousHosts: Int? = nil, hosts: Int? = nil,
                    lostChecks: Int = 0, lostDomains: [Domain] = []) {
            self.lostChecks = lostChecks
            self.lostDomains = lostDomains
            self.direction = direction
            self.since = since
            self.previousScore = previousScore
            self.score = score
            self.previousLevel = previousLevel
            self.level = level
            self.previousHosts = previousHosts
            self.hosts = hosts
        }
    }

    public struct Incidents: Sendable, Equatable {
        public var open: Int
        /// French date of the oldest open incident's awareness.
        public var since: String?
        /// A legal deadline (NIS 2, CNIL) of an open incident is passed without the report being sent.
        public var overdue: Bool

        public init(open: Int, since: String? = nil, overdue: Bool = false) {
            self.open = open
            self.since = since
            self.overdue = overdue
        }
    }

    public var scope: Scope
    /// The level shown (capped), and the level the score alone gives.
    public var level: Level?
    public var scoreLevel: Level?
    public var gaps: [Gap]
    public var trend: Trend
    public var incidents: Incidents
    /// Members that never sent a report, by name (territory).
    public var neverReported: [String]
    /// Members silent for more than `silentAfterDays` (territory), by name; for an entity, its own name
    /// when its newest report is that old.
    public var silent: [String]
    public var silentAfterDays: Int
    /// Servers whose state is not known while their member is not wholly silent (one fresh server does not hide
    /// another): entity, by hostname; territory, « member (hostnames) ». Latest report older than `silentAfterDays`.
    public var silentServers: [String]
    /// Entity: servers whose every report was withdrawn (a revoked signer), by hostname.
    public var withdrawnServers: [String]
    /// Entity: French date of its newest report.
    public var lastReport: String?
    /// Territory: members whose organisation was not evaluated (questionnaire missing or unanswered),
    /// by name; entity: non-empty when its own was not.
    public var organisationNotEvaluated: [String]
    /// Entity: questionnaire items left without an answer (the organisation is then partly evaluated).
    public var unansweredItems: Int

    public init(
        scope: Scope, level: Level?, scoreLevel: Level?, gaps: [Gap] = [], trend: Trend = .init(direction: .first),
        incidents: Incidents = .init(open: 0), neverReported: [String] = [], silent: [String] = [], silentAfterDays: Int = 7,
        lastReport: String? = nil, organisationNotEvaluated: [String] = [], unansweredItems: Int = 0,
        silentServers: [String] = [], withdrawnServers: [String] = []
    ) {
        self.silentServers = silentServers
        self.withdrawnServers = withdrawnServers
        self.lastReport = lastReport
        self.scope = scope
        self.level = level
        self.scoreLevel = scoreLevel
        self.gaps = gaps
        self.trend = trend
        self.incidents = incidents
        self.neverReported = neverReported
        self.silent = silent
        self.silentAfterDays = silentAfterDays
        self.organisationNotEvaluated = organisationNotEvaluated
        self.unansweredItems = unansweredItems
    }
}

/// How the members of a territory are called: "commune" when they all are, else "collectivité".
public struct MemberNoun: Sendable, Equatable {
    public var singular: String
    public var plural: String
    /// "une" or "un" (both nouns are feminine; kept for clarity).
    public var article: String

    public static let commune = MemberNoun(singular: "commune", plural: "communes", article: "une")
    public static let collectivite = MemberNoun(singular: "collectivité", plural: "collectivités", article: "une")

    public static func of(kinds: [String?]) -> MemberNoun {
        !kinds.isEmpty && kinds.allSatisfy { $0 == "commune" } ? .commune : .collectivite
    }

    /// `1 commune`, `2 communes`.
    public func count(_ n: Int) -> String { "\(n) \(n == 1 ? singular : plural)" }
}

/// What the page says, sentence by sentence.
public struct ElusText: Sendable, Equatable {
    /// The level's meaning: never "bon" or "sans urgence" while a gap applies or an incident is open.
    public var meaning: String
    /// Why the level is lower than the score alone would give; nil when no cap lowers it.
    public var capNote: String?
    /// One sentence per gap, naming who (territory) or how many servers (entity).
    public var gaps: [String]
    public var trend: String
    public var incidents: String
    /// Members that never reported, or not for a while.
    public var silence: [String]
    /// The NIS 2 questionnaire not (or partly) answered: organisation not evaluated.
    public var organisation: String?
}

/// The élus page's wording rules (docs/territory.md, "The élus page"). Every sentence is a function of
/// `ElusFacts`; a table of fact patterns in the tests pins each.
public enum ElusWording {
    public static func text(_ facts: ElusFacts) -> ElusText {
        ElusText(
            meaning: meaning(facts), capNote: capNote(facts), gaps: facts.gaps.map { gap($0, scope: facts.scope) }, trend: trend(facts.trend),
            incidents: incidents(facts.incidents), silence: silence(facts), organisation: organisation(facts))
    }

    /// The level's meaning. A level is at most C while a gap applies (caps); with an open incident an A
    /// or B page says the incident comes first instead of "sans urgence".
    static func meaning(_ facts: ElusFacts) -> String {
        guard let level = facts.level else {
            return "Aucun contrôle exploitable n'a encore été reçu : le niveau ne peut pas être établi."
        }
        // Belt and braces: the caps already hold the level at C or below when a gap applies.
        let shown = facts.gaps.isEmpty || levelOrder(CapRule.unverifiedLevel, level) ? level : CapRule.unverifiedLevel
        if facts.incidents.open > 0 && (shown == .a || shown == .b) {
            return shown == .a
                ? "Très bon niveau de protection, mais un incident est en cours de traitement : il passe avant tout le reste."
                : "Bon niveau de protection, mais un incident est en cours de traitement : il passe avant tout le reste."
        }
        return PlainFrench.meaning(of: shown)
    }

    static func levelOrder(_ a: Level, _ b: Level) -> Bool {
        Level.allCases.firstIndex(of: a)! < Level.allCases.firstIndex(of: b)!
    }

    static func capNote(_ facts: ElusFacts) -> String? {
        guard let level = facts.level, let own = facts.scoreLevel, level != own else { return nil }
        return "La note seule donnerait le niveau \(own.rawValue) ; le niveau est limité à \(level.rawValue) tant que les manques ci-dessous ne sont pas réglés."
    }

    /// Names listed on the page before "et N autres" (the members' table names them all).
    public static let namesListed = 4

    /// `A`, `A et B`, `A, B et C`; past `namesListed`, `A, B, C, D et 3 autres (voir le tableau des membres)`.
    static func list(_ names: [String]) -> String {
        if names.count > namesListed {
            let rest = names.count - namesListed
            return names.prefix(namesListed).joined(separator: ", ") + " et \(rest) \(rest == 1 ? "autre" : "autres") (voir le tableau des membres)"
        }
        return names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " et " + names.last!
    }

    /// One gap in plain French.
    static func gap(_ gap: ElusFacts.Gap, scope: ElusFacts.Scope) -> String {
        switch scope {
        case .territory(let noun, let members):
            let n = gap.who.count
            let who = "\(noun.count(n)) sur \(members)"
            let names = n == 0 ? "" : " : \(list(gap.who))"
            let plural = n > 1
            switch (gap.rule, gap.state) {
            case (.backupNone, .gap): return "\(who) \(plural ? "n'ont" : "n'a") aucune sauvegarde\(names)."
            case (.backupSameStorage, .gap):
                return "\(who) \(plural ? "gardent leurs" : "garde ses") sauvegardes au même endroit que \(plural ? "leurs" : "ses") données\(names)."
            case (.certificateExpired, .gap):
                return "\(who) \(plural ? "ont" : "a") un certificat de sécurité expiré (site, messagerie ou autre service d'un serveur)\(names)."
            case (.osEndOfLife, .gap):
                return "\(who) \(plural ? "utilisent" : "utilise") un serveur dont le système n'est plus suivi par son éditeur\(names)."
            case (.securityUpdateLate, .gap):
                return "\(who) \(plural ? "ont" : "a") des correctifs de sécurité en attente depuis plus de \(CapRule.securityUpdateDays) jours\(names)."
            case (_, .unverified):
                return "\(subject(gap.rule).capitalizedFirst) de \(who) n'\(subjectIsPlural(gap.rule) ? "ont" : "a") pas pu être \(verified(gap.rule))\(names)."
            }
        case .entity:
            let servers = gap.outOf > 1 && !gap.who.isEmpty ? " sur \(gap.who.count) des \(gap.outOf) serveurs" : ""
            switch (gap.rule, gap.state) {
            case (.backupNone, .gap): return "Aucune sauvegarde n'a été trouvée\(servers.isEmpty ? "" : servers)."
            case (.backupSameStorage, .gap): return "Les sauvegardes sont gardées au même endroit que les données\(servers)."
            case (.certificateExpired, .gap): return "Un certificat de sécurité est expiré (site, messagerie ou autre service d'un serveur)."
            case (.osEndOfLife, .gap): return "Un serveur utilise un système qui n'est plus suivi par son éditeur."
            case (.securityUpdateLate, .gap): return "Des correctifs de sécurité attendent depuis plus de \(CapRule.securityUpdateDays) jours."
            case (_, .unverified):
                return "\(subject(gap.rule).capitalizedFirst) n'\(subjectIsPlural(gap.rule) ? "ont" : "a") pas pu être \(verified(gap.rule))\(servers)."
            }
        }
    }

    /// What a cap's input is about, in plain French ("les sauvegardes").
    static func subject(_ rule: CapRule) -> String {
        switch rule {
        case .backupNone: "les sauvegardes"
        case .backupSameStorage: "l'emplacement des sauvegardes"
        case .certificateExpired: "la validité des certificats de sécurité"
        case .osEndOfLife: "le suivi du système des serveurs par son éditeur"
        case .securityUpdateLate: "l'installation des correctifs de sécurité"
        }
    }

    static func subjectIsPlural(_ rule: CapRule) -> Bool { rule == .backupNone }

    static func verified(_ rule: CapRule) -> String { rule == .backupNone ? "vérifiées" : "vérifié" + (rule == .certificateExpired || rule == .securityUpdateLate ? "e" : "") }

    static func trend(_ trend: ElusFacts.Trend) -> String {
        guard trend.direction != .first, let since = trend.since, let before = trend.previousScore, let now = trend.score else {
            return "Premier bilan : l'évolution apparaîtra au prochain contrôle."
        }
        let change = "note \(before) → \(now) sur 100"
            + (trend.previousLevel != trend.level ? ", niveau \(trend.previousLevel ?? "—") → \(trend.level ?? "—")" : "")
        // Rules verified last time and not this time, said beside a fall or a stable score (a rise is `unverified`).
        let names = trend.lostDomains.map(PlainFrench.domainName)
        let domains = names.isEmpty ? "" : ", sur " + (names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " et " + names.last!)
        let n = trend.lostChecks
        let lost = n == 1 ? "1 vérification faite la fois précédente n'a pas pu l'être cette fois\(domains)"
            : "\(n) vérifications faites la fois précédente n'ont pas pu l'être cette fois\(domains)"
        let caveat = n > 0 ? " Attention : \(lost) ; la comparaison ne porte donc pas sur les mêmes points." : ""
        switch trend.direction {
        case .up: return "En progrès depuis le contrôle du \(since) (\(change))."
        case .down: return "En recul depuis le contrôle du \(since) (\(change)).\(caveat)"
        case .stable, .first: return "Stable depuis le contrôle du \(since) (\(change)).\(caveat)"
        case .perimeter:
            let servers = { (n: Int) in n == 1 ? "1 serveur" : "\(n) serveurs" }
            let count = trend.previousHosts.flatMap { old in trend.hosts.map { "de \(servers(old)) à \(servers($0))" } } ?? ""
            return "Depuis le contrôle du \(since), les serveurs contrôlés ont changé\(count.isEmpty ? "" : " (" + count + ")") : "
                + "la note n'est pas comparable d'un contrôle à l'autre (\(change)), ce n'est ni un progrès ni un recul en soi."
        case .unverified:
            let what = n > 0 ? lost : "des vérifications faites la fois précédente n'ont pas pu l'être cette fois"
            return "Depuis le contrôle du \(since), \(what) : la hausse (\(change)) peut venir de là et ne montre pas un progrès."
        }
    }

    static func incidents(_ incidents: ElusFacts.Incidents) -> String {
        guard incidents.open > 0 else { return "Aucun incident n'est en cours de traitement." }
        var out = incidents.open == 1
            ? "1 incident est en cours de traitement" + (incidents.since.map { " depuis le \($0)" } ?? "") + "."
            : "\(incidents.open) incidents sont en cours de traitement" + (incidents.since.map { ", le plus ancien depuis le \($0)" } ?? "") + "."
        out += incidents.overdue
            ? " Une déclaration obligatoire aux autorités n'a pas été faite dans le délai légal."
            : " Les déclarations obligatoires aux autorités sont dans les délais."
        return out
    }

    static func silence(_ facts: ElusFacts) -> [String] {
        var out: [String] = []
        switch facts.scope {
        case .territory(let noun, _):
            if !facts.neverReported.isEmpty {
                let n = facts.neverReported.count
                out.append("\(noun.count(n)) \(n == 1 ? "n'a" : "n'ont") jamais envoyé de contrôle : \(list(facts.neverReported)). Le niveau ne peut pas \(n == 1 ? "la" : "les") prendre en compte.")
            }
            if !facts.silent.isEmpty {
                let n = facts.silent.count
                out.append("\(noun.count(n)) \(n == 1 ? "n'a" : "n'ont") pas envoyé de contrôle depuis plus de \(facts.silentAfterDays) jours : \(list(facts.silent)). \(n == 1 ? "Sa" : "Leur") situation a pu changer.")
            }
            if !facts.silentServers.isEmpty {
                let n = facts.silentServers.count
                out.append("\(noun.count(n)) \(n == 1 ? "a" : "ont") au moins un serveur qui n'a pas envoyé de contrôle depuis plus de \(facts.silentAfterDays) jours : \(list(facts.silentServers)). L'état de ces serveurs n'est pas connu.")
            }
        case .entity:
            if !facts.silent.isEmpty {
                out.append(facts.lastReport.map { "Le dernier contrôle date du \($0), il y a plus de \(facts.silentAfterDays) jours : la situation a pu changer depuis." }
                    ?? "Aucun contrôle n'a été reçu depuis plus de \(facts.silentAfterDays) jours : la situation a pu changer depuis.")
            }
            if !facts.silentServers.isEmpty {
                let n = facts.silentServers.count
                out.append("\(n == 1 ? "1 serveur n'a" : "\(n) serveurs n'ont") pas envoyé de contrôle depuis plus de \(facts.silentAfterDays) jours : \(list(facts.silentServers)). \(n == 1 ? "Son" : "Leur") état actuel n'est pas connu.")
            }
            if !facts.withdrawnServers.isEmpty {
                let n = facts.withdrawnServers.count
                out.append("\(n == 1 ? "1 serveur n'a" : "\(n) serveurs n'ont") plus aucun contrôle valable, \(n == 1 ? "ses rapports ayant été retirés" : "leurs rapports ayant été retirés") (certificat de signature révoqué) : \(list(facts.withdrawnServers)). \(n == 1 ? "Son" : "Leur") état n'est pas connu.")
            }
        }
        return out
    }

    static func organisation(_ facts: ElusFacts) -> String? {
        switch facts.scope {
        case .territory(let noun, let members):
            guard !facts.organisationNotEvaluated.isEmpty else { return nil }
            let n = facts.organisationNotEvaluated.count
            return "\(noun.count(n)) sur \(members) \(n == 1 ? "n'a" : "n'ont") pas rempli le questionnaire d'organisation de la sécurité numérique : \(list(facts.organisationNotEvaluated)). \(n == 1 ? "Son" : "Leur") organisation n'est pas évaluée et compte pour zéro."
        case .entity:
            if !facts.organisationNotEvaluated.isEmpty {
                return "Le questionnaire d'organisation de la sécurité numérique n'a pas été rempli : l'organisation n'est pas évaluée et compte pour zéro."
            }
            if facts.unansweredItems > 0 {
                return "\(facts.unansweredItems) \(facts.unansweredItems == 1 ? "question du questionnaire d'organisation est restée" : "questions du questionnaire d'organisation sont restées") sans réponse : ces points ne sont pas évalués et comptent pour zéro."
            }
            return nil
        }
    }
}

extension String {
    /// The first letter in upper case.
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
