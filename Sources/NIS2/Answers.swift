import FoundationEssentials
import FoundationGaps
import Model
import YAML

/// What an entity declares for one item.
public enum AnswerStatus: String, Sendable, CaseIterable, Codable {
    case oui
    case partiel
    case non
    case neSaisPas = "ne sais pas"
    case sansObjet = "sans objet"

    /// Reads a status as people write it: case, hyphens and underscores do not matter.
    public init?(text: String) {
        let normalized = text.trimming(.whitespaces).lowercased()
            .replacingAll("_", with: " ").replacingAll("-", with: " ")
        self.init(rawValue: normalized)
    }

    public func label(english: Bool) -> String {
        guard english else { return rawValue }
        switch self {
        case .oui: return "yes"
        case .partiel: return "partly"
        case .non: return "no"
        case .neSaisPas: return "don't know"
        case .sansObjet: return "not applicable"
        }
    }
}

/// A document that backs a declaration.
public struct AnswerEvidence: Sendable, Equatable {
    /// What the document is (`PSSI v2, délibération n° 2025-14`).
    public var document: String?
    /// When it was adopted or last updated.
    public var date: CalendarDay?
    /// Who is responsible for it (`DGS`, `RSSI mutualisé`).
    public var owner: String?

    public init(document: String? = nil, date: CalendarDay? = nil, owner: String? = nil) {
        self.document = document
        self.date = date
        self.owner = owner
    }

    public var isEmpty: Bool { document == nil && date == nil && owner == nil }
}

/// One item's answer.
public struct Answer: Sendable, Equatable {
    public var itemID: String
    public var status: AnswerStatus
    /// Optional maturity 1 (initial) … 5 (optimised), as CyberFundamentals grades implementation.
    public var maturity: Int?
    public var evidence: AnswerEvidence?
    /// When the answer and its evidence must be looked at again; past it, a "oui" only warns.
    public var nextReview: CalendarDay?
    public var comment: String?
    /// Line of the item in the answers file.
    public var line: Int?

    public init(
        itemID: String, status: AnswerStatus, maturity: Int? = nil, evidence: AnswerEvidence? = nil,
        nextReview: CalendarDay? = nil, comment: String? = nil, line: Int? = nil
    ) {
        self.itemID = itemID
        self.status = status
        self.maturity = maturity
        self.evidence = evidence
        self.nextReview = nextReview
        self.comment = comment
        self.line = line
    }
}

/// Who the answers are for; lets `nis2 scope` and the report read the entity from the file.
public struct AnswerEntity: Sendable, Equatable {
    public var name: String?
    public var siren: String?
    public var kind: String?
    public var population: Int?
    public var hasCommuneOver30000: Bool?

    public init(name: String? = nil, siren: String? = nil, kind: String? = nil, population: Int? = nil, hasCommuneOver30000: Bool? = nil) {
        self.name = name
        self.siren = siren
        self.kind = kind
        self.population = population
        self.hasCommuneOver30000 = hasCommuneOver30000
    }

    public var isEmpty: Bool { name == nil && siren == nil && kind == nil && population == nil && hasCommuneOver30000 == nil }
}

/// One entity's answers file.
///
/// ```yaml
/// questionnaire: "1"
/// updated: 2026-11-29
/// entity:
///   name: Commune de Plouzané
///   kind: commune
///   population: 13000
/// answers:
///   c.sauvegardes-hors-ligne:
///     status: oui            # oui, partiel, non, ne sais pas, sans objet
///     maturity: 3            # 1–5, optional
///     evidence:
///       document: Procédure de sauvegarde v3
///       date: 2026-02-01
///       owner: Service informatique mutualisé
///     next_review: 2027-02-01
/// ```
public struct AnswersFile: Sendable, Equatable {
    /// Version of the questionnaire the answers were given against.
    public var questionnaireVersion: String?
    public var updated: CalendarDay?
    public var entity: AnswerEntity
    /// Answers by item id.
    public var answers: [String: Answer]

    public init(questionnaireVersion: String? = nil, updated: CalendarDay? = nil, entity: AnswerEntity = AnswerEntity(), answers: [String: Answer] = [:]) {
        self.questionnaireVersion = questionnaireVersion
        self.updated = updated
        self.entity = entity
        self.answers = answers
    }

    static let topKeys = ["questionnaire", "updated", "entity", "answers"]
    static let entityKeys = ["name", "siren", "kind", "population", "has_commune_over_30000"]
    static let answerKeys = ["status", "maturity", "evidence", "next_review", "comment"]
    static let evidenceKeys = ["document", "date", "owner"]

