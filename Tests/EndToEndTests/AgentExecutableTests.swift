import Foundation
import TestSupport
import Testing

/// `cyberctl-agent`, the agent's own executable: the agent's commands and nothing else, the same answers as
/// `cyberctl` for them, and none of the RSSI's libraries linked in (read from the binary's symbol table).
@Suite struct AgentExecutableTests {
    static let agentCommands = ["scan", "push", "cert", "tls", "checks", "profiles", "enroll", "verify", "nis2", "assess", "plugin", "metrics"]
    static let rssiCommands = ["domain", "pki", "consolidate", "territory", "summary", "csirt", "incident", "collect"]

    /// The subcommand names of a `--help` page.
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        let section = help[start.upperBound...].components(separatedBy: "\n\n").first ?? ""
        return section.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    @Test("--help lists the agent's commands only; cyberctl lists them too, then the RSSI's")
    func commandsOfEachExecutable() throws {
        let agent = try BuiltBinary.runAgent(["--help"])
        #expect(agent.exitCode == 0, "\(agent.stderr)")
        #expect(Self.subcommands(agent.stdout) == Self.agentCommands, "\(agent.stdout)")
        let full = try BuiltBinary.run(["--help"])
        let fullCommands = Self.subcommands(full.stdout)
        #expect(Array(fullCommands.prefix(Self.agentCommands.count)) == Self.agentCommands)
        #expect(Set(fullCommands).isSuperset(of: Self.rssiCommands), "\(full.stdout)")
        // An RSSI command is unknown to the agent: a usage error (64), named.
        let territory = try BuiltBinary.runAgent(["territory", "status"])
        #expect(territory.exitCode == 64)
        #expect(territory.stderr.contains("territory"))
        #expect(try BuiltBinary.runAgent(["--version"]).stdout == (try BuiltBinary.run(["--version"])).stdout)
    }

    @Test("the agent links no HTTP server, SwiftNIO, BoringSSL, SQLite store, collector, élus summary or Prometheus client")
    func linksNoneOfTheRSSISide() throws {
        let symbols = try Command.run("nm", [try BuiltBinary.agentPath])
        #expect(symbols.exitCode == 0, "\(symbols.stderr)")
        // Swift's mangled names start with $s, then the module name's length and the name.
        for module in ["Territory", "Collector", "Summary", "Incidents", "Rendering", "GRDB", "NIOCore", "NIOSSL", "Hummingbird", "Mustache", "Prometheus"] {
            #expect(!symbols.stdout.contains("$s\(module.count)\(module)"), "\(module) is linked into cyberctl-agent")
        }
        // BoringSSL (swift-nio-ssl's) would bring its own prefixed symbols.
        #expect(!symbols.stdout.contains("CNIOBoringSSL_"))
        // The check itself can fail: the full tool does link them.
        let full = try Command.run("nm", [try BuiltBinary.path])
        #expect(full.stdout.contains("$s9Territory") && full.stdout.contains("$s9Collector"))
    }

    /// The agent's own modules (issue 19: FoundationEssentials only, never full Foundation and ICU).
    static let agentModules = [
        "AgentCLI", "Agent", "Checks", "NIS2", "Trust", "TLSProbe", "OpenSSLKit", "InputFiles", "ShippedData", "Delivery",
        "Monitoring", "FoundationGaps", "cyberctl_agent",
    ]

    /// The agent's modules and dependencies next to `binary` (`<module>.build/*.o`, from the same build) whose objects ask the linker for
    /// full Foundation's libraries (`-lFoundation`, … in `.swift1_autolink_entries`): importing a module that
    /// imports Foundation is enough. Read with readelf; empty when it is missing.
    static func foundationPullers(near binary: String) -> [String] {
        let folder = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        let entries = ["-lFoundation", "-lFoundationInternationalization", "-l_FoundationICU", "-lCoreFoundation"]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let closure = Set(agentModules + ["Yams", "ArgumentParser", "Logging", "Subprocess", "SystemPackage"])
        return files.filter { $0.hasSuffix(".build") && closure.contains(String($0.dropLast(".build".count))) }.sorted().compactMap { build in
            let objects = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + build)) ?? [])
                .filter { $0.hasSuffix(".o") }.map { folder + "/" + build + "/" + $0 }
            guard !objects.isEmpty, let dump = try? Command.run("readelf", ["-p", ".swift1_autolink_entries"] + objects) else { return nil }
            let words = Set(dump.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "]" }).map(String.init))
            return entries.contains(where: words.contains) ? String(build.dropLast(".build".count)) : nil
        }
    }

    @Test("the debug cyberctl-agent does not load full Foundation, FoundationInternationalization or ICU (only FoundationEssentials)")
    func linksFoundationEssentialsOnly() throws {
        let agent = try BuiltBinary.agentPath
        let libraries = try Command.run("ldd", [agent])
        #expect(libraries.exitCode == 0, "\(libraries.stderr)")
        let loaded = Set(libraries.stdout.split(separator: "\n").compactMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) })
        let forbidden = ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"]
        let found = forbidden.filter(loaded.contains)
        if !found.isEmpty {
            // Who asks for it: modules of this build whose objects autolink full Foundation (a dependency such as
            // Yams that imports Foundation makes every module importing it, directly or not, do so).
            let pullers = Self.foundationPullers(near: agent)
            Issue.record("cyberctl-agent loads \(found.joined(separator: ", ")); modules autolinking full Foundation: \(pullers.joined(separator: ", "))")
        }
        #expect(loaded.contains("libFoundationEssentials.so"), "\(libraries.stdout)")
        // The check itself can fail: the full tool does load them.
        let full = try Command.run("ldd", [try BuiltBinary.path])
        #expect(full.stdout.contains("libFoundation.so") && full.stdout.contains("lib_FoundationICU.so"), "\(full.stdout)")
    }

    @Test("the same certificate check gives the same results from both executables; a plugin's bad arguments are UNKNOWN (3) in both")
    func sameAnswers() throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let expired = try factory.issue(name: "old", subject: "/CN=old.mairie.test", notBefore: Date() - 90 * 86_400, notAfter: Date() - 86_400)
        let file = try directory.write("old.pem", expired.pem)
        func results(_ output: Command.Output) throws -> [[String: String]] {
            let object = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
            let list = try #require(object["results"] as? [[String: Any]])
            return list.map { $0.filter { $0.key != "durationMs" && $0.key != "evidence" }.mapValues { "\($0)" } }
        }
        let agent = try BuiltBinary.runAgent(["cert", file, "--format", "json"])
        let full = try BuiltBinary.run(["cert", file, "--format", "json"])
        #expect(agent.exitCode == 1 && full.exitCode == 1, "\(agent.stderr) \(full.stderr)")
        let agentResults = try results(agent)
        #expect(!agentResults.isEmpty)
        #expect(agentResults == (try results(full)))
        for plugin in [try BuiltBinary.runAgent(["plugin", "--no-such-option"]), try BuiltBinary.run(["plugin", "--no-such-option"])] {
            #expect(plugin.exitCode == 3, "\(plugin.stdout) \(plugin.stderr)")
            #expect(plugin.stdout.hasPrefix("CYBERCTL UNKNOWN: "))
        }
    }
}
