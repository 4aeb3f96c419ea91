import Agent
import Checks
import Foundation
import Incidents
import NIS2
import Model
import Territory

/// The one-page readiness summary for élus (issue 9): everything the page says, already in plain
/// French, so the renderers (HTML, Markdown) only lay it out.
public struct ReadinessSummary: Codable, Sendable {
    public enum Scope: String, Codable, Sendable { case entity, territory }

    public var scope: Scope
    /// `Commune de Plouzané`, or the intercommunalité's name for a territory.
    public var title: String
    public var siren: String?
    /// Date of the summary, `29 novembre 2026`.
    public var date: String
    /// Level A–E shown (the score's level, no better than the caps: `CapRule`) and overall score 0–100
    /// (the one formula, `Scoring`; a territory's is its members' mean); nil when nothing was scored.
    public var level: String?
    public var score: Int?
    /// The level the score alone gives (differs from `level` when a cap lowers it).
    public var scoreLevel: String?
    /// One sentence on what the level means (`ElusWording`): never "bon" while a gap applies.
    public var meaning: String
    /// Why the level is lower than the score alone gives; nil when no cap lowers it.
    public var capNote: String?
    /// The critical gaps, in plain French, naming who is concerned.
    public var gaps: [String]
    public var trend: Trend
    /// Open incidents: how many, since when, whether a legal deadline is passed.
    public var incidents: String
    /// Members that never reported, or not for a while.
    public var silence: [String]
    /// The NIS 2 questionnaire not (or partly) answered.
    public var organisation: String?
    /// Cautions on the reading (checks that could not run).
    public var cautions: [String]
    /// At most three, most score gained first.
    public var priorities: [Priority]
    /// What the page says when `priorities` is empty: "nothing to fix" only when everything could be verified.
    public var noPriorities: String
    public var nis2: NIS2Status
    public var decisions: [Decision]
    public var csirt: CSIRTContact
    /// For a territory: every member entity with its level and trend, by name.
    public var members: [Member]

    public struct Trend: Codable, Sendable {
        /// `perimeter`: the number of servers checked changed since the previous point, so the two scores do not
        /// measure the same thing (a server added can raise the mean without anything being fixed).
        /// `unverified`: the same servers and a higher score, but rules verified at the previous point were not verified
        /// by the newest report (they erred, were skipped or were left out: `LostChecks`), so the rise may come from that
        /// alone (a failing rule left out raises the score without anything being fixed): not called progress.
        public enum Direction: String, Codable, Sendable { case first, up, stable, down, perimeter, unverified }
        public var direction: Direction
        /// Day of the previous point compared with (`YYYY-MM-DD`).
        public var since: String?
        public var previousScore: Int?
        public var previousLevel: String?
        public var sentence: String
    }

    public struct Priority: Codable, Sendable {
        public var action: String
        public var why: String
        public var who: String
        public var effort: String
        public var cost: String
        /// Rule codes behind it (kept for the RSSI; never printed on the page).
        public var codes: [String]
        /// Points the overall score would gain.
        public var gain: Double
    }

    public struct NIS2Status: Codable, Sendable {
        /// `essentielle`, `importante`, `non-regulee`, `selon-activite`, nil when undecided.
        public var category: String?
        /// `Entité importante`, `Non concernée en tant que collectivité`, `À préciser`.
        public var label: String
        /// What it implies for the council.
        public var implications: String
    }

    public struct Decision: Codable, Sendable {
        public var decision: String
        public var why: String
    }

    public struct Member: Codable, Sendable {
        public var name: String
        public var siren: String
        /// The level shown (capped); nil when nothing was verified or nothing was received.
        public var level: String?
        public var score: Int?
        public var trend: Trend.Direction
        /// Days since the newest report; nil when the member never reported.
        public var ageDays: Int?
        /// The harshest gap, in plain French ("aucune sauvegarde"); nil when none.
        public var gap: String?
        /// False for a roster member that never sent a report.
        public var reported: Bool
    }
}

/// Builds summaries from the territory store, the NIS 2 applicability table and, when given, the
/// entity's NIS 2 answers.
public struct SummaryBuilder: Sendable {
    public let views: TerritoryViews
    public let scopeRules: ScopeRules
    public let answers: AnswersFile?

    /// A trend within this many points either way is "stable".
    public static let stableBand = 2

    public init(views: TerritoryViews, scopeRules: ScopeRules, answers: AnswersFile? = nil) {
        self.views = views
        self.scopeRules = scopeRules
        self.answers = answers
    }

    // MARK: entity

