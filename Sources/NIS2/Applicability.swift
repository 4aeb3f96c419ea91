import FoundationEssentials
import Model
import YAML

/// The NIS 2 categories a French local authority may fall in.
public enum NIS2Category: String, Sendable, CaseIterable, Codable {
    /// Entité essentielle (Directive 2022/2555 art. 3(1); French bill art. 8).
    case essentielle
    /// Entité importante (Directive art. 3(2); French bill art. 9).
    case importante
    /// Not regulated as a local authority (it may still be through a sector activity, e.g. water).
    case nonRegulee = "non-regulee"
    /// Depends on what the body does (a syndicat for water or energy is caught through its sector).
    case selonActivite = "selon-activite"

    public func label(english: Bool) -> String {
        switch (self, english) {
        case (.essentielle, false): return "entité essentielle (EE)"
        case (.essentielle, true): return "essential entity (EE)"
        case (.importante, false): return "entité importante (EI)"
        case (.importante, true): return "important entity (EI)"
        case (.nonRegulee, false): return "non concernée en tant que collectivité"
        case (.nonRegulee, true): return "not regulated as a local authority"
        case (.selonActivite, false): return "selon l'activité exercée"
        case (.selonActivite, true): return "depends on the activity carried out"
        }
    }
}

/// What is known of the entity whose applicability is asked.
public struct ScopeFacts: Sendable, Equatable {
    /// `commune`, `cc`, `ca`, `cu`, `metropole`, `departement`, `region`, `syndicat`.
    public var kind: String
    /// Inhabitants (population municipale); nil when unknown.
    public var population: Int?
    /// For a grouping: one member commune has more than 30,000 inhabitants; nil when unknown.
    public var hasCommuneOver30000: Bool?

    public init(kind: String, population: Int? = nil, hasCommuneOver30000: Bool? = nil) {
        self.kind = kind
        self.population = population
        self.hasCommuneOver30000 = hasCommuneOver30000
    }

    /// The kinds of local authority the rules speak of.
    public static let kinds = ["commune", "cc", "ca", "cu", "metropole", "departement", "region", "syndicat"]
}

/// One row of the applicability table: conditions, the category they lead to, why, and the source.
public struct ScopeRule: Sendable, Equatable {
    public var id: String
    /// Kinds the row covers.
    public var kinds: [String]
    /// Population strictly above this (inhabitants).
    public var populationAbove: Int?
    /// Population at most this (inhabitants).
    public var populationAtMost: Int?
    /// Whether a member commune has more than 30,000 inhabitants.
    public var hasCommuneOver30000: Bool?
    public var category: NIS2Category
    public var reason: LocalizedText
    /// Where the row comes from (texts, amendments, URLs).
    public var sources: [String]
    /// `verified` when read in the bill or amendment itself, `secondary` when only a secondary source says it.
    public var sourceStatus: SourceStatus
    /// Line of the row in the rules file.
    public var line: Int?

    public enum SourceStatus: String, Sendable, Equatable {
        case verified, secondary
    }

    /// The facts this row needs beyond the kind.
    public var neededFacts: [String] {
        var facts: [String] = []
        if populationAbove != nil || populationAtMost != nil { facts.append("population") }
        if hasCommuneOver30000 != nil { facts.append("has-commune-over-30000") }
        return facts
    }

    /// true / false when the facts decide, nil when a needed fact is unknown.
    func matches(_ facts: ScopeFacts) -> Bool? {
        guard kinds.contains(facts.kind) else { return false }
        var unknown = false
        if populationAbove != nil || populationAtMost != nil {
            if let population = facts.population {
                if let above = populationAbove, !(population > above) { return false }
                if let atMost = populationAtMost, !(population <= atMost) { return false }
            } else {
                unknown = true
            }
        }
        if let wanted = hasCommuneOver30000 {
            if let known = facts.hasCommuneOver30000 {
                if known != wanted { return false }
            } else {
                unknown = true
            }
        }
        return unknown ? nil : true
    }
}

/// The outcome for one entity.
public struct ScopeDecision: Sendable, Equatable {
    /// The category, or nil when a needed fact is missing (see `candidates`).
    public var category: NIS2Category?
    /// The row that decided.
    public var rule: ScopeRule?
    /// When undecided: every row that could apply, in order.
    public var candidates: [ScopeRule]
    /// When undecided: the facts to give (`population`, `has-commune-over-30000`).
    public var missingFacts: [String]
}

