import Agent
import AgentCLI
import ArgumentParser
import Foundation

@main
struct Cyberctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyberctl",
        abstract: "Préparation cyber des collectivités : contrôles, rapports signés, vue du territoire (cyber readiness of local authorities).",
        discussion: """
            Pour les communes, intercommunalités et syndicats : état de préparation face aux cyberattaques et à NIS 2. \
            Textes en français par défaut ; --lang en pour l'anglais.

            Readiness of French local authorities against cyberattacks and NIS 2. French by default; --lang en for English.
            """,
        version: Scanner.version,
        // The agent's commands first (`AgentCommand`, also the whole of `cyberctl-agent`), then the RSSI's.
        subcommands: AgentCommand.subcommands + [
            DomainCommand.self, PKI.self, Consolidate.self, TerritoryCommand.self, SummaryCommand.self, Csirt.self, IncidentCommand.self,
            Collect.self, BenchmarkSigning.self,
        ]
    )

    /// `AgentCommand.main`: the process-wide settings, the parse, the run.
    static func main() async {
        await AgentCommand.main(root: Cyberctl.self)
    }
}