    /// The page for one entity.
    /// - Throws: `InputError(.missing)` when the store has no report for `siren`; `InputError(.invalidData)`
    ///   when the answers file names another SIREN.
    public func entity(_ siren: String) throws -> ReadinessSummary {
        let detail = try views.entity(siren)
        if let other = answers?.entity.siren, other != siren {
            throw InputError(.invalidData, fr: "le fichier de réponses est celui du SIREN \(other), pas de \(siren)", en: "the answers file is for SIREN \(other), not \(siren)")
        }
        let roster = try views.store.roster()
        // The roster's declaration first, its empty fields from the newest report (ResolvedIdentity).
        let resolved = try views.resolvedIdentities()[siren]
        let identity = resolved?.entity ?? Entity(name: detail.name, siren: siren)
        let results = detail.results.map {
            CheckResult(check: $0.check, target: $0.target, code: $0.code, status: $0.status, severity: $0.severity)
        }
        // The one ranking: Scoring.bestFixes over every latest result, grouped into plain actions.
        let gains = Scoring.bestFixes(results, limit: Int.max).map { (code: $0.result.code, gain: $0.exactGain) }
        let priorities = Self.priorities(gains)
        // What the entity declared in its NIS 2 answers, as its agent reported them (org.nis2.<item>).
        var declared: [String: Bool] = [:]
        for result in results where result.code.hasPrefix("org.nis2.") && result.status.isScored {
            declared[String(result.code.dropFirst("org.nis2.".count))] = result.status.isFinding
        }
        let level = detail.score.level.flatMap(Level.init(rawValue:))
        var cautions: [String] = []
        if let caution = Self.coverageCaution(detail.score.coverage) { cautions.append(caution) }
        if let caution = Self.notEvaluatedCaution(detail.score.notEvaluated.filter { $0 != Domain.organisation.rawValue }) { cautions.append(caution) }
        if let caution = Self.identityCaution(resolved?.disagreements ?? []) { cautions.append(caution) }
        let nis2 = nis2Status(facts: facts(identity, hasCommuneOver30000: nil))
        let findings = Set(results.filter(\.status.isFinding).map(\.code))
        let points = try views.entityTrend(siren: siren)
        let lost = try lostChecks(siren, points: points)
        let name = identity.name ?? detail.name ?? "SIREN \(siren)"
        let unanswered = detail.results.filter { result in
            guard result.code.hasPrefix("org.nis2."), result.status == .error, case .object(let evidence) = result.evidence else { return false }
            return evidence["unanswered"] == .bool(true)
        }.count
        let facts = ElusFacts(
            scope: .entity, level: level, scoreLevel: detail.score.scoreLevel.flatMap(Level.init(rawValue:)),
            gaps: detail.score.caps.compactMap { cap in
                guard let rule = CapRule(rawValue: cap.rule), let state = CapState(rawValue: cap.state) else { return nil }
                return ElusFacts.Gap(rule: rule, state: state, who: cap.hosts, outOf: detail.hosts)
            },
            trend: Self.trendFacts(points, score: detail.score.score, level: detail.score.level, lost: lost),
            incidents: try incidentFacts { $0 == siren },
            silent: detail.stale ? [name] : [], silentAfterDays: roster?.silentAfterDays ?? Roster.defaultSilentAfterDays,
            lastReport: detail.reports.map(\.generatedAt).max().map { Self.frenchDate(String($0.prefix(10))) },
            organisationNotEvaluated: detail.score.notEvaluated.contains(Domain.organisation.rawValue) ? [name] : [],
            unansweredItems: unanswered,
            // Per server, unless the entity as a whole is said silent (its newest report, every server then).
            silentServers: detail.stale ? [] : detail.silentHosts.filter { !$0.withdrawn }.map(\.host),
            withdrawnServers: detail.silentHosts.filter(\.withdrawn).map(\.host))
        let text = ElusWording.text(facts)
        let supportEnded = results.contains { $0.code == "patch.os-eol" && $0.status == .fail }
        return ReadinessSummary(
            scope: .entity, title: name, siren: siren, date: Self.frenchDate(views.now),
            level: level?.rawValue, score: detail.score.score, scoreLevel: detail.score.scoreLevel, meaning: text.meaning, capNote: text.capNote,
            gaps: text.gaps, trend: Self.trend(facts.trend, text: text.trend), incidents: text.incidents, silence: text.silence,
            organisation: text.organisation, cautions: cautions, priorities: priorities,
            noPriorities: Self.noPrioritiesSentence(
                coverage: detail.score.coverage, findings: !findings.isEmpty,
                gaps: detail.score.caps.contains { CapState(rawValue: $0.state) == .gap },
                unverified: !detail.silentHosts.isEmpty || detail.score.caps.contains { CapState(rawValue: $0.state) == .unverified }), nis2: nis2,
            decisions: decisions(findings: findings, declared: declared, nis2: nis2, level: level, territory: false, supportEnded: supportEnded),
            csirt: RegionalCSIRT.contact(region: identity.region, departement: identity.departement) ?? RegionalCSIRT.national,
            members: [])
    }

