import FoundationEssentials
import Model
import YAML

/// How much an item counts; the same scale as a result's severity (weights 2, 4, 8, 16 in the
/// score, see `Severity.weight` in Checks).
public enum ItemWeight: String, Sendable, CaseIterable, Codable, Comparable {
    case low, medium, high, critical

    public static func < (lhs: ItemWeight, rhs: ItemWeight) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A ReCyF objective an item maps to, with the entities its requirements apply to.
public struct ReCyFReference: Sendable, Equatable {
    /// Objective or sub-theme number (`13`, `2.A`, `10.B`).
    public var objective: String
    /// True when some requirement of it applies to important entities too (`EI/EE`); false when
    /// only essential entities must meet it (`EE`, objectives 16–20).
    public var appliesToImportant: Bool

    /// `ReCyF 13 (EI/EE)`.
    public var label: String { "ReCyF \(objective) (\(appliesToImportant ? "EI/EE" : "EE"))" }
    /// Reference id used in results (`RECYF-13`).
    public var id: String { "RECYF-\(objective)" }
}

/// A section of the questionnaire: one Art. 21(2) letter, or Art. 20.
public struct QuestionnaireSection: Sendable, Equatable {
    /// `a` … `j`, or `art20`.
    public var id: String
    /// `21(2)(c)` or `20`.
    public var article: String
    public var title: LocalizedText
    /// Reference id (`NIS2-21.2.c`, `NIS2-20`).
    public var referenceID: String {
        id == "art20" ? "NIS2-20" : "NIS2-21.2.\(id)"
    }
}

/// One question of the organisational questionnaire.
public struct QuestionnaireItem: Sendable, Equatable {
    /// `c.sauvegardes-hors-ligne`: section id, a dot, a slug. The rule code is `org.nis2.<id>`.
    public var id: String
    public var section: String
    public var weight: ItemWeight
    /// Short name (used as the rule title).
    public var title: LocalizedText
    /// The question, in plain words.
    public var question: LocalizedText
    /// One line for élus: why it matters.
    public var why: LocalizedText
    /// What to do when the answer is not "oui".
    public var remediation: LocalizedText
    public var recyf: [ReCyFReference]
    /// Sections of the annex of Implementing Regulation (EU) 2024/2690 (`4.2`).
    public var regulation: [String]
    /// Measures of ANSSI's Guide d'hygiène informatique (2017), 1–42.
    public var hygiene: [Int]
    /// Prefixes of technical rule codes whose results bear on this item (`backup.`, `tls.`).
    public var technical: [String]
    /// Whether "sans objet" is an acceptable answer.
    public var allowsNotApplicable: Bool
    /// Line in the questionnaire file.
    public var line: Int?

    /// Rule code of the item's results.
    public var code: String { "org.nis2.\(id)" }

    /// True when only essential entities must meet it (every ReCyF objective it maps to is EE-only).
    public var essentialOnly: Bool { !recyf.isEmpty && recyf.allSatisfy { !$0.appliesToImportant } }

    /// Reference ids: NIS 2 article, ReCyF objectives, 2024/2690 annex sections, hygiene measures.
    public func referenceIDs(section: QuestionnaireSection?) -> [String] {
        var ids: [String] = []
        if let section { ids.append(section.referenceID) }
        ids += recyf.map(\.id)
        ids += regulation.map { "EU-2024/2690-\($0)" }
        ids += hygiene.map { "ANSSI-HYG-\($0)" }
        return ids
    }
}

/// The organisational questionnaire (`Profiles/nis2/questionnaire.yaml`): sections by Art. 21(2)
/// letter and Art. 20, items with their question, why it matters, references and weight.
public struct Questionnaire: Sendable {
    public var version: String
    public var sections: [QuestionnaireSection]
    public var items: [QuestionnaireItem]
    public var file: String

    public func item(_ id: String) -> QuestionnaireItem? { items.first { $0.id == id } }
    public func section(_ id: String) -> QuestionnaireSection? { sections.first { $0.id == id } }