/// The applicability table (`Profiles/nis2/scope.yaml`): rows are tried in order; the first whose
/// conditions hold decides. Changing a threshold or a category is a data change, not a code change.
///
/// ```yaml
/// version: "2025-09-10"
/// text_status:
///   fr: Projet de loi … pas encore définitif.
///   en: Bill … not final yet.
/// rules:
///   - id: commune-over-30000
///     kinds: [commune]
///     population_above: 30000
///     category: essentielle
///     reason: {fr: …, en: …}
///     sources: ["Sénat, amendement n° 82 rect. …"]
///     source_status: verified
/// ```
public struct ScopeRules: Sendable {
    /// Date or label of the legal text the table follows.
    public var version: String
    /// Where the French transposition stands; shown with every answer.
    public var textStatus: LocalizedText
    public var rules: [ScopeRule]
    public var file: String

    static let topKeys = ["version", "text_status", "rules"]
    static let ruleKeys = [
        "id", "kinds", "population_above", "population_at_most", "has_commune_over_30000", "category", "reason",
        "sources", "source_status",
    ]

    /// The table shipped with cyberctl.
    public static func shipped() throws(NIS2InputError) -> ScopeRules {
        try load(path: NIS2DataLocator.locate(NIS2DataLocator.scopeFile))
    }

    public static func load(path: String) throws(NIS2InputError) -> ScopeRules {
        try parse(YAMLReader.readText(path: path, what: LocalizedText(fr: "règles d'applicabilité NIS 2", en: "NIS 2 scope rules")), file: path)
    }