    /// Reads and checks a file.
    /// - Parameter today: the day dates are judged against (no evidence dated in the future).
    /// - Throws: `NIS2InputError` listing every problem with its line (missing file: `missing`).
    public static func load(path: String, questionnaire: Questionnaire, today: CalendarDay) throws(NIS2InputError) -> AnswersFile {
        try parse(YAMLReader.readText(path: path, what: LocalizedText(fr: "fichier de réponses", en: "answers file")), file: path, questionnaire: questionnaire, today: today)
    }

    /// Parses and checks answers text; `file` names it in errors.
    public static func parse(_ text: String, file: String, questionnaire: Questionnaire, today: CalendarDay) throws(NIS2InputError) -> AnswersFile {
        let root = try YAMLReader.compose(text, file: file)
        guard let mapping = root.mapping else {
            throw NIS2InputError(file: file, line: root.mark?.line, fr: "un dictionnaire avec questionnaire, updated, entity et answers est attendu", en: "expected a mapping with questionnaire, updated, entity and answers")
        }
        var problems = YAMLReader.unknownKeys(mapping, allowed: topKeys, context: LocalizedText(fr: "fichier de réponses", en: "answers file"))
        var result = AnswersFile()
        result.questionnaireVersion = YAMLReader.text(in: mapping, "questionnaire", label: "questionnaire", problems: &problems)
        if let node = mapping["updated"] {
            result.updated = day(node, key: "updated", problems: &problems)
        }
        if let node = mapping["entity"] {
            if let entity = node.mapping {
                problems += YAMLReader.unknownKeys(entity, allowed: entityKeys, context: LocalizedText(both: "entity"))
                result.entity.name = YAMLReader.text(in: entity, "name", label: "entity.name", problems: &problems)
                result.entity.siren = YAMLReader.text(in: entity, "siren", label: "entity.siren", problems: &problems)
                if let siren = result.entity.siren, !(siren.count == 9 && siren.allSatisfy({ $0.isASCII && $0.isNumber })) {
                    problems.append(.init(line: entity["siren"]?.mark?.line, fr: "entity, siren « \(siren) » : 9 chiffres sont attendus", en: "entity siren \"\(siren)\": expected 9 digits"))
                }
                if let kindNode = entity["kind"] {
                    let kind = YAMLReader.string(kindNode) ?? ""
                    if ScopeFacts.kinds.contains(kind) { result.entity.kind = kind } else {
                        problems.append(.init(line: kindNode.mark?.line, fr: "entity, kind « \(kind) » : l'une de ces valeurs est attendue : \(ScopeFacts.kinds.joined(separator: ", "))", en: "entity kind \"\(kind)\": expected one of \(ScopeFacts.kinds.joined(separator: ", "))"))
                    }
                }
                if let populationNode = entity["population"] {
                    if let text = YAMLReader.string(populationNode), let value = Int(text), value >= 0 {
                        result.entity.population = value
                    } else {
                        problems.append(.init(line: populationNode.mark?.line, fr: "entity, population : un nombre entier d'habitants (0 ou plus) est attendu", en: "entity population: expected a whole number of inhabitants (0 or more)"))
                    }
                }
                if let flagNode = entity["has_commune_over_30000"] {
                    switch YAMLReader.string(flagNode) {
                    case "true": result.entity.hasCommuneOver30000 = true
                    case "false": result.entity.hasCommuneOver30000 = false
                    default: problems.append(.init(line: flagNode.mark?.line, fr: "entity, has_commune_over_30000 : true ou false est attendu", en: "entity has_commune_over_30000: expected true or false"))
                    }
                }
            } else if YAMLReader.string(node) != nil || node.sequence != nil {
                problems.append(.init(line: node.mark?.line, fr: "entity : un dictionnaire (name, siren, kind, population, has_commune_over_30000) est attendu", en: "entity: expected a mapping (name, siren, kind, population, has_commune_over_30000)"))
            }
        }
        if let node = mapping["answers"] {
            if let answers = node.mapping {
                for (key, value) in answers {
                    let id = key.scalar?.string ?? ""
                    let line = key.mark?.line
                    guard let item = questionnaire.item(id) else {
                        problems.append(.init(line: line, fr: "question inconnue « \(id) »\(suggestion(for: id, in: questionnaire).fr)", en: "unknown item \"\(id)\"\(suggestion(for: id, in: questionnaire).en)"))
                        continue
                    }
                    if let answer = parseAnswer(item: item, node: value, line: line, today: today, problems: &problems) {
                        result.answers[id] = answer
                    }
                }
            } else if YAMLReader.string(node) != nil || node.sequence != nil {
                problems.append(.init(line: node.mark?.line, fr: "answers : un dictionnaire des identifiants de questions vers les réponses est attendu", en: "answers: expected a mapping of item ids to answers"))
            }
        }
        guard problems.isEmpty else {
            throw NIS2InputError(file: file, problems: problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        }
        return result
    }

    private static func parseAnswer(
        item: QuestionnaireItem, node: Node, line: Int?, today: CalendarDay, problems: inout [NIS2InputError.Problem]
    ) -> Answer? {
        let id = item.id
        guard let mapping = node.mapping else {
            problems.append(.init(line: node.mark?.line ?? line, fr: "\(id) : un dictionnaire avec au moins status: (oui, partiel, non, ne sais pas, sans objet) est attendu", en: "\(id): expected a mapping with at least status: (oui, partiel, non, ne sais pas, sans objet)"))
            return nil
        }
        let before = problems.count
        problems += YAMLReader.unknownKeys(mapping, allowed: answerKeys, context: LocalizedText(both: id))
        var status: AnswerStatus?
        if let statusNode = mapping["status"] {
            let text = YAMLReader.string(statusNode) ?? ""
            status = AnswerStatus(text: text)
            if status == nil {
                problems.append(.init(line: statusNode.mark?.line, fr: "\(id) : statut « \(text) » : l'une de ces réponses est attendue : oui, partiel, non, ne sais pas, sans objet", en: "\(id): status \"\(text)\": expected one of oui, partiel, non, ne sais pas, sans objet"))
            }
        } else {
            problems.append(.init(line: line, fr: "\(id) : clé « status » absente : oui, partiel, non, ne sais pas ou sans objet est attendu", en: "\(id): missing key \"status\": expected oui, partiel, non, ne sais pas or sans objet"))
        }
        if status == .sansObjet && !item.allowsNotApplicable {
            problems.append(.init(line: mapping["status"]?.mark?.line, fr: "\(id) : « sans objet » n'est pas admis pour cette question : toute entité doit y répondre", en: "\(id): \"sans objet\" is not accepted for this item: every entity must answer it"))
        }
        var maturity: Int?
        if let maturityNode = mapping["maturity"] {
            if let text = YAMLReader.string(maturityNode), let value = Int(text), (1...5).contains(value) {
                maturity = value
                if status == .sansObjet || status == .neSaisPas {
                    problems.append(.init(line: maturityNode.mark?.line, fr: "\(id) : maturity donnée avec le statut « \(status!.rawValue) » : retirez-la ou donnez un autre statut", en: "\(id): maturity given with status \"\(status!.rawValue)\": remove it or give another status"))
                }
            } else {
                problems.append(.init(line: maturityNode.mark?.line, fr: "\(id) : maturity « \(YAMLReader.string(maturityNode) ?? "") » : un nombre entier de 1 à 5 est attendu", en: "\(id): maturity \"\(YAMLReader.string(maturityNode) ?? "")\": expected a whole number from 1 to 5"))
            }
        }
        var evidence: AnswerEvidence?
        if let evidenceNode = mapping["evidence"] {
            if let fields = evidenceNode.mapping {
                problems += YAMLReader.unknownKeys(fields, allowed: evidenceKeys, context: LocalizedText(both: "\(id).evidence"))
                var value = AnswerEvidence(
                    document: YAMLReader.text(in: fields, "document", label: "\(id).evidence.document", problems: &problems),
                    owner: YAMLReader.text(in: fields, "owner", label: "\(id).evidence.owner", problems: &problems))
                if let dateNode = fields["date"] {
                    value.date = day(dateNode, key: "\(id).evidence.date", problems: &problems)
                    if let date = value.date, date > today {
                        problems.append(.init(line: dateNode.mark?.line, fr: "\(id), date de la preuve \(date) dans le futur (nous sommes le \(today))", en: "\(id) evidence date \(date) is in the future (today is \(today))"))
                    }
                }
                evidence = value.isEmpty ? nil : value
            } else {
                problems.append(.init(line: evidenceNode.mark?.line, fr: "\(id), evidence : un dictionnaire avec document, date et owner est attendu", en: "\(id) evidence: expected a mapping with document, date and owner"))
            }
        }
        var nextReview: CalendarDay?
        if let reviewNode = mapping["next_review"] {
            nextReview = day(reviewNode, key: "\(id).next_review", problems: &problems)
            if let review = nextReview, let date = evidence?.date, review < date {
                problems.append(.init(line: reviewNode.mark?.line, fr: "\(id) : next_review \(review) précède la date de la preuve \(date)", en: "\(id): next_review \(review) is before the evidence date \(date)"))
            }
        }
        let comment = YAMLReader.text(in: mapping, "comment", label: "\(id).comment", problems: &problems)
        guard problems.count == before, let status else { return nil }
        return Answer(
            itemID: id, status: status, maturity: maturity, evidence: evidence, nextReview: nextReview,
            comment: comment, line: line)
    }

    private static func day(_ node: Node, key: String, problems: inout [NIS2InputError.Problem]) -> CalendarDay? {
        let text = YAMLReader.string(node) ?? ""
        guard let day = CalendarDay(text) else {
            problems.append(.init(line: node.mark?.line, fr: "\(key) « \(text) » : une date AAAA-MM-JJ est attendue, par exemple 2026-03-12", en: "\(key) \"\(text)\": expected a date as YYYY-MM-DD, e.g. 2026-03-12"))
            return nil
        }
        return day
    }

    /// ` (did you mean "x"?)` for the closest known id, or a hint to list them.
    static func suggestion(for id: String, in questionnaire: Questionnaire) -> LocalizedText {
        let best = questionnaire.items.map { ($0.id, editDistance($0.id, id)) }.min { $0.1 < $1.1 }
        if let best, best.1 <= max(3, id.count / 4) {
            return LocalizedText(fr: " ; vouliez-vous dire « \(best.0) » ?", en: "; did you mean \"\(best.0)\"?")
        }
        return LocalizedText(
            fr: " ; `cyberctl assess --list` donne la liste des questions", en: "; the questionnaire's items are listed by `cyberctl assess --list`")
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: - Writing

    /// The file as YAML, items in questionnaire order, each preceded by its question as a comment.
    /// Reading the text back gives the same value.
    public func yaml(questionnaire: Questionnaire) -> String {
        var lines: [String] = [
            "# Réponses au questionnaire NIS 2 de cyberctl (écrit par « cyberctl assess »).",
            "# NIS 2 questionnaire answers (written by \"cyberctl assess\").",
            "# status : oui, partiel, non, ne sais pas, sans objet — maturity : 1 à 5 — dates : AAAA-MM-JJ.",
        ]
        if let questionnaireVersion { lines.append("questionnaire: \(Self.quote(questionnaireVersion))") }
        if let updated { lines.append("updated: \(updated)") }
        if !entity.isEmpty {
            lines.append("entity:")
            if let name = entity.name { lines.append("  name: \(Self.quote(name))") }
            if let siren = entity.siren { lines.append("  siren: \(Self.quote(siren))") }
            if let kind = entity.kind { lines.append("  kind: \(kind)") }
            if let population = entity.population { lines.append("  population: \(population)") }
            if let flag = entity.hasCommuneOver30000 { lines.append("  has_commune_over_30000: \(flag)") }
        }
        let known = questionnaire.items.map(\.id).filter { answers[$0] != nil }
        let others = answers.keys.filter { questionnaire.item($0) == nil }.sorted()
        if known.isEmpty && others.isEmpty {
            lines.append("answers: {}")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("answers:")
        for id in known + others {
            guard let answer = answers[id] else { continue }
            if let item = questionnaire.item(id) {
                let article = questionnaire.section(item.section)?.article ?? item.section
                lines.append("  # \(article) — \(item.question.fr.replacingAll("\n", with: " "))")
            }
            lines.append("  \(id):")
            lines.append("    status: \(Self.quote(answer.status.rawValue))")
            if let maturity = answer.maturity { lines.append("    maturity: \(maturity)") }
            if let evidence = answer.evidence, !evidence.isEmpty {
                lines.append("    evidence:")
                if let document = evidence.document { lines.append("      document: \(Self.quote(document))") }
                if let date = evidence.date { lines.append("      date: \(date)") }
                if let owner = evidence.owner { lines.append("      owner: \(Self.quote(owner))") }
            }
            if let review = answer.nextReview { lines.append("    next_review: \(review)") }
            if let comment = answer.comment { lines.append("    comment: \(Self.quote(comment))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar (JSON escapes are valid YAML); reading it back gives `text` exactly.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + scalar.value.zeroPadded(2, radix: 16, uppercase: true)
                } else if (0x80...0x9F).contains(scalar.value) || [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF].contains(scalar.value)
                    || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                {
                    // YAML reads NEL and the Unicode line separators as line breaks (they would fold into a space),
                    // and the bidirectional controls would hide what the file says: escaped, so they read back as written.
                    out += "\\u" + scalar.value.zeroPadded(4, radix: 16, uppercase: true)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