    static let topKeys = ["version", "sections", "items"]
    static let sectionKeys = ["id", "article", "title"]
    static let itemKeys = [
        "id", "weight", "title", "question", "why", "remediation", "recyf", "regulation", "hygiene", "technical",
        "not_applicable",
    ]

    /// The questionnaire shipped with cyberctl.
    public static func shipped() throws(NIS2InputError) -> Questionnaire {
        try load(path: NIS2DataLocator.locate(NIS2DataLocator.questionnaireFile))
    }

    public static func load(path: String) throws(NIS2InputError) -> Questionnaire {
        try parse(YAMLReader.readText(path: path, what: LocalizedText(fr: "questionnaire NIS 2", en: "NIS 2 questionnaire")), file: path)
    }

    /// Parses and checks a questionnaire; every problem is reported with its line.
    public static func parse(_ text: String, file: String) throws(NIS2InputError) -> Questionnaire {
        let root = try YAMLReader.compose(text, file: file)
        guard let mapping = root.mapping else {
            throw NIS2InputError(file: file, line: root.mark?.line, fr: "un dictionnaire avec version, sections et items est attendu", en: "expected a mapping with version, sections and items")
        }
        var problems = YAMLReader.unknownKeys(mapping, allowed: topKeys, context: LocalizedText(both: "questionnaire"))
        let version = YAMLReader.string(mapping["version"]) ?? ""
        if version.isEmpty { problems.append(.init(line: root.mark?.line, fr: "clé « version » absente", en: "missing key \"version\"")) }
        var sections: [QuestionnaireSection] = []
        for node in mapping["sections"]?.sequence ?? [] {
            guard let row = node.mapping else {
                problems.append(.init(line: node.mark?.line, fr: "section : un dictionnaire est attendu", en: "section: expected a mapping"))
                continue
            }
            problems += YAMLReader.unknownKeys(row, allowed: sectionKeys, context: LocalizedText(both: "sections"))
            guard let id = YAMLReader.string(row["id"]), let article = YAMLReader.string(row["article"]),
                  let title = YAMLReader.localized(row["title"]) else {
                problems.append(.init(line: node.mark?.line, fr: "section : id, article et title sont attendus", en: "section: expected id, article and title"))
                continue
            }
            if sections.contains(where: { $0.id == id }) { problems.append(.init(line: node.mark?.line, fr: "section « \(id) » définie deux fois", en: "section \"\(id)\" defined twice")) }
            sections.append(QuestionnaireSection(id: id, article: article, title: title))
        }
        if sections.isEmpty { problems.append(.init(line: mapping["sections"]?.mark?.line ?? root.mark?.line, fr: "sections : une liste de sections est attendue", en: "sections: expected a list of sections")) }
        var items: [QuestionnaireItem] = []
        for node in mapping["items"]?.sequence ?? [] {
            let line = node.mark?.line
            guard let row = node.mapping else {
                problems.append(.init(line: line, fr: "question : un dictionnaire est attendu", en: "item: expected a mapping"))
                continue
            }
            problems += YAMLReader.unknownKeys(row, allowed: itemKeys, context: LocalizedText(both: "items"))
            let id = YAMLReader.string(row["id"]) ?? ""
            let parts = id.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, sections.contains(where: { $0.id == parts[0] }),
                  parts[1].allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }), !parts[1].isEmpty else {
                problems.append(.init(line: line, fr: "identifiant de question « \(id) » : <section>.<nom> est attendu, avec une section connue et un nom fait de a-z, 0-9 et -", en: "item id \"\(id)\": expected <section>.<slug> with a known section and a slug of a-z, 0-9 and -"))
                continue
            }
            if items.contains(where: { $0.id == id }) { problems.append(.init(line: line, fr: "question « \(id) » définie deux fois", en: "item \"\(id)\" defined twice")) }
            let weightText = YAMLReader.string(row["weight"]) ?? ""
            guard let weight = ItemWeight(rawValue: weightText) else {
                problems.append(.init(line: row["weight"]?.mark?.line ?? line, fr: "question \(id) : weight « \(weightText) » : l'une de ces valeurs est attendue : \(ItemWeight.allCases.map(\.rawValue).joined(separator: ", "))", en: "item \(id): weight \"\(weightText)\": expected one of \(ItemWeight.allCases.map(\.rawValue).joined(separator: ", "))"))
                continue
            }
            var texts: [String: LocalizedText] = [:]
            for key in ["title", "question", "why", "remediation"] {
                if let text = YAMLReader.localized(row[key]) { texts[key] = text } else {
                    problems.append(.init(line: row[key]?.mark?.line ?? line, fr: "question \(id) : clé « \(key) » absente : {fr, en} est attendu", en: "item \(id): missing key \"\(key)\": expected {fr, en}"))
                }
            }
            var recyf: [ReCyFReference] = []
            for entry in YAMLReader.strings(row["recyf"]) ?? [] {
                // "13 EI/EE" or "16 EE".
                let fields = entry.split(separator: " ").map(String.init)
                guard fields.count == 2, ["EI/EE", "EE"].contains(fields[1]) else {
                    problems.append(.init(line: row["recyf"]?.mark?.line ?? line, fr: "question \(id) : recyf « \(entry) » : un objectif et EI/EE ou EE sont attendus, par exemple « 13 EI/EE »", en: "item \(id): recyf \"\(entry)\": expected an objective and EI/EE or EE, e.g. \"13 EI/EE\""))
                    continue
                }
                recyf.append(ReCyFReference(objective: fields[0], appliesToImportant: fields[1] == "EI/EE"))
            }
            var hygiene: [Int] = []
            for entry in YAMLReader.strings(row["hygiene"]) ?? [] {
                guard let number = Int(entry), (1...42).contains(number) else {
                    problems.append(.init(line: row["hygiene"]?.mark?.line ?? line, fr: "question \(id) : hygiene « \(entry) » : un numéro de mesure de 1 à 42 est attendu", en: "item \(id): hygiene \"\(entry)\": expected a measure number 1–42"))
                    continue
                }
                hygiene.append(number)
            }
            let technical = YAMLReader.strings(row["technical"]) ?? []
            for prefix in technical where !prefix.hasSuffix(".") {
                problems.append(.init(line: row["technical"]?.mark?.line ?? line, fr: "question \(id) : technical « \(prefix) » : un début de code de règle finissant par un point est attendu, par exemple « backup. »", en: "item \(id): technical \"\(prefix)\": expected a rule-code prefix ending with a dot, e.g. \"backup.\""))
            }
            var allowsNotApplicable = true
            if let node = row["not_applicable"] {
                switch YAMLReader.string(node) {
                case "true": allowsNotApplicable = true
                case "false": allowsNotApplicable = false
                default: problems.append(.init(line: node.mark?.line, fr: "question \(id) : not_applicable : true ou false est attendu", en: "item \(id): not_applicable: expected true or false"))
                }
            }
            guard let title = texts["title"], let question = texts["question"], let why = texts["why"],
                  let remediation = texts["remediation"] else { continue }
            items.append(QuestionnaireItem(
                id: id, section: parts[0], weight: weight, title: title, question: question, why: why,
                remediation: remediation, recyf: recyf, regulation: YAMLReader.strings(row["regulation"]) ?? [],
                hygiene: hygiene, technical: technical, allowsNotApplicable: allowsNotApplicable, line: line))
        }
        if items.isEmpty && problems.isEmpty { problems.append(.init(line: root.mark?.line, fr: "items : une liste de questions est attendue", en: "items: expected a list of items")) }
        guard problems.isEmpty else { throw NIS2InputError(file: file, problems: problems) }
        // Items in section order, file order within a section.
        let order = Dictionary(uniqueKeysWithValues: sections.enumerated().map { ($1.id, $0) })
        let sorted = items.enumerated().sorted { (order[$0.element.section]!, $0.offset) < (order[$1.element.section]!, $1.offset) }.map(\.element)
        return Questionnaire(version: version, sections: sections, items: sorted, file: file)
    }
}