    /// Parses and checks a table: every problem is reported with its line.
    public static func parse(_ text: String, file: String) throws(NIS2InputError) -> ScopeRules {
        let root = try YAMLReader.compose(text, file: file)
        guard let mapping = root.mapping else { throw NIS2InputError(file: file, line: root.mark?.line, fr: "un dictionnaire avec version, text_status et rules est attendu", en: "expected a mapping with version, text_status and rules") }
        var problems = YAMLReader.unknownKeys(mapping, allowed: topKeys, context: LocalizedText(fr: "règles d'applicabilité", en: "scope rules"))
        let version = YAMLReader.string(mapping["version"]) ?? ""
        if version.isEmpty { problems.append(.init(line: root.mark?.line, fr: "clé « version » absente : la date du texte juridique suivi est attendue", en: "missing key \"version\": expected the date of the legal text followed")) }
        let status = YAMLReader.localized(mapping["text_status"])
        if status == nil { problems.append(.init(line: root.mark?.line, fr: "clé « text_status » absente : {fr, en} disant où en est la transposition française est attendu", en: "missing key \"text_status\": expected {fr, en} saying where the French transposition stands")) }
        var rules: [ScopeRule] = []
        if let sequence = mapping["rules"]?.sequence {
            var ids = Set<String>()
            for node in sequence {
                let line = node.mark?.line
                guard let row = node.mapping else {
                    problems.append(.init(line: line, fr: "règle : un dictionnaire est attendu", en: "rule: expected a mapping"))
                    continue
                }
                problems += YAMLReader.unknownKeys(row, allowed: ruleKeys, context: LocalizedText(fr: "règle", en: "rule"))
                let id = YAMLReader.string(row["id"]) ?? ""
                if id.isEmpty { problems.append(.init(line: line, fr: "règle : clé « id » absente", en: "rule: missing key \"id\"")) }
                if !ids.insert(id).inserted { problems.append(.init(line: line, fr: "règle « \(id) » définie deux fois", en: "rule \"\(id)\" defined twice")) }
                let kinds = YAMLReader.strings(row["kinds"]) ?? []
                if kinds.isEmpty { problems.append(.init(line: line, fr: "règle \(id) : clé « kinds » absente", en: "rule \(id): missing key \"kinds\"")) }
                for kind in kinds where !ScopeFacts.kinds.contains(kind) {
                    problems.append(.init(line: row["kinds"]?.mark?.line ?? line, fr: "règle \(id) : kind « \(kind) » : l'une de ces valeurs est attendue : \(ScopeFacts.kinds.joined(separator: ", "))", en: "rule \(id): kind \"\(kind)\": expected one of \(ScopeFacts.kinds.joined(separator: ", "))"))
                }
                func integer(_ key: String) -> Int? {
                    guard let node = row[key] else { return nil }
                    guard let text = YAMLReader.string(node), let value = Int(text), value >= 0 else {
                        problems.append(.init(line: node.mark?.line, fr: "règle \(id) : \(key) : un nombre entier d'habitants est attendu", en: "rule \(id): \(key): expected a whole number of inhabitants"))
                        return nil
                    }
                    return value
                }
                let above = integer("population_above")
                let atMost = integer("population_at_most")
                var flag: Bool?
                if let node = row["has_commune_over_30000"] {
                    switch YAMLReader.string(node) {
                    case "true": flag = true
                    case "false": flag = false
                    default: problems.append(.init(line: node.mark?.line, fr: "règle \(id) : has_commune_over_30000 : true ou false est attendu", en: "rule \(id): has_commune_over_30000: expected true or false"))
                    }
                }
                let categoryText = YAMLReader.string(row["category"]) ?? ""
                let category = NIS2Category(rawValue: categoryText)
                if category == nil {
                    problems.append(.init(line: row["category"]?.mark?.line ?? line, fr: "règle \(id) : category « \(categoryText) » : l'une de ces valeurs est attendue : \(NIS2Category.allCases.map(\.rawValue).joined(separator: ", "))", en: "rule \(id): category \"\(categoryText)\": expected one of \(NIS2Category.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                let reason = YAMLReader.localized(row["reason"])
                if reason == nil { problems.append(.init(line: line, fr: "règle \(id) : clé « reason » absente : {fr, en} est attendu", en: "rule \(id): missing key \"reason\": expected {fr, en}")) }
                let sources = YAMLReader.strings(row["sources"]) ?? []
                if sources.isEmpty { problems.append(.init(line: line, fr: "règle \(id) : clé « sources » absente : chaque ligne cite sa source", en: "rule \(id): missing key \"sources\": every row names its source")) }
                let statusText = YAMLReader.string(row["source_status"]) ?? ""
                let sourceStatus = ScopeRule.SourceStatus(rawValue: statusText)
                if sourceStatus == nil { problems.append(.init(line: row["source_status"]?.mark?.line ?? line, fr: "règle \(id) : source_status « \(statusText) » : verified ou secondary est attendu", en: "rule \(id): source_status \"\(statusText)\": expected verified or secondary")) }
                if let category, let reason, let sourceStatus {
                    rules.append(ScopeRule(
                        id: id, kinds: kinds, populationAbove: above, populationAtMost: atMost, hasCommuneOver30000: flag,
                        category: category, reason: reason, sources: sources, sourceStatus: sourceStatus, line: line))
                }
            }
        } else {
            problems.append(.init(line: mapping["rules"]?.mark?.line ?? root.mark?.line, fr: "rules : une liste de lignes est attendue", en: "rules: expected a list of rows"))
        }
        for kind in ScopeFacts.kinds where !rules.contains(where: { $0.kinds.contains(kind) }) && problems.isEmpty {
            problems.append(.init(line: nil, fr: "aucune règle ne couvre le type « \(kind) »", en: "no rule covers the kind \"\(kind)\""))
        }
        guard problems.isEmpty, let status else { throw NIS2InputError(file: file, problems: problems) }
        return ScopeRules(version: version, textStatus: status, rules: rules, file: file)
    }

    /// The first row whose conditions hold; undecided when an earlier row needs a fact that is not known.
    public func decide(_ facts: ScopeFacts) -> ScopeDecision {
        var candidates: [ScopeRule] = []
        for rule in rules {
            switch rule.matches(facts) {
            case .some(true):
                if candidates.isEmpty { return ScopeDecision(category: rule.category, rule: rule, candidates: [], missingFacts: []) }
                candidates.append(rule)
                return undecided(candidates)
            case .none:
                candidates.append(rule)
            case .some(false):
                continue
            }
        }
        return undecided(candidates)
    }

    private func undecided(_ candidates: [ScopeRule]) -> ScopeDecision {
        var missing: [String] = []
        for fact in candidates.flatMap(\.neededFacts) where !missing.contains(fact) { missing.append(fact) }
        // All candidates agreeing means the missing fact does not matter.
        if let first = candidates.first, candidates.allSatisfy({ $0.category == first.category }) {
            return ScopeDecision(category: first.category, rule: first, candidates: candidates, missingFacts: [])
        }
        return ScopeDecision(category: nil, rule: nil, candidates: candidates, missingFacts: missing)
    }
}