    // MARK: territory

    /// The page for the territory (the declared roster's members, or every entity in the store without
    /// one), then one row per member, those that never reported included.
    /// - Throws: `InputError(.missing)` when no member has a report.
    public func territory() throws -> ReadinessSummary {
        let status = try views.status(fixes: 12)
        let memberRows = status.entities.filter(\.inPerimeter)
        guard !memberRows.isEmpty else {
            throw InputError(
                .missing, fr: "la base du territoire ne contient encore aucun rapport de ses membres ; lancez d'abord `cyberctl consolidate DOSSIER…`",
                en: "the territory store holds no report of the territory's members yet; run `cyberctl consolidate DIR…` first")
        }
        let resolved = try views.resolvedIdentities()
        let identities = resolved.mapValues(\.entity)
        let roster = try views.store.roster()
        // The grouping: the declared one, else the largest intercommunalité in the store.
        let groupingKinds: Set<String> = ["cc", "ca", "cu", "metropole"]
        let grouping = roster.map { identities[$0.territory.siren] ?? $0.territory.entity }
            ?? identities.values.filter { groupingKinds.contains($0.kind ?? "") }
                .max { ($0.population ?? 0, $1.siren ?? "") < ($1.population ?? 0, $0.siren ?? "") }
        if let other = answers?.entity.siren, let siren = grouping?.siren, other != siren {
            throw InputError(
                .invalidData, fr: "le fichier de réponses est celui du SIREN \(other), pas de l'intercommunalité \(siren)",
                en: "the answers file is for SIREN \(other), not the intercommunalité \(siren)")
        }
        func kind(_ siren: String) -> String? { roster?.member(siren)?.kind ?? identities[siren]?.kind }
        let communes = memberRows.map(\.siren).compactMap { roster?.member($0)?.entity ?? identities[$0] }.filter { $0.kind == "commune" }
        let over30000: Bool? = communes.contains { ($0.population ?? 0) > 30_000 } ? true : nil
        let gains = status.fixes.map { (code: $0.code, gain: $0.gain) }
        let t = status.territory
        let level = t.score.level.flatMap(Level.init(rawValue:))
        var cautions: [String] = []
        if let caution = Self.coverageCaution(t.score.coverage) { cautions.append(caution) }
        let contradicted = memberRows.filter { !(resolved[$0.siren]?.disagreements.isEmpty ?? true) }.map { $0.name ?? "SIREN \($0.siren)" }
        if let caution = Self.membersIdentityCaution(contradicted) { cautions.append(caution) }
        let nis2: ReadinessSummary.NIS2Status
        if let grouping, grouping.kind != nil {
            nis2 = nis2Status(facts: facts(grouping, hasCommuneOver30000: over30000))
        } else {
            nis2 = .init(
                category: nil, label: "À préciser",
                implications: "L'intercommunalité elle-même n'a pas encore envoyé de contrôle : son statut dépend de sa forme et de la taille de ses communes. Une communauté de communes serait entité importante, une communauté d'agglomération entité importante ou essentielle. Dans ces cas, \(Self.article20Body) Le texte français est encore en cours d'adoption : le périmètre peut changer.")
        }
        let trends = try views.trends()
        // The rules each member's hosts no longer verified since the member's comparison point, read only where they change
        // its direction in the table (a rise: the table shows no caveat beside a fall or a flat score); the territory's
        // own: every member's hosts since the territory's comparison point, read likewise only when it would say a rise
        // (the cost is a comparison per host that reported since: 0.4 s for 3,000 hosts).
        var since: [String: Int64] = [:]
        for row in memberRows {
            let points = trends.members[row.siren] ?? []
            guard Self.trendFacts(points, score: row.score.score, level: row.score.level).direction == .up,
                  let time = Self.comparisonTime(points) else { continue }
            since[row.siren] = time
        }
        let lost = try views.lostChecks(since: since)
        var territoryLost: LostChecks?
        if Self.trendFacts(trends.territory.points, score: t.score.score, level: t.score.level).direction == .up,
           let time = Self.comparisonTime(trends.territory.points) {
            let codes = try views.lostChecks(since: Dictionary(uniqueKeysWithValues: memberRows.map { ($0.siren, time) })).values.flatMap(\.codes)
            territoryLost = LostChecks(codes: Array(Set(codes)))
        }
        var members: [ReadinessSummary.Member] = []
        for row in memberRows {
            members.append(.init(
                name: row.name ?? "SIREN \(row.siren)", siren: row.siren, level: row.score.level, score: row.score.score,
                trend: Self.trendFacts(trends.members[row.siren] ?? [], score: row.score.score, level: row.score.level, lost: lost[row.siren]).direction,
                ageDays: row.ageDays, gap: row.score.caps.first.flatMap(Self.shortGap), reported: true))
        }
        for silent in status.neverReported {
            members.append(.init(name: silent.name, siren: silent.siren, level: nil, score: nil, trend: .first, ageDays: nil, gap: nil, reported: false))
        }
        // By name as people sort them: accents and case ignored, numbers by value (« 2 » before « 10 »).
        members.sort {
            switch $0.name.compare($1.name, options: [.caseInsensitive, .diacriticInsensitive, .numeric]) {
            case .orderedAscending: return true
            case .orderedDescending: return false
            case .orderedSame: return $0.siren < $1.siren
            }
        }
        let noun = MemberNoun.of(kinds: memberRows.map { kind($0.siren) } + status.neverReported.map(\.kind))
        let sirens = Set(memberRows.map(\.siren))
        // Members not wholly silent with a server that is (one fresh server does not hide another), by name.
        let serversBySiren = try views.silentServers()
        let silentServers = memberRows.filter { !$0.stale }.compactMap { row in
            serversBySiren[row.siren].map { "\(row.name ?? row.siren) (\($0.joined(separator: ", ")))" }
        }.sorted()
        let facts = ElusFacts(
            scope: .territory(noun: noun, members: memberRows.count), level: level, scoreLevel: t.score.scoreLevel.flatMap(Level.init(rawValue:)),
            gaps: t.domains.flatMap(\.gaps).compactMap { gap in
                guard let rule = CapRule(rawValue: gap.rule), let state = CapState(rawValue: gap.state) else { return nil }
                return ElusFacts.Gap(rule: rule, state: state, who: gap.members)
            }.sorted { CapRule.allCases.firstIndex(of: $0.rule)! < CapRule.allCases.firstIndex(of: $1.rule)! },
            trend: Self.trendFacts(trends.territory.points, score: t.score.score, level: t.score.level, lost: territoryLost),
            incidents: try incidentFacts { $0.map { sirens.contains($0) } ?? true },
            neverReported: status.neverReported.map(\.name), silent: memberRows.filter(\.stale).map { $0.name ?? $0.siren },
            silentAfterDays: t.silentAfterDays,
            organisationNotEvaluated: memberRows.filter { $0.score.notEvaluated.contains(Domain.organisation.rawValue) }.map { $0.name ?? $0.siren }.sorted(),
            silentServers: silentServers)
        let text = ElusWording.text(facts)
        // Findings anywhere in the territory, for the decisions.
        let territoryFindings = try views.findings(affectedLimit: 0).findings.filter { $0.results > 0 }
        let findings = Set(territoryFindings.map(\.code))
        // patch.os-eol fails with severity high once security support has ended, and warns with severity
        // medium in an extended phase (Debian LTS, Ubuntu ESM) or near the end (EndOfSupport.swift).
        let supportEnded = territoryFindings.contains { $0.code == "patch.os-eol" && $0.severity >= .high }
        var decisions = decisions(findings: findings, declared: [:], nis2: nis2, level: level, territory: true, supportEnded: supportEnded)
        let behind = members.filter { $0.level == "D" || $0.level == "E" }.count
        if !status.neverReported.isEmpty && decisions.count < 5 {
            let n = status.neverReported.count
            decisions.insert(.init(
                decision: "Obtenir un premier contrôle \(n == 1 ? "de la \(noun.singular) qui n'en a" : "des \(noun.count(n)) qui n'en ont") jamais envoyé",
                why: "Une collectivité dont on ne sait rien peut être la porte d'entrée d'une attaque sur les services partagés."), at: 0)
        }
        if behind > 0 && decisions.count < 5 {
            decisions.append(.init(
                decision: "Proposer un accompagnement renforcé \(behind == 1 ? "à la \(noun.singular)" : "aux \(noun.count(behind))") de niveau D ou E",
                why: "Une collectivité mal protégée expose aussi les services partagés du territoire."))
        }
        let place = grouping ?? Self.mostCommonPlace(identities.values)
        return ReadinessSummary(
            scope: .territory,
            title: grouping?.name ?? "Territoire (\(noun.count(t.members)))", siren: grouping?.siren,
            date: Self.frenchDate(views.now), level: level?.rawValue, score: t.score.score, scoreLevel: t.score.scoreLevel,
            meaning: text.meaning, capNote: text.capNote, gaps: text.gaps, trend: Self.trend(facts.trend, text: text.trend),
            incidents: text.incidents, silence: text.silence, organisation: text.organisation, cautions: cautions,
            priorities: Self.priorities(gains),
            noPriorities: Self.noPrioritiesSentence(
                coverage: t.score.coverage, findings: !findings.isEmpty,
                gaps: memberRows.contains { $0.score.caps.contains { CapState(rawValue: $0.state) == .gap } },
                unverified: !status.neverReported.isEmpty || !silentServers.isEmpty || memberRows.contains { $0.score.caps.contains { CapState(rawValue: $0.state) == .unverified } }),
            nis2: nis2,
            decisions: Array(decisions.prefix(5)),
            csirt: RegionalCSIRT.contact(region: place?.region, departement: place?.departement) ?? RegionalCSIRT.national,
            members: members)
    }

