import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// Kinds of local authority, as the command line takes them.
enum EntityKind: String, ExpressibleByArgument, CaseIterable {
    case commune, cc, ca, cu, metropole, departement, region, syndicat

    func label(english: Bool) -> String {
        switch (self, english) {
        case (.commune, false): return "commune"
        case (.commune, true): return "commune"
        case (.cc, false): return "communauté de communes"
        case (.cc, true): return "community of communes"
        case (.ca, false): return "communauté d'agglomération"
        case (.ca, true): return "agglomeration community"
        case (.cu, false): return "communauté urbaine"
        case (.cu, true): return "urban community"
        case (.metropole, false): return "métropole"
        case (.metropole, true): return "metropole"
        case (.departement, false): return "département"
        case (.departement, true): return "département"
        case (.region, false): return "région"
        case (.region, true): return "region"
        case (.syndicat, false): return "syndicat"
        case (.syndicat, true): return "syndicate (syndicat)"
        }
    }
}

extension AgentCommand {
    /// NIS 2: applicability and the organisational score.
    struct Nis2Command: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nis2",
            abstract: "NIS 2 : applicabilité et score organisationnel (NIS 2 applicability and organisational score).",
            subcommands: [Scope.self, Score.self])
    }
}

extension AgentCommand.Nis2Command {
    /// Says whether NIS 2 applies to a local authority, why, and how sure the source is.
    struct Scope: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dit si NIS 2 s'applique à la collectivité, et pourquoi (say whether NIS 2 applies, and why).",
            discussion: """
                Sans --kind, l'entité de la configuration de l'agent est utilisée. Les règles viennent de \
                Profiles/nis2/scope.yaml (ou --rules) : chaque ligne cite sa source. La transposition française peut encore \
                évoluer ; la réponse dit où en est le texte.

                Without --kind, the entity of the agent configuration is used. The rules come from \
                Profiles/nis2/scope.yaml (or --rules): each row names its source. The French transposition \
                may still change; the answer says where the text stands.
                """)

        @Option(help: "Type de collectivité : commune, cc, ca, cu, metropole, departement, region ou syndicat (kind of local authority).")
        var kind: EntityKind?

        @Option(help: "Population municipale, en habitants (population, inhabitants).")
        var population: Int?

        @Flag(name: .customLong("has-commune-over-30000"), inversion: .prefixedNo, help: "Pour un groupement : une commune membre a-t-elle plus de 30 000 habitants (a member commune above 30,000 inhabitants).")
        var hasCommuneOver30000: Bool?

        @Option(help: "Fichier de configuration de l'agent où lire l'entité sans --kind (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath

        @Option(help: "Fichier de réponses dont l'entité (kind, population, has_commune_over_30000) sert sans --kind (answers file).", completion: .file())
        var answers: String?

        @Option(help: "Autre fichier de règles d'applicabilité, YAML (another rules file).")
        var rules: String?

        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func validate() throws {
            try requireRange(population, 0...Entity.maximumPopulation, option: "--population", language: lang)
        }

        func run() throws {
            do {
                let facts = try self.facts()
                let table = try rules.map { path throws(NIS2InputError) in try ScopeRules.load(path: path) } ?? ScopeRules.shipped()
                let decision = table.decide(facts)
                switch format {
                case .json: emit(try json(decision, facts: facts, table: table))
                case .table: emit(text(decision, facts: facts, table: table))
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }

        func facts() throws -> ScopeFacts {
            if let kind {
                return ScopeFacts(kind: kind.rawValue, population: population, hasCommuneOver30000: hasCommuneOver30000)
            }
            if let answers {
                let entity = try AnswersFile.load(path: answers, questionnaire: Questionnaire.shipped(), today: CalendarDay(Date())).entity
                guard let kind = entity.kind else {
                    throw InputError(
                        .usage, file: answers,
                        fr: "entity.kind n'est pas renseigné : donnez --kind ou ajoutez entity: {kind: …} au fichier de réponses",
                        en: "entity.kind is not set: give --kind or add entity: {kind: …} to the answers file")
                }
                return ScopeFacts(
                    kind: kind, population: population ?? entity.population,
                    hasCommuneOver30000: hasCommuneOver30000 ?? entity.hasCommuneOver30000)
            }
            guard FileManager.default.fileExists(atPath: config) else {
                throw InputError(
                    .usage,
                    fr: "donnez --kind (commune, cc, ca, cu, metropole, departement, region, syndicat), ou une configuration d'agent avec entity.kind (\(config) introuvable)",
                    en: "give --kind (commune, cc, ca, cu, metropole, departement, region, syndicat), or an agent configuration with entity.kind (\(config) not found)")
            }
            let entity = try AgentConfiguration.load(path: config).entity
            guard let kind = entity.kind else {
                throw InputError(
                    .usage, file: config,
                    fr: "entity.kind n'est pas renseigné : donnez --kind ou renseignez-le dans la configuration de l'agent",
                    en: "entity.kind is not set: give --kind or set it in the agent configuration")
            }
            return ScopeFacts(kind: kind, population: population ?? entity.population, hasCommuneOver30000: hasCommuneOver30000)
        }

        func describe(_ facts: ScopeFacts, english: Bool) -> String {
            var parts = [EntityKind(rawValue: facts.kind)?.label(english: english) ?? facts.kind]
            if let population = facts.population {
                parts.append(english ? "\(Grouping.digits(population, french: false)) inhabitants" : "\(Grouping.digits(population, french: true)) habitants")
            }
            switch facts.hasCommuneOver30000 {
            case true?: parts.append(english ? "a member commune above 30,000 inhabitants" : "une commune membre de plus de 30 000 habitants")
            case false?: parts.append(english ? "no member commune above 30,000 inhabitants" : "aucune commune membre de plus de 30 000 habitants")
            case nil: break
            }
            return parts.joined(separator: ", ")
        }

        func text(_ decision: ScopeDecision, facts: ScopeFacts, table: ScopeRules) -> String {
            let english = lang == .en
            var lines = [english ? "NIS 2 — applicability" : "NIS 2 — applicabilité"]
            lines.append((english ? "Entity: " : "Collectivité : ") + describe(facts, english: english))
            if let category = decision.category, let rule = decision.rule {
                lines.append((english ? "Result: " : "Résultat : ") + category.label(english: english))
                lines.append((english ? "Why: " : "Pourquoi : ") + rule.reason.text(english: english))
                lines.append((english ? "Rule: " : "Règle : ") + "\(rule.id) (\(table.file)\(rule.line.map { ":\($0)" } ?? ""))")
                lines.append(sourcesHeader(rule, english: english))
                lines += rule.sources.map { "  - \($0)" }
            } else if decision.candidates.isEmpty {
                lines.append(english ? "Result: no rule covers this entity" : "Résultat : aucune règle ne couvre cette collectivité")
            } else {
                let missing = decision.missingFacts.map { fact -> String in
                    switch fact {
                    case "population": return english ? "the population (--population)" : "la population (--population)"
                    default: return english
                        ? "whether a member commune has more than 30,000 inhabitants (--has-commune-over-30000 or --no-has-commune-over-30000)"
                        : "si une commune membre dépasse 30 000 habitants (--has-commune-over-30000 ou --no-has-commune-over-30000)"
                    }
                }
                lines.append((english ? "Result: undetermined — missing: " : "Résultat : indéterminé — à préciser : ") + missing.joined(separator: english ? "; " : " ; "))
                lines.append(english ? "Possible outcomes:" : "Possibilités :")
                for rule in decision.candidates {
                    lines.append("  - \(rule.id): \(rule.category.label(english: english)) — \(rule.reason.text(english: english))")
                    lines.append("    " + sourcesHeader(rule, english: english) + " " + rule.sources.joined(separator: " ; "))
                }
            }
            lines.append("")
            lines.append((english ? "Status of the text (rules of \(table.version)): " : "État du texte (règles du \(table.version)) : ") + table.textStatus.text(english: english))
            return lines.joined(separator: "\n") + "\n"
        }

        func sourcesHeader(_ rule: ScopeRule, english: Bool) -> String {
            switch (rule.sourceStatus, english) {
            case (.verified, false): return "Sources (lues dans le texte ou l'amendement) :"
            case (.verified, true): return "Sources (read in the bill or amendment):"
            case (.secondary, false): return "Sources (secondaires seulement, à confirmer) :"
            case (.secondary, true): return "Sources (secondary only, to be confirmed):"
            }
        }

        func json(_ decision: ScopeDecision, facts: ScopeFacts, table: ScopeRules) throws -> String {
            func rule(_ rule: ScopeRule) -> JSONValue {
                .object([
                    "id": .string(rule.id), "category": .string(rule.category.rawValue),
                    "reason": .object(["fr": .string(rule.reason.fr), "en": .string(rule.reason.en)]),
                    "sources": .array(rule.sources.map(JSONValue.string)), "sourceStatus": .string(rule.sourceStatus.rawValue),
                ])
            }
            var object: [String: JSONValue] = [
                "facts": .object([
                    "kind": .string(facts.kind), "population": facts.population.map(JSONValue.int) ?? .null,
                    "hasCommuneOver30000": facts.hasCommuneOver30000.map(JSONValue.bool) ?? .null,
                ]),
                "category": decision.category.map { .string($0.rawValue) } ?? .null,
                "rulesFile": .string(table.file), "rulesVersion": .string(table.version),
                "textStatus": .object(["fr": .string(table.textStatus.fr), "en": .string(table.textStatus.en)]),
                "final": .bool(false),
            ]
            if let decided = decision.rule, decision.category != nil { object["rule"] = rule(decided) }
            if decision.category == nil {
                object["missingFacts"] = .array(decision.missingFacts.map(JSONValue.string))
                object["candidates"] = .array(decision.candidates.map(rule))
            }
            return try prettyJSON(.object(object))
        }
    }

    /// Scores an answers file per Art. 21(2) letter and overall.
    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score du questionnaire NIS 2 par mesure et global (score an answers file per measure and overall).")

        @Option(help: "Fichier de réponses NIS 2 (answers file).", completion: .file())
        var answers: String = NIS2AnswersCheck().answers

        @Option(help: "Autre fichier de questionnaire, YAML (another questionnaire file).")
        var questionnaire: String?

        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        @Flag(help: "Affiche aussi les points répondus \"oui\" (show items answered oui too).")
        var all = false

        func run() async throws {
            let path = answers.hasPrefix("/") ? answers : FileManager.default.currentDirectoryPath + "/" + answers
            let results = await NIS2AnswersCheck(answers: path, questionnaire: questionnaire).run(CheckContext(root: .system))
            if let problem = results.first(where: { $0.code == NIS2AnswersCheck.answersCode || $0.code == NIS2AnswersCheck.questionnaireCode }) {
                // In the reader's language (French by default), as `assess --check` says it.
                let reason = lang == .fr ? problem.reasonFr ?? problem.reason : problem.reason
                note("cyberctl: " + (reason ?? (lang == .en ? "cannot read \(path)" : "lecture impossible : \(path)")).replacingAll("\n", with: "\ncyberctl: "))
                throw ExitCode(problem.evidence["failure"] == "missing" ? 66 : problem.evidence["failure"] == "read" ? 74 : 65)
            }
            let summary = Scoring.summarize(results)
            switch format {
            case .json:
                let sheet = NIS2ScoreSheet(results)
                let object: JSONValue = .object([
                    "answers": .string(path),
                    "overall": sheet?.overall.map(JSONValue.int) ?? .null,
                    "sections": .array((sheet?.sections ?? []).map {
                        .object([
                            "id": .string($0.id), "article": .string($0.article), "score": $0.score.map(JSONValue.int) ?? .null,
                            "done": .int($0.done), "scored": .int($0.scored),
                        ])
                    }),
                    "unknown": .array((sheet?.unknown ?? []).map { .string($0.code) }),
                    "unanswered": .array((sheet?.unanswered ?? []).map { .string($0.code) }),
                    "reviewOverdue": .array((sheet?.overdue ?? []).map { .string($0.code) }),
                    "coverage": .double(summary.coverage),
                ])
                emit(try prettyJSON(object))
            case .table:
                let table = ResultTable(language: lang, showPasses: all)
                emit(table.renderResults(results, summary: summary) + "\n" + (table.nis2Sheet(results) ?? "") + "\n")
            }
        }
    }
}

/// `value` as JSONSerialization wrote it with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` (two-space
/// indent, `"key" : value`, keys sorted, whole doubles without ".0": the same writer), and a final newline.
private func prettyJSON(_ value: JSONValue) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}
