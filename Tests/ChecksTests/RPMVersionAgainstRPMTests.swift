import Checks
import Foundation
import Testing
import TestSupport

/// The same ordering checked against rpm itself (rpm 4.18's Lua `rpm.vercmp`, one process for all
/// pairs), on pairs drawn from this machine's real version strings.
@Suite struct RPMVersionAgainstRPMTests {
    @Test func agreesWithRPMOnTenThousandPairs() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/rpm"), "rpm is not installed (apt-get install rpm)")
        let versions = try await OffPool.run { try DebianVersionTests.machineVersions() }.filter { !$0.contains(" ") && !$0.contains("%") }
        var generator = DebianVersionTests.SplitMix(state: 4_18_0)
        var sample = versions.shuffled(using: &generator).prefix(6_001).map { $0 }
        sample.sort { RPMVersion.EVR.compare(RPMVersion.EVR($0), RPMVersion.EVR($1)) < 0 }
        var pairs: [(String, String)] = []
        for index in 1..<sample.count { pairs.append((sample[index - 1], sample[index])) }
        while pairs.count < 12_000 { pairs.append((versions.randomElement(using: &generator)!, versions.randomElement(using: &generator)!)) }
        let directory = try TemporaryDirectory()
        let input = try directory.write("pairs", pairs.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n")
        let script = "%{lua: for line in io.lines(\"\(input)\") do local a, b = line:match(\"^(%S+) (%S+)$\"); print(rpm.vercmp(a, b) .. \"\\n\") end}"
        let output = try await OffPool.run { try Command.run("/usr/bin/rpm", ["--eval", script]) }
        try #require(output.exitCode == 0, "rpm: \(output.stderr)")
        let answers = output.stdout.split(separator: "\n").map { Int($0) }
        try #require(answers.count == pairs.count, "rpm answered \(answers.count) of \(pairs.count)")
        var disagreements: [String] = []
        for (pair, answer) in zip(pairs, answers) {
            let ours = RPMVersion.EVR.compare(RPMVersion.EVR(pair.0), RPMVersion.EVR(pair.1))
            if ours != answer { disagreements.append("\(pair.0) vs \(pair.1): rpm \(answer.map(String.init) ?? "?"), cyberctl \(ours)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, e.g. \(disagreements.prefix(5))")
    }
}