    /// A member's harshest gap in a few plain words, for the members table.
    static func shortGap(_ cap: AppliedCap) -> String? {
        guard let rule = CapRule(rawValue: cap.rule), let state = CapState(rawValue: cap.state) else { return nil }
        switch (rule, state) {
        case (.backupNone, .gap): return "Aucune sauvegarde"
        case (.backupNone, .unverified): return "Sauvegardes non vérifiées"
        case (.backupSameStorage, .gap): return "Sauvegardes au même endroit que les données"
        case (.backupSameStorage, .unverified): return "Emplacement des sauvegardes non vérifié"
        case (.certificateExpired, .gap): return "Certificat de sécurité expiré"
        case (.certificateExpired, .unverified): return "Validité des certificats non vérifiée"
        case (.osEndOfLife, .gap): return "Système plus suivi par son éditeur"
        case (.osEndOfLife, .unverified): return "Suivi du système non vérifié"
        case (.securityUpdateLate, .gap): return "Correctifs en attente depuis plus de \(CapRule.securityUpdateDays) jours"
        case (.securityUpdateLate, .unverified): return "Correctifs de sécurité non vérifiés"
        }
    }

    /// Open incidents of the entities `concerns` accepts (an incident without SIREN is the territory's).
    func incidentFacts(_ concerns: (String?) -> Bool) throws -> ElusFacts.Incidents {
        let open = try views.store.incidents(openOnly: true).filter { concerns($0.siren) }
        guard let oldest = open.map(\.awareAt).min() else { return .init(open: 0) }
        let overdue = open.contains { incident in incident.deadlines(now: views.now).contains { $0.state == .overdue } }
        return .init(open: open.count, since: Self.frenchDate(IncidentClock.iso(oldest)), overdue: overdue)
    }

