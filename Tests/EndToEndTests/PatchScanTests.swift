import Foundation
import Testing
import TestSupport

/// `cyberctl scan --only patches` end to end: the built binary on fixture trees made from this
/// machine's real dpkg and apt files.
@Suite(.serialized) struct PatchScanTests {
    static func results(_ file: String) throws -> [[String: Any]] {
        let report = try ScanCommandTests.json(try Data(contentsOf: URL(fileURLWithPath: file)))
        return try #require(report["results"] as? [[String: Any]])
    }

    static func result(_ results: [[String: Any]], _ code: String) throws -> [String: Any] {
        let matching = results.filter { $0["code"] as? String == code }
        #expect(matching.count == 1, "\(code)")
        return try #require(matching.first)
    }

    @Test func scanOfAFixtureImageReportsWhatAptWouldInstall() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await OffPool.run { try DebianFixture.make(in: directory) }
        let out = directory.url("report.json")
        let output = try await OffPool.run { try BuiltBinary.run(["scan", "--root", fixture.root, "--only", "patches", "--format", "json", "--out", out, "--lang", "en"]) }
        #expect(output.exitCode == 1, "pending security updates are a high finding: \(output.stderr)")
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
        let results = try Self.results(out)
        #expect(Set(results.compactMap { $0["check"] as? String }) == ["patch.packages"])
        let codes = Set(results.compactMap { $0["code"] as? String })
        #expect(codes == [
            "patch.package-lists", "patch.security-updates", "patch.pending-updates", "patch.held-packages",
            "patch.lists-age", "patch.auto-updates", "patch.reboot-required", "patch.os-eol",
        ])

        let pending = try Self.result(results, "patch.pending-updates")
        let updates = try #require((pending["evidence"] as? [String: Any])?["updates"] as? [[String: Any]])
        var table: [String: String] = [:]
        for update in updates { table["\(update["package"]!):\(update["architecture"]!)"] = update["candidate"] as? String }
        let apt = try await OffPool.run { try fixture.aptUpgradable() }
        #expect(table == apt)

        let security = try Self.result(results, "patch.security-updates")
        #expect(security["status"] as? String == "fail")
        #expect(security["severity"] as? String == "high")
        let securityUpdates = try #require((security["evidence"] as? [String: Any])?["updates"] as? [[String: Any]])
        for update in securityUpdates {
            #expect(update["installed"] is String && update["candidate"] is String && update["package"] is String)
        }
        #expect(securityUpdates.count >= fixture.security.count)
        let reboot = try Self.result(results, "patch.reboot-required")
        #expect(reboot["status"] as? String == "skip")
        // The terminal table names the rules in the language asked for.
        let second = directory.url("r2.json")
        let table2 = try await OffPool.run { try BuiltBinary.run(["scan", "--root", fixture.root, "--only", "patch.packages", "--out", second, "--lang", "en"]) }
        #expect(table2.stdout.contains("Pending security updates"), "\(table2.stdout)")
    }

    @Test func badInputGivesErrorResultsAndTheScanGoesOn() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await OffPool.run { try DebianFixture.make(in: directory) }
        // Truncated status, a broken stanza in a list, an unknown os-release, all at once.
        let statusPath = fixture.root + "/var/lib/dpkg/status"
        let status = try Data(contentsOf: URL(fileURLWithPath: statusPath))
        try status.prefix(status.count / 2 + 3).write(to: URL(fileURLWithPath: statusPath))
        let lists = fixture.root + "/var/lib/apt/lists"
        let plain = try #require(try FileManager.default.contentsOfDirectory(atPath: lists).first { $0.hasSuffix("_Packages") })
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: lists + "/" + plain))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\nPackage: broken\n no field on this line\nwhat is this\n\n".utf8))
        try handle.close()
        try "ID=amigaos\nVERSION_ID=4.1\n".write(toFile: fixture.root + "/etc/os-release", atomically: true, encoding: .utf8)

        let out = directory.url("report.json")
        let output = try await OffPool.run { try BuiltBinary.run(["scan", "--root", fixture.root, "--only", "patches", "--format", "json", "--out", out]) }
        #expect([0, 1].contains(output.exitCode), "a scan with unreadable inputs still ends normally: \(output.exitCode) \(output.stderr)")
        let results = try Self.results(out)
        let pending = try Self.result(results, "patch.pending-updates")
        #expect(pending["status"] as? String == "error")
        #expect((pending["reason"] as? String)?.contains("/var/lib/dpkg/status:") == true)
        let eol = try Self.result(results, "patch.os-eol")
        #expect(eol["status"] as? String == "error")
        #expect((eol["reason"] as? String)?.contains("amigaos") == true)
        let listsResult = try Self.result(results, "patch.package-lists")
        #expect(listsResult["status"] as? String == "error")
        #expect((listsResult["reason"] as? String)?.contains("\(plain):") == true, "\(listsResult)")
        // What could be read was still judged.
        #expect(try Self.result(results, "patch.lists-age")["status"] as? String == "pass")
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
    }

    /// The agent runs as a dedicated user (packaging/systemd): a pin file it may not read makes the
    /// candidates unknown, an error naming the file, not a pass computed without the pin.
    @Test func anAptInputTheAgentsUserCannotReadIsAnError() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await OffPool.run { try DebianFixture.make(in: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let pin = fixture.root + "/etc/apt/preferences.d/cyberctl-test"
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pin)
        let outFolder = try directory.makeDirectory("out")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outFolder)
        let out = outFolder + "/report.json"
        let output = try await OffPool.run {
            try Command.run("/usr/bin/setpriv", [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", try BuiltBinary.path, "scan", "--root", fixture.root,
                "--only", "patches", "--format", "json", "--out", out, "--lang", "en",
            ], currentDirectory: outFolder)
        }
        #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
        let results = try Self.results(out)
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let result = try Self.result(results, code)
            #expect(result["status"] as? String == "error", "\(code): \(result)")
            #expect((result["reason"] as? String)?.contains("/etc/apt/preferences.d/cyberctl-test: permission denied") == true, "\(result)")
        }
        #expect(try Self.result(results, "patch.package-lists")["status"] as? String == "error")
    }

    /// The terminal table says what the support phase means and what to do, in French by default.
    @Test func theTableExplainsTheSupportPhaseInFrench() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await OffPool.run { try DebianFixture.make(in: directory) }
        // An old Debian whose every support has ended (distro-info-data: wheezy, ELTS ended 2020-06-30).
        try "ID=debian\nVERSION_ID=\"7\"\nVERSION_CODENAME=wheezy\n".write(toFile: fixture.root + "/etc/os-release", atomically: true, encoding: .utf8)
        let output = try await OffPool.run { try BuiltBinary.run(["scan", "--root", fixture.root, "--only", "patch.packages", "--out", directory.url("r.json"), "--all"]) }
        #expect(output.stdout.contains("Fin de support du système — /etc/os-release (Debian 7 wheezy — plus aucun support depuis le 30 juin 2020)"), "\(output.stdout)")
    }

    @Test func checksListingNamesTheCheckAndItsRules() throws {
        let output = try BuiltBinary.run(["checks", "--lang", "en"])
        #expect(output.stdout.contains("patch.packages  [patches]"))
        for code in ["patch.security-updates", "patch.os-eol", "patch.reboot-required"] { #expect(output.stdout.contains(code)) }
    }
}
