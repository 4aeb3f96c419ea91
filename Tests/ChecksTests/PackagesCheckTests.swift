@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

/// `patch.packages` on fixture trees built from this machine's real dpkg and apt files (checked
/// against real apt run on the same tree), and on this machine against `apt list --upgradable`.
@Suite(.serialized) struct PackagesCheckTests {
    static func run(_ root: String, now: Date = Date(), configure: (inout PackagesCheck) -> Void = { _ in }) async throws -> [CheckResult] {
        var check = PackagesCheck()
        configure(&check)
        return await check.run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(now)))
    }

    static func one(_ results: [CheckResult], _ code: String) throws -> CheckResult {
        let matching = results.filter { $0.code == code }
        #expect(matching.count == 1, "\(code): \(matching.count) results")
        return try #require(matching.first)
    }

    /// Built once from this machine's files; each test alters its own copy.
    nonisolated(unsafe) static var template: (TemporaryDirectory, DebianFixture)?

    static func fixture(in directory: TemporaryDirectory) async throws -> DebianFixture {
        if template == nil {
            let holder = try TemporaryDirectory(prefix: "cyberctl-debian-fixture")
            template = (holder, try await OffPool.run { try DebianFixture.make(in: holder) })
        }
        let made = template!.1
        return try await OffPool.run { try made.copy(into: directory) }
    }

    static let native = (try? Command.run("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "amd64"

    /// `name:arch` → candidate from an evidence `updates` list; `all` kept as apt prints it.
    static func updates(_ result: CheckResult) -> [String: String] {
        guard case .array(let items)? = result.evidence["updates"] else { return [:] }
        var table: [String: String] = [:]
        for case .object(let item) in items {
            table["\(item["package"]?.stringValue ?? ""):\(item["architecture"]?.stringValue ?? "")"] = item["candidate"]?.stringValue
        }
        return table
    }

    /// The same table with `all` read as the native architecture (the fixture's keys).
    static func nativeKeys(_ table: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: table.map { key, value in
            (key.hasSuffix(":all") ? String(key.dropLast(3)) + native : key, value)
        })
    }

    @Test func fixtureFromRealFilesGivesWhatAptGivesOnTheSameTree() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let results = try await Self.run(fixture.root)
        let pending = try Self.one(results, "patch.pending-updates")
        let security = try Self.one(results, "patch.security-updates")
        let ours = Self.updates(pending)

        // Real apt, pointed at the same tree, is the oracle (pins, suites, versions).
        let apt = try await OffPool.run { try fixture.aptUpgradable() }
        #expect(ours == apt)

        // And the alterations made to the tree show up as designed.
        let oursNative = Self.nativeKeys(ours)
        let securityNative = Self.nativeKeys(Self.updates(security))
        for (key, candidate) in fixture.olderNonSecurity {
            #expect(oursNative[key] == candidate, "\(key) made older")
            #expect(securityNative[key] == nil, "\(key) is not a security update")
        }
        for (key, candidate) in fixture.security {
            #expect(securityNative[key] == candidate, "\(key) has a security update")
            #expect(oursNative[key] == candidate)
        }
        #expect(!oursNative.keys.contains { $0.hasPrefix(fixture.pinned + ":") }, "the pin keeps \(fixture.pinned) back")
        #expect(security.status == .fail && security.severity == .high)
        #expect(security.evidence["count"]?.intValue == securityNative.count)
        #expect(pending.evidence["count"]?.intValue == ours.count)

        let held = try Self.one(results, "patch.held-packages")
        #expect(held.status == .warn && held.severity == .info)
        #expect(held.evidence["packages"] == .strings(["\(fixture.held):\(Self.heldArchitecture(fixture))"]))
        #expect(held.evidence["withPendingUpdate"] == .strings([fixture.held]))

        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .pass)
        guard case .array(let files)? = lists.evidence["lists"] else { Issue.record("no lists evidence"); return }
        #expect(files.contains(.string("/var/lib/apt/lists/" + fixture.compressedList)), "the lz4 list was read")
        #expect(try Self.one(results, "patch.lists-age").status == .pass)
    }

    @Test func defaultReleaseFromAptConfigurationIsFollowedAsAptFollowsIt() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        try directory.write("image/etc/apt/apt.conf.d/50cyberctl-test", "APT::Default-Release \"\(fixture.mainCodename)\";\n")
        let results = try await Self.run(fixture.root)
        let ours = Self.updates(try Self.one(results, "patch.pending-updates"))
        let codename = fixture.mainCodename
        let apt = try await OffPool.run { try fixture.aptUpgradable(options: ["APT::Default-Release=\(codename)"]) }
        #expect(ours == apt)
        // The main suite at 990 beats the security suite at 500: no security candidate is left.
        let security = Self.nativeKeys(Self.updates(try Self.one(results, "patch.security-updates")))
        for key in fixture.security.keys { #expect(security[key] == nil, "\(key)") }
    }

    static func heldArchitecture(_ fixture: DebianFixture) -> String {
        let status = (try? String(contentsOfFile: fixture.root + "/var/lib/dpkg/status", encoding: .utf8)) ?? ""
        let stanza = DebianFiles.stanzas(status).first { $0.package == fixture.held }
        return stanza?.architecture ?? ""
    }

    @Test func thisMachinesPendingUpdatesAreWhatAptListUpgradablePrints() async throws {
        // Other work may install packages meanwhile: retry until apt gives the same answer before and after.
        for attempt in 1...3 {
            let before = try await OffPool.run { try DebianFixture.aptUpgradable() }
            let results = try await Self.run("/")
            let after = try await OffPool.run { try DebianFixture.aptUpgradable() }
            guard before == after else { continue }
            let pending = try Self.one(results, "patch.pending-updates")
            if try DebianFiles.lists(securityOnly: true).isEmpty && DebianFiles.lists(names: []).isEmpty {
                // No lists (apt-get update never ran): apt knows no candidate, and cyberctl says it cannot decide.
                #expect(before.isEmpty)
                #expect(pending.status == .error)
                #expect(pending.reason?.contains("apt-get update") == true)
            } else {
                #expect(Self.updates(pending) == before, "attempt \(attempt)")
                // Every update apt shows from a -security suite is a security update for cyberctl too.
                let security = Self.updates(try Self.one(results, "patch.security-updates"))
                let aptList = try await OffPool.run { try Command.run("/usr/bin/apt", ["list", "--upgradable"], environment: ["LC_ALL": "C"]) }.stdout
                var aptSecurity = Set<String>()
                for line in aptList.split(separator: "\n") where line.contains("-security") && line.contains("[upgradable from:") {
                    let words = line.split(separator: " ")
                    aptSecurity.insert("\(words[0].split(separator: "/")[0]):\(words[2])")
                }
                #expect(aptSecurity.isSubset(of: Set(security.keys)), "\(aptSecurity.subtracting(security.keys))")
                // The others have a security version newer than the installed one, superseded by the
                // candidate: checked with apt-cache madison and dpkg.
                let pendingEvidence = try Self.one(results, "patch.pending-updates")
                for key in Set(security.keys).subtracting(aptSecurity) {
                    let name = String(key.split(separator: ":")[0])
                    guard case .array(let items)? = pendingEvidence.evidence["updates"],
                          let installed = items.compactMap({ item -> String? in
                              guard case .object(let fields) = item, fields["package"]?.stringValue == name else { return nil }
                              return fields["installed"]?.stringValue
                          }).first else { Issue.record("\(key) not pending"); continue }
                    let madison = try await OffPool.run { try Command.run("/usr/bin/apt-cache", ["madison", name], environment: ["LC_ALL": "C"]) }.stdout
                    var found = false
                    for line in madison.split(separator: "\n") where line.contains("-security") {
                        let version = line.split(separator: "|")[1].trimmingCharacters(in: .whitespaces)
                        if try DebianFiles.dpkgCompare(version, "gt", installed) { found = true }
                    }
                    #expect(found, "\(key): no security version newer than \(installed) in apt-cache madison")
                }
            }
            return
        }
        Issue.record("apt's answer kept changing while the test ran")
    }

    @Test func truncatedStatusGivesErrorsNamingTheFileAndTheRestGoesOn() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let statusPath = fixture.root + "/var/lib/dpkg/status"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: statusPath))
        // Cut in the middle of a line (a field name, a value, a continuation…), at several places,
        // and right after a complete line inside a stanza.
        var cuts: [Int] = []
        for fraction in [0.2, 0.37, 0.5, 0.66, 0.81, 0.93] {
            var cut = Int(Double(bytes.count) * fraction)
            while bytes[cut] == UInt8(ascii: "\n") || bytes[cut - 1] == UInt8(ascii: "\n") { cut += 1 }
            cuts.append(cut)
        }
        var lineEnd = bytes.count / 2
        while !(bytes[lineEnd] == UInt8(ascii: "\n") && bytes[lineEnd - 1] != UInt8(ascii: "\n") && bytes[lineEnd + 1] != UInt8(ascii: "\n")) { lineEnd += 1 }
        cuts.append(lineEnd + 1)
        for cut in cuts {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: statusPath))
            let results = try await Self.run(fixture.root)
            for code in ["patch.security-updates", "patch.pending-updates", "patch.held-packages", "patch.auto-updates"] {
                let result = try Self.one(results, code)
                #expect(result.status == .error, "\(code)")
                #expect(result.reason?.contains("/var/lib/dpkg/status:") == true, "\(code): \(result.reason ?? "")")
                #expect(result.reason?.contains("truncated") == true, "cut at \(cut): \(code): \(result.reason ?? "")")
            }
            #expect(try Self.one(results, "patch.lists-age").status == .pass)
            #expect(try Self.one(results, "patch.os-eol").status != .error)
        }
    }

    @Test func brokenStanzaInAPackagesListIsNamedAndTheOthersAreStillRead() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let listsDirectory = fixture.root + "/var/lib/apt/lists"
        let plain = try #require(try FileManager.default.contentsOfDirectory(atPath: listsDirectory)
            .first { $0.hasSuffix("_Packages") && $0.contains("security") })
        let path = listsDirectory + "/" + plain
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let linesBefore = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        // A stanza with a line that is not "Field: value", then one without a Version.
        text += "\nPackage: broken-one\nthis line has no colon\nVersion: 1.0\n\nPackage: broken-two\nArchitecture: all\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let results = try await Self.run(fixture.root)
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .error)
        let reason = lists.reason ?? ""
        #expect(reason.contains("/var/lib/apt/lists/\(plain):\(linesBefore + 3): expected \"Field: value\""), "\(reason)")
        #expect(reason.contains("/var/lib/apt/lists/\(plain):\(linesBefore + 6): package broken-two has no valid Version field"), "\(reason)")
        #expect(lists.evidence["brokenStanzas"]?.intValue == 2)
        // The good stanzas still count.
        let security = Self.nativeKeys(Self.updates(try Self.one(results, "patch.security-updates")))
        for (key, candidate) in fixture.security { #expect(security[key] == candidate) }
    }

    @Test func aSecurityFixSupersededByANewerCandidateStillCountsAsSecurity() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let listsDirectory = fixture.root + "/var/lib/apt/lists"
        // A newer version of one security-fixed package appears in a non-security list (-updates).
        let updates = try #require(try FileManager.default.contentsOfDirectory(atPath: listsDirectory)
            .first { $0.hasSuffix("_Packages") && $0.contains("-updates") })
        let (key, securityVersion) = try #require(fixture.security.sorted { $0.key < $1.key }.first)
        let name = String(key.split(separator: ":")[0])
        let status = try String(contentsOfFile: fixture.root + "/var/lib/dpkg/status", encoding: .utf8)
        let architecture = try #require(DebianFiles.stanzas(status).first { $0.package == name }?.architecture)
        let newer = securityVersion + "+cyberctl1"
        let path = listsDirectory + "/" + updates
        let existing = try String(contentsOfFile: path, encoding: .utf8)
        try (existing + (existing.isEmpty ? "" : "\n") + "Package: \(name)\nVersion: \(newer)\nArchitecture: \(architecture)\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let results = try await Self.run(fixture.root)
        let ours = Self.updates(try Self.one(results, "patch.pending-updates"))
        let apt = try await OffPool.run { try fixture.aptUpgradable() }
        #expect(ours == apt)
        #expect(ours["\(name):\(architecture)"] == newer, "the -updates version is the candidate")
        let security = Self.updates(try Self.one(results, "patch.security-updates"))
        #expect(security["\(name):\(architecture)"] == newer, "the superseded security fix still counts")
    }

    @Test func aConfiguredSourceThatWasNeverFetchedIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        try directory.write("image/etc/apt/sources.list.d/extra.list", "# added after the last update\ndeb [arch=amd64] http://ftp.example.fr/debian-extra bookworm-extra main\n")
        let results = try await Self.run(fixture.root)
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .error)
        #expect(lists.reason?.contains("/etc/apt/sources.list.d/extra.list:2: http://ftp.example.fr/debian-extra bookworm-extra has no Release file") == true, "\(lists.reason ?? "")")
        // What the other sources say is still reported, marked incomplete.
        let security = try Self.one(results, "patch.security-updates")
        #expect(security.status == .fail)
        #expect(security.evidence["note"] != nil)
    }

    @Test func corruptLZ4ListIsAnErrorNotACrash() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let path = fixture.root + "/var/lib/apt/lists/" + fixture.compressedList
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes = Array(bytes.prefix(bytes.count / 2))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let results = try await Self.run(fixture.root)
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .error)
        #expect(lists.reason?.contains(fixture.compressedList) == true)
        #expect(lists.reason?.contains("truncated") == true || lists.reason?.contains("corrupt") == true, "\(lists.reason ?? "")")
        // A list cut short is refused by apt too: no candidate is trusted.
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let result = try Self.one(results, code)
            #expect(result.status == .error, "\(code)")
            #expect(result.reason?.contains(fixture.compressedList) == true, "\(code): \(result.reason ?? "")")
        }
    }

    @Test func listsAgeWarnsAfterSevenDaysAndMissingListsCannotDecide() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let listsDirectory = fixture.root + "/var/lib/apt/lists"
        let now = Date()
        // Lists, Release files and their Date: fields all 10 days old: nobody has updated since.
        func setReleaseDates(_ date: Date) throws {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'UTC'"
            for name in try FileManager.default.contentsOfDirectory(atPath: listsDirectory) where name.hasSuffix("Release") {
                let path = listsDirectory + "/" + name
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    line.hasPrefix("Date: ") ? "Date: " + formatter.string(from: date) : String(line)
                }
                try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: listsDirectory) {
                try FileManager.default.setAttributes([.modificationDate: now - 10 * 86_400], ofItemAtPath: listsDirectory + "/" + name)
            }
        }
        try setReleaseDates(now - 10 * 86_400)
        let old = try Self.one(try await Self.run(fixture.root, now: now), "patch.lists-age")
        #expect(old.status == .warn)
        #expect(old.evidence["ageDays"]?.intValue == 10)
        #expect(old.evidence["basis"]?.stringValue?.hasPrefix("/var/lib/apt/lists/") == true)
        let fresh = try Self.one(try await Self.run(fixture.root, now: now - 5 * 86_400), "patch.lists-age")
        #expect(fresh.status == .pass)
        // A failed apt-get update touches partial/ too: that is no sign of fresh lists.
        try FileManager.default.setAttributes([.modificationDate: now - 3600], ofItemAtPath: listsDirectory + "/partial")
        #expect(try Self.one(try await Self.run(fixture.root, now: now), "patch.lists-age").status == .warn)
        // A successful update that changed no file still brings Release files the archive re-signed (new Date:).
        try setReleaseDates(now - 3600)
        let resigned = try Self.one(try await Self.run(fixture.root, now: now), "patch.lists-age")
        #expect(resigned.status == .pass)
        #expect(resigned.evidence["basis"]?.stringValue?.hasSuffix("(Date)") == true)

        // No lists at all: nobody ran apt-get update; candidates are unknown.
        try FileManager.default.removeItem(atPath: listsDirectory)
        let results = try await Self.run(fixture.root)
        #expect(try Self.one(results, "patch.lists-age").status == .warn)
        let security = try Self.one(results, "patch.security-updates")
        #expect(security.status == .error)
        #expect(security.reason?.contains("apt-get update") == true)
    }

    @Test func unknownOrMissingOSReleaseIsAnErrorAndTheRestGoesOn() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        try "NAME=Plan 9\nID=plan9\nVERSION_ID=4\n".write(toFile: fixture.root + "/etc/os-release", atomically: true, encoding: .utf8)
        var results = try await Self.run(fixture.root)
        var eol = try Self.one(results, "patch.os-eol")
        #expect(eol.status == .error)
        #expect(eol.reason?.contains("ID=plan9") == true)
        #expect(try Self.one(results, "patch.security-updates").status == .fail)

        try "NAME=Debian\nID=debian\n".write(toFile: fixture.root + "/etc/os-release", atomically: true, encoding: .utf8)
        eol = try Self.one(try await Self.run(fixture.root), "patch.os-eol")
        #expect(eol.status == .error)
        #expect(eol.reason?.contains("unknown release: debian (os-release gives neither VERSION_ID nor VERSION_CODENAME)") == true, "\(eol.reason ?? "")")

        try FileManager.default.removeItem(atPath: fixture.root + "/etc/os-release")
        results = try await Self.run(fixture.root)
        eol = try Self.one(results, "patch.os-eol")
        #expect(eol.status == .error)
        #expect(eol.reason?.contains("os-release") == true)
        #expect(try Self.one(results, "patch.pending-updates").status != .error)
    }

    @Test func rebootRequiredFromTheFlagFileOrANewerKernel() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        // An image without the flag: the running kernel is unknown, so the check says so.
        var reboot = try Self.one(try await Self.run(fixture.root), "patch.reboot-required")
        #expect(reboot.status == .skip)
        #expect(reboot.reason?.contains("live system") == true)

        // Two kernel images installed, the older one running.
        let kernels = ["6.1.0-17-amd64": "6.1.69-1", "6.1.0-18-amd64": "6.1.76-1"].map { release, version in
            "Package: linux-image-\(release)\nStatus: install ok installed\nArchitecture: amd64\nVersion: \(version)\nDescription: Linux \(release)\n\n"
        }.joined()
        let statusPath = fixture.root + "/var/lib/dpkg/status"
        try (try String(contentsOfFile: statusPath, encoding: .utf8) + kernels).write(toFile: statusPath, atomically: true, encoding: .utf8)
        reboot = try Self.one(try await Self.run(fixture.root) { $0.runningKernel = "6.1.0-17-amd64" }, "patch.reboot-required")
        #expect(reboot.status == .fail)
        #expect(reboot.evidence["newestKernel"] == "6.1.0-18-amd64")
        reboot = try Self.one(try await Self.run(fixture.root) { $0.runningKernel = "6.1.0-18-amd64" }, "patch.reboot-required")
        #expect(reboot.status == .pass)

        // The flag file written by maintainer scripts wins.
        try directory.write("image/run/reboot-required", "*** System restart required ***\n")
        try directory.write("image/run/reboot-required.pkgs", "libc6\nlinux-image-6.1.0-18-amd64\n")
        reboot = try Self.one(try await Self.run(fixture.root), "patch.reboot-required")
        #expect(reboot.status == .fail)
        #expect(reboot.evidence["packages"] == .strings(["libc6", "linux-image-6.1.0-18-amd64"]))
    }

    @Test func autoUpdatesNeedThePackageTheSettingsAndTheTimers() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        var auto = try Self.one(try await Self.run(fixture.root), "patch.auto-updates")
        #expect(auto.status == .warn)

        let statusPath = fixture.root + "/var/lib/dpkg/status"
        try (try String(contentsOfFile: statusPath, encoding: .utf8)
             + "Package: unattended-upgrades\nStatus: install ok installed\nArchitecture: all\nVersion: 2.9.1+nmu3\n\n")
            .write(toFile: statusPath, atomically: true, encoding: .utf8)
        // What `dpkg-reconfigure unattended-upgrades` writes.
        try directory.write("image/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n")
        try directory.makeDirectory("image/etc/systemd/system/timers.target.wants")
        for timer in ["apt-daily.timer", "apt-daily-upgrade.timer"] {
            try FileManager.default.createSymbolicLink(
                atPath: fixture.root + "/etc/systemd/system/timers.target.wants/" + timer, withDestinationPath: "/lib/systemd/system/" + timer)
            try directory.write("image/lib/systemd/system/" + timer, "[Timer]\n")
        }
        auto = try Self.one(try await Self.run(fixture.root), "patch.auto-updates")
        #expect(auto.status == .pass, "\(auto.evidence)")

        // A later file switching it off wins, as in apt.
        try directory.write("image/etc/apt/apt.conf.d/99off", "APT::Periodic::Unattended-Upgrade \"0\";\n")
        auto = try Self.one(try await Self.run(fixture.root), "patch.auto-updates")
        #expect(auto.status == .warn)
        // A file apt ignores (bad extension) changes nothing.
        try FileManager.default.removeItem(atPath: fixture.root + "/etc/apt/apt.conf.d/99off")
        try directory.write("image/etc/apt/apt.conf.d/99off.disabled", "APT::Periodic::Unattended-Upgrade \"0\";\n")
        auto = try Self.one(try await Self.run(fixture.root), "patch.auto-updates")
        #expect(auto.status == .pass)
    }
}