    // MARK: parts

    /// Groups ranked fixes (best first) into at most three distinct plain actions. Actions that are the
    /// council's own (name an élu référent, a deliberation, training, replacing servers) are left to the
    /// decisions section rather than listed twice.
    static func priorities(_ gains: [(code: String, gain: Double)]) -> [ReadinessSummary.Priority] {
        var out: [ReadinessSummary.Priority] = []
        for (code, gain) in gains where gain > 0 || out.count < 3 {
            let action = PlainFrench.action(for: code)
            if action.who == .council { continue }
            if let index = out.firstIndex(where: { $0.action == action.action }) {
                if !out[index].codes.contains(code) { out[index].codes.append(code) }
                out[index].gain += gain
                continue
            }
            guard out.count < 3 else { continue }
            out.append(.init(
                action: action.action, why: action.why, who: action.who.french, effort: action.effortFrench, cost: action.cost.french,
                codes: [code], gain: gain))
        }
        return out
    }

    func facts(_ identity: Entity, hasCommuneOver30000: Bool?) -> ScopeFacts? {
        guard let kind = identity.kind ?? answers?.entity.kind else { return nil }
        return ScopeFacts(
            kind: kind, population: identity.population ?? answers?.entity.population,
            hasCommuneOver30000: answers?.entity.hasCommuneOver30000 ?? hasCommuneOver30000)
    }

    /// Directive 2022/2555 Art. 20: management bodies approve the measures and oversee them (20(1)), can be
    /// held liable (20(1)), and must follow training (20(2)).
    static let article20Body = "l'exécutif approuve les mesures de sécurité et suit leur mise en œuvre ; il en est responsable et peut en répondre en cas de manquement ; ses membres doivent suivre une formation (article 20 de la directive)."
    static let article20 = "Pour le conseil, cela veut dire : " + article20Body

