import Agent
import ArgumentParser
import Foundation

@main
struct Cyberctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyberctl",
        abstract: "Préparation cyber des collectivités : contrôles, rapports signés, vue du territoire.",
        discussion: "Readiness of French local authorities against cyberattacks and NIS 2.",
        version: Scanner.version,
        subcommands: [
            Scan.self, Cert.self, Checks.self, Profiles.self, PKI.self, Enroll.self, Verify.self, BenchmarkSigning.self,
            Nis2Command.self, Assess.self, Consolidate.self, TerritoryCommand.self, BenchmarkTerritory.self, SummaryCommand.self,
        ]
    )
}
