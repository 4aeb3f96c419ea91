import ArgumentParser
import Foundation
import TerritoryGenerator

/// Writes a synthetic territory (a CA and signed reports) for `scripts/bench-territory.sh`: the
/// generator the tests use, outside cyberctl.
struct GenerateTerritory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-territory", abstract: "Writes a synthetic territory of signed reports (CA in OUT/ca, reports in OUT/inbox).")

    @Option(help: "Output folder, receives ca/ and inbox/.")
    var out: String
    @Option(help: "Number of reports.")
    var reports = 1000
    @Option(help: "Number of entities.")
    var entities = 200
    @Option(help: "Hosts per entity.")
    var hosts = 5
    @Option(help: "Random seed.")
    var seed: UInt64 = 7

    func validate() throws {
        for (value, range, option) in [(reports, 1...10_000_000, "--reports"), (entities, 1...1_000_000, "--entities"), (hosts, 1...10_000, "--hosts")]
        where !range.contains(value) {
            throw ValidationError("\(option) \(value): expected \(range.lowerBound) to \(range.upperBound)")
        }
    }

    func run() throws {
        let output = try TerritoryGenerator(entities: entities, hostsPerEntity: hosts, reports: reports, seed: seed).generate(into: out)
        print("ca \(output.caFile)\ninbox \(output.inbox)\nreports \(output.reportPaths.count)")
    }
}

GenerateTerritory.main()