    func nis2Status(facts: ScopeFacts?) -> ReadinessSummary.NIS2Status {
        let pending = "Le texte français est encore en cours d'adoption : le périmètre peut changer."
        guard let facts else {
            return .init(category: nil, label: "À préciser",
                         implications: "Le type de collectivité n'est pas indiqué dans les contrôles reçus ; le statut ne peut pas être établi. \(pending)")
        }
        let decision = scopeRules.decide(facts)
        switch decision.category {
        case .essentielle?:
            return .init(category: "essentielle", label: "Entité essentielle",
                         implications: "La collectivité entre dans la directive européenne NIS 2 comme entité essentielle, avec les obligations les plus complètes et des contrôles de l'État. \(Self.article20) \(pending)")
        case .importante?:
            return .init(category: "importante", label: "Entité importante",
                         implications: "La collectivité entre dans la directive européenne NIS 2 comme entité importante. \(Self.article20) \(pending)")
        case .nonRegulee?:
            return .init(category: "non-regulee", label: "Non concernée en tant que collectivité",
                         implications: "La directive européenne NIS 2 ne s'impose pas à la collectivité en tant que telle ; une activité comme l'eau ou l'énergie peut toutefois l'y faire entrer. Les mêmes mesures restent la meilleure protection, et le conseil reste responsable de la continuité du service public. \(pending)")
        case .selonActivite?:
            return .init(category: "selon-activite", label: "Selon l'activité exercée",
                         implications: "Le statut dépend de l'activité exercée (eau, assainissement, énergie…) : à vérifier avec le service mutualisé. Si la structure est concernée, \(Self.article20Body) \(pending)")
        case nil:
            let missing = decision.missingFacts.map { $0 == "population" ? "le nombre d'habitants" : "la présence d'une commune membre de plus de 30 000 habitants" }
            return .init(category: nil, label: "À préciser",
                         implications: "Entité essentielle ou importante selon \(missing.joined(separator: " et ")), qui manque aux contrôles reçus. Dans les deux cas, \(Self.article20Body) \(pending)")
        }
    }

    /// The decisions asked of the council, from the findings, the NIS 2 status and the answers: the
    /// `--answers` file when given, else what the entity's agent reported (`declared`: item id → not in
    /// place). At most five, most pressing first. `supportEnded`: a server's system gets no security fix
    /// any more (`patch.os-eol` failed); a `patch.os-eol` warning alone (Debian LTS, Ubuntu ESM, end near)
    /// asks for a planned upgrade, not a replacement.
    func decisions(
        findings: Set<String>, declared: [String: Bool], nis2: ReadinessSummary.NIS2Status, level: Level?, territory: Bool,
        supportEnded: Bool = false
    ) -> [ReadinessSummary.Decision] {
        /// true when the answers say the item is not in place; nil when nothing is known of it.
        func missing(_ item: String) -> Bool? {
            guard let answers else { return declared[item] }
            guard let answer = answers.answers[item] else { return true }
            return answer.status != .oui && answer.status != .sansObjet
        }
        let regulated = nis2.category == "essentielle" || nis2.category == "importante" || nis2.category == nil
        var out: [ReadinessSummary.Decision] = []
        switch missing("art20.elu-referent") {
        case true?: out.append(.init(decision: "Désigner un élu référent pour la sécurité numérique", why: "Personne n'est aujourd'hui chargé de suivre le sujet pour le conseil."))
        case nil: out.append(.init(decision: "Désigner un élu référent pour la sécurité numérique, si ce n'est pas déjà fait", why: "Il suit le sujet, arbitre avec les services et rend compte au conseil."))
        case false?: break
        }
        let backupCodes: Set<String> = ["backup.offline-copy", "backup.separate-storage", "backup.offsite", "backup.present"]
        if !findings.isDisjoint(with: backupCodes) || missing("c.sauvegardes-hors-ligne") == true {
            out.append(.init(decision: "Financer une copie des sauvegardes hors ligne (de l'ordre de 1 000 à 5 000 €)", why: "C'est ce qui permet de repartir après une attaque par rançongiciel sans payer de rançon."))
        }
        if (findings.contains("patch.os-eol") && supportEnded) || missing("e.fin-de-support") == true {
            out.append(.init(decision: "Inscrire au budget le remplacement des serveurs qui ne sont plus suivis par leur éditeur", why: "Leurs failles ne seront plus jamais corrigées."))
        } else if findings.contains("patch.os-eol") {
            out.append(.init(
                decision: "Planifier la mise à niveau des serveurs dont le système arrive en fin de support",
                why: "Pendant le support prolongé (LTS de Debian, ESM d'Ubuntu), des correctifs de sécurité arrivent encore, mais pour une partie seulement des logiciels et jusqu'à une date fixée : la mise à niveau doit être faite avant."))
        }
        if regulated {
            if missing("art20.strategie-deliberee") != false {
                out.append(.init(decision: "Approuver par délibération le plan de sécurité numérique et en demander un bilan chaque année", why: "Le conseil approuve les mesures et en répond (directive NIS 2, article 20)."))
            }
            if missing("art20.formation-elus") != false {
                out.append(.init(decision: "Inscrire les élus de l'exécutif à une formation aux risques numériques", why: "Les dirigeants doivent être formés (directive NIS 2, article 20)."))
            }
        } else if missing("art20.formation-elus") == true {
            out.append(.init(decision: "Inscrire l'élu référent à une formation aux risques numériques", why: "Pour pouvoir juger des mesures proposées par les services."))
        }
        if !territory {
            let join = missing("d.convention-mutualisation")
            if join == true || (join == nil && (level == .d || level == .e)) {
                out.append(.init(decision: "Adhérer au service numérique mutualisé de l'intercommunalité, ou renforcer la convention existante", why: "Une petite collectivité ne peut pas assurer seule une surveillance et une réponse aux attaques."))
            }
        }
        if answers == nil && declared.isEmpty && out.count < 5 {
            out.append(.init(decision: "Demander à la direction de remplir le questionnaire d'organisation de la sécurité numérique", why: "Il complète ce bilan technique par l'organisation (responsables, procédures, formation)."))
        }
        return Array(out.prefix(5))
    }

