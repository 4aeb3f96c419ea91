import Agent
import AgentCLI
import Checks
import Foundation
import Model
import Territory

/// `cyberctl domain --roster`: the roster's entities that declare domains, and their results grouped by entity.
enum DomainRosterGroups {
    /// One roster entity with its domain names, in roster order (the grouping first).
    struct Entity: Encodable {
        let name: String
        let siren: String
        let domains: [String]
    }

    /// The grouping, then the members, that declare at least one domain; an entity listed twice (the grouping
    /// among its members) once.
    static func entities(_ roster: Roster) -> [Entity] {
        var seen: Set<String> = []
        return ([roster.territory] + roster.members).compactMap { member in
            guard !member.domains.isEmpty, seen.insert(member.siren).inserted else { return nil }
            return Entity(name: member.name, siren: member.siren, domains: member.domains)
        }
    }

    /// Every domain once, in roster order: a name two entities share is checked once and shown under both.
    static func uniqueDomains(_ entities: [Entity]) -> [String] {
        var seen: Set<String> = []
        return entities.flatMap(\.domains).filter { seen.insert($0).inserted }
    }

    /// JSON: `{"members": [{"name", "siren", "domains", "results", "summary"}], "summary"}` (the summary of
    /// all results, each domain counted once); table: one block per entity, then the overall score line.
    static func write(_ entities: [Entity], results byDomain: [String: [CheckResult]], options: RunOptions) {
        func results(_ entity: Entity) -> [CheckResult] { entity.domains.flatMap { byDomain[$0] ?? [] } }
        let all = uniqueDomains(entities).flatMap { byDomain[$0] ?? [] }
        let summary = Scoring.summarize(all)
        switch options.format {
        case .json:
            struct Member: Encodable {
                let name: String, siren: String, domains: [String], results: [CheckResult], summary: ScoreSummary
            }
            struct Output: Encodable { let members: [Member], summary: ScoreSummary }
            let members = entities.map { entity in
                let own = results(entity)
                return Member(name: entity.name, siren: entity.siren, domains: entity.domains, results: own, summary: Scoring.summarize(own))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(Output(members: members, summary: summary))) ?? Data()
            emit(String(decoding: data, as: UTF8.self) + "\n")
        case .table:
            let table = ResultTable(language: options.lang, showPasses: options.all)
            var text = ""
            for entity in entities {
                let own = results(entity)
                let ownSummary = Scoring.summarize(own)
                text += "== \(entity.name) — SIREN \(entity.siren) — \(entity.domains.joined(separator: ", "))\n"
                text += table.renderResults(own, summary: ownSummary) + "\n" + table.scoreLine(ownSummary) + "\n\n"
            }
            emit(text + table.scoreLine(summary) + "\n")
        }
    }
}