    /// Names the domains where nothing could be verified: they count 0, and the page says why.
    static func notEvaluatedCaution(_ domains: [String]) -> String? {
        guard !domains.isEmpty else { return nil }
        let names = domains.compactMap(Domain.init(rawValue:)).map(PlainFrench.domainName)
        guard !names.isEmpty else { return nil }
        let list = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " et " + names.last!
        return "Non évalué : \(list). Ces contrôles n'ont pas pu être menés ; ils comptent pour zéro dans le niveau tant qu'ils ne sont pas vérifiés."
    }

    /// The sentence in place of the priorities when there are none: with nothing verified (coverage 0) there is
    /// no priority to give, not "nothing to fix"; with part of the checks not run, "nothing found" is said of what
    /// could be verified only.
    /// What the page says when no technical priority is listed. "Nothing to fix" only when the controls found nothing
    /// (`findings` and `gaps` false) and could verify everything; when they found something whose remedy is the
    /// council's (replacing an unsupported system, NIS 2 organisation items: `PlainFrench` actions of `.council`), the
    /// page sends to the council's decisions instead.
    /// `unverified`: a cap could not be verified (no backup result, no end-of-support result…): what was not checked
    /// is no reassurance either.
    static func noPrioritiesSentence(coverage: Double, findings: Bool, gaps: Bool, unverified: Bool) -> String {
        if findings || gaps {
            return "Les écarts relevés ci-dessus ne se corrigent pas par une action technique rapide : ils demandent une décision du conseil (voir « Les décisions demandées au conseil »)."
        }
        if coverage <= 0 { return "Aucune priorité ne peut être donnée : les derniers contrôles n'ont rien pu vérifier." }
        if coverage < 1 || unverified {
            return "Aucun point à corriger n'a été relevé parmi ce qui a pu être vérifié ; le reste n'a pas pu l'être."
        }
        return "Aucun point à corriger n'a été relevé par les derniers contrôles."
    }

    /// Said when the entity's newest report describes it otherwise than the roster: the page follows the roster.
    static func identityCaution(_ disagreements: [IdentityDisagreement]) -> String? {
        guard !disagreements.isEmpty else { return nil }
        let list = disagreements.map { $0.text(english: false) }.joined(separator: " ; ")
        return "Le dernier contrôle reçu décrit l'entité autrement que le périmètre déclaré par le RSSI (\(list)) : cette page suit le périmètre déclaré ; la configuration de l'agent est à corriger."
    }

    /// Said on the territory page when members' newest reports describe them otherwise than the roster.
    static func membersIdentityCaution(_ names: [String]) -> String? {
        guard !names.isEmpty else { return nil }
        let shown = names.sorted().prefix(5).joined(separator: ", ") + (names.count > 5 ? "…" : "")
        return "Pour \(names.count) membre(s) (\(shown)), le dernier contrôle reçu décrit l'entité autrement que le périmètre déclaré par le RSSI : cette page suit le périmètre déclaré ; la configuration de leur agent est à corriger."
    }

    static func coverageCaution(_ coverage: Double) -> String? {
        guard coverage < 0.8 else { return nil }
        let missing = Int(((1 - coverage) * 100).rounded())
        return "Environ \(missing) % des contrôles n'ont pas pu être menés : le niveau pourrait être différent une fois ces points vérifiés."
    }

    /// The point the élus trend compares the current state with, as an index in `points` (one point per report, oldest
    /// first): the newest point of a day (local time, `IncidentClock`) before the last point's, or the first point when
    /// every point is of that day; nil with fewer than two points. A day, not the point before the last: with several
    /// servers, the point before the last is often another server's report of the same day, and a caveat (a rise from
    /// checks lost on one server) would be washed away by the next server's unchanged report an hour later.
    static func comparisonIndex(_ points: [TrendPoint]) -> Int? {
        guard points.count >= 2, let last = points.last.flatMap({ ISO8601.date(from: $0.at) }) else { return nil }
        let lastDay = IncidentClock.local(last).prefix(10)
        for index in stride(from: points.count - 2, through: 0, by: -1) {
            guard let time = ISO8601.date(from: points[index].at) else { continue }
            if IncidentClock.local(time).prefix(10) < lastDay { return index }
        }
        return 0
    }

    /// The generation time (seconds since 1970) of `comparisonIndex`'s point, for `TerritoryViews.lostChecks(since:)`.
    static func comparisonTime(_ points: [TrendPoint]) -> Int64? {
        guard let index = comparisonIndex(points), let time = ISO8601.date(from: points[index].at) else { return nil }
        return Int64(time.timeIntervalSince1970)
    }

    /// The rules entity `siren`'s hosts no longer verified since its trend's comparison point (`comparisonIndex`):
    /// each host's latest report against its report as it stood then. Nil when the trend has fewer than two points.
    /// - Throws: the store's `InputError(.io)`.
    func lostChecks(_ siren: String, points: [TrendPoint]) throws -> LostChecks? {
        guard let time = Self.comparisonTime(points) else { return nil }
        return try views.lostChecks(since: [siren: time])[siren]
    }

    /// The current score and level against the comparison point (`comparisonIndex`: the last point of an earlier day):
    /// "depuis le contrôle du …" names that point's report, with its time when it is the same day as the newest one
    /// (every point of one day). `lost`: the rules the hosts no longer verified since that point
    /// (`TerritoryViews.lostChecks(since:)`, over the entity's hosts or, for a territory, every member's).
    ///
    /// The direction is `perimeter` when the servers counted changed. Else, when a rule was lost and the score rose, it is
    /// `unverified` ("not comparable"), never `up`: a failing rule left out or skipped drops its weight and raises the score
    /// with nothing fixed, so the rise may be that alone. When the score fell or held, the direction stays `down` or
    /// `stable` and the rules lost are kept (`lostChecks`), for the sentence to say so beside it: a fall with a check gone
    /// blind may be a real setback (a new failure) as much as the loss itself (an error weighs and earns nothing), and
    /// "ni un progrès ni un recul" would then hide a real setback — the worse error for the reader, who is told to
    /// look rather than reassured.
    static func trendFacts(_ points: [TrendPoint], score: Int?, level: String?, lost: LostChecks? = nil) -> ElusFacts.Trend {
        guard let index = comparisonIndex(points), let current = score, let before = points[index].score,
              let previousTime = ISO8601.date(from: points[index].at), let lastTime = ISO8601.date(from: points[points.count - 1].at)
        else { return .init(direction: .first) }
        let previous = points[index]
        let previousLocal = IncidentClock.local(previousTime), lastLocal = IncidentClock.local(lastTime)
        var since = frenchDate(String(previousLocal.prefix(10)))
        if previousLocal.prefix(10) == lastLocal.prefix(10) {
            let clock = previousLocal.dropFirst(11).prefix(5)
            since += " à \(Int(clock.prefix(2)) ?? 0) h \(clock.suffix(2))"
        }
        let last = points[points.count - 1]
        // Another set of servers: not comparable, whichever way the scores moved; rules verified before and not now: a rise
        // is not progress (see above).
        let lostCodes = previous.hosts == last.hosts ? lost?.codes ?? [] : []
        let direction: ReadinessSummary.Trend.Direction = previous.hosts != last.hosts
            ? .perimeter : current - before >= stableBand ? (lostCodes.isEmpty ? .up : .unverified)
            : before - current >= stableBand ? .down : .stable
        return .init(
            direction: direction, since: since, previousScore: before, score: current, previousLevel: previous.level, level: level,
            previousHosts: previous.hosts, hosts: last.hosts, lostChecks: lostCodes.count, lostDomains: lostCodes.isEmpty ? [] : lost?.domains ?? [])
    }

    static func trend(_ facts: ElusFacts.Trend, text: String) -> ReadinessSummary.Trend {
        .init(direction: facts.direction, since: facts.since, previousScore: facts.previousScore, previousLevel: facts.previousLevel, sentence: text)
    }

    static func mostCommonPlace(_ identities: some Sequence<Entity>) -> Entity? {
        var counts: [String: (Int, Entity)] = [:]
        for identity in identities {
            let key = (identity.region ?? "") + "|" + (identity.departement ?? "")
            guard key != "|" else { continue }
            counts[key] = ((counts[key]?.0 ?? 0) + 1, identity)
        }
        return counts.max { ($0.value.0, $1.key) < ($1.value.0, $0.key) }?.value.1
    }

    static let months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]

    /// `2026-11-29` → `29 novembre 2026` (the first of the month is `1er`).
    static func frenchDate(_ day: String) -> String {
        let parts = day.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]) else { return String(day) }
        return "\(parts[2] == 1 ? "1er" : String(parts[2])) \(months[parts[1] - 1]) \(parts[0])"
    }

    static func frenchDate(_ date: Date) -> String { frenchDate(ISO8601.string(from: date)) }
}
