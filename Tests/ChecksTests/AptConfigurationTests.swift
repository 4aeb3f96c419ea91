@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

/// apt's configuration read as apt reads it: for each set of files, the options cyberctl finds are those
/// `apt-config dump` prints for the same files (`APT_CONFIG` naming the root's `apt.conf.d` and `apt.conf`),
/// and what apt refuses is a problem, which makes `patch.auto-updates` say `error`, never pass.
@Suite struct AptConfigurationTests {
    /// Writes `files` (paths inside the root) and an `APT_CONFIG` file outside it pointing apt at them.
    static func root(_ directory: TemporaryDirectory, _ files: [String: String]) throws -> (root: String, aptConfig: String) {
        try directory.makeDirectory("root/etc/apt/apt.conf.d")
        for (path, text) in files { try directory.write("root" + path, text) }
        let root = directory.url("root")
        let main = files["/etc/apt/apt.conf"] == nil ? "/dev/null" : root + "/etc/apt/apt.conf"
        let aptConfig = try directory.write("apt-config.conf", "Dir::Etc::parts \"\(root)/etc/apt/apt.conf.d/\";\nDir::Etc::main \"\(main)\";\n")
        return (root, aptConfig)
    }

    /// `apt-config dump` as (lowercased name, value) lines, without empty values (parents of set options print as "")
    /// and without `Dir::Etc::*`, which the `APT_CONFIG` file sets. apt turns a scalar `Acquire::Languages` into a
    /// list after reading the files (`Acquire::Languages:: "none";`): it is printed back as the files wrote it.
    static func dumpLines(_ stdout: String) -> Set<String> {
        var lines = Set<String>()
        for line in stdout.split(separator: "\n") where !line.hasSuffix(" \"\";") {
            guard let space = line.range(of: " \"") else { continue }
            var name = line[..<space.lowerBound].lowercased()
            if name.hasPrefix("dir::etc::") { continue }
            if name == "acquire::languages::" { name = "acquire::languages" }
            lines.insert(name + line[space.lowerBound...])
        }
        return lines
    }

    static func dump(_ aptConfig: String) throws -> (lines: Set<String>, exitCode: Int32, stderr: String) {
        let output = try Command.run("/usr/bin/apt-config", ["dump"], environment: ["LC_ALL": "C", "APT_CONFIG": aptConfig])
        return (dumpLines(output.stdout), output.exitCode, output.stderr)
    }

    /// What the files set, as apt sees it: its dump minus the dump of an empty configuration.
    static func aptSets(_ directory: TemporaryDirectory, _ aptConfig: String) throws -> Set<String> {
        try directory.makeDirectory("empty")
        let baselineConfig = try directory.write("baseline.conf", "Dir::Etc::parts \"\(directory.url("empty"))/\";\nDir::Etc::main \"/dev/null\";\n")
        let baseline = try dump(baselineConfig)
        let files = try dump(aptConfig)
        try #require(files.exitCode == 0, "apt-config: \(files.stderr)")
        return files.lines.subtracting(baseline.lines)
    }

    static func cyberctlSets(_ root: String) throws -> (Set<String>, APTConfiguration) {
        let configuration = APTConfiguration.read(try FileSystemRoot(root))
        let lines = Set(configuration.allEntries.filter { !$0.value.isEmpty }.map { "\($0.name.lowercased()) \"\($0.value)\";" })
        return (lines, configuration)
    }

    static let periodic = "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n"

    @Test(arguments: [
        // Debian's 20auto-upgrades, flat.
        ["/etc/apt/apt.conf.d/20auto-upgrades": periodic],
        // The same in apt's block syntax.
        ["/etc/apt/apt.conf.d/20auto-upgrades": "APT {\n  Periodic {\n    Update-Package-Lists \"1\";\n    Unattended-Upgrade \"1\";\n  };\n};\n"],
        // One-line blocks, mixed with :: names, several statements on a line, a statement across lines.
        ["/etc/apt/apt.conf.d/20auto-upgrades": "APT::Periodic { Update-Package-Lists \"1\"; Unattended-Upgrade\n  \"1\"\n; };\nAPT { Periodic::Enable \"1\"; }\n"],
        // A later file clears the tree; another sets one option again.
        ["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf.d/99local": "#clear APT::Periodic;\n"],
        ["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf.d/50a": "#clear APT::Periodic;\n", "/etc/apt/apt.conf.d/60b": "APT::Periodic::Unattended-Upgrade \"2\";\n"],
        // apt.conf comes after the folder; names are case-insensitive.
        ["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf": "apt::periodic::update-package-lists \"0\";\n"],
        // Comments of every kind, a // and a # inside quotes, quoted strings joined, an unquoted value.
        ["/etc/apt/apt.conf.d/20auto-upgrades": """
            // comment "with quotes"
            # shell-style comment
            /* a block comment
               APT::Periodic::Unattended-Upgrade "0";
            */ APT::Periodic::Update-Package-Lists "1"; # trailing
            APT::Periodic::Unattended-Upgrade 1; // trailing
            Acquire::http::Proxy "http://proxy.example:3128/#x";
            APT::Default-Release "bookworm" "security";
            Dpkg::Options:: "--force-confold";
            APT::Never-MarkAuto-Sections { "metapackages"; "restricted/metapackages"; };

            """],
        // File names apt skips: another extension, a backup, a name with a character apt does not allow.
        ["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf.d/50x.dpkg-old": "#clear APT::Periodic;\n",
         "/etc/apt/apt.conf.d/60y.txt": "#clear APT;\n", "/etc/apt/apt.conf.d/70z~": "#clear APT;\n", "/etc/apt/apt.conf.d/80a.conf": "APT::Periodic::Enable \"0\";\n"],
    ])
    func agreesWithAptConfig(_ files: [String: String]) throws {
        let directory = try TemporaryDirectory()
        let (root, aptConfig) = try Self.root(directory, files)
        let apt = try Self.aptSets(directory, aptConfig)
        let (cyberctl, configuration) = try Self.cyberctlSets(root)
        #expect(configuration.problems.isEmpty, "\(configuration.problems.map(\.en))")
        #expect(cyberctl == apt, "only cyberctl: \(cyberctl.subtracting(apt).sorted()); only apt: \(apt.subtracting(cyberctl).sorted())")
    }

    /// This machine's own configuration (`/etc/apt/apt.conf.d`, `/etc/apt/apt.conf`), read by apt without
    /// `APT_CONFIG`: every option cyberctl reads is in apt's dump with the same value, and every option the
    /// files add to apt's defaults is one cyberctl reads.
    @Test func thisMachinesConfigurationAgreesWithApt() throws {
        let directory = try TemporaryDirectory()
        let (cyberctl, configuration) = try Self.cyberctlSets("/")
        #expect(configuration.problems.isEmpty, "\(configuration.problems.map(\.en))")
        let output = try Command.run("/usr/bin/apt-config", ["dump"], environment: ["LC_ALL": "C"])
        try #require(output.exitCode == 0, "\(output.stderr)")
        let dump = Self.dumpLines(output.stdout)
        #expect(cyberctl.subtracting(dump).isEmpty, "only cyberctl: \(cyberctl.subtracting(dump).sorted())")
        try directory.makeDirectory("empty")
        let baseline = try Self.dump(try directory.write("baseline.conf", "Dir::Etc::parts \"\(directory.url("empty"))/\";\nDir::Etc::main \"/dev/null\";\n"))
        let added = dump.subtracting(baseline.lines)
        #expect(added.subtracting(cyberctl).isEmpty, "only apt: \(added.subtracting(cyberctl).sorted())")
    }

    /// `#include` of a file and of a folder: apt opens the path as given (on the host), cyberctl inside the root;
    /// the included files are written at both places.
    @Test func includeIsFollowed() throws {
        let directory = try TemporaryDirectory()
        let (root, aptConfig) = try Self.root(directory, [
            "/etc/apt/apt.conf.d/20auto-upgrades": "#include \"\(directory.url("root"))/etc/apt/extra.conf\";\n#include \"\(directory.url("root"))/etc/apt/extra.d/\";\n",
        ])
        for base in [root, root + root] {
            try FileManager.default.createDirectory(atPath: base + "/etc/apt/extra.d", withIntermediateDirectories: true)
            try "APT::Periodic::Update-Package-Lists \"1\";\n".write(toFile: base + "/etc/apt/extra.conf", atomically: true, encoding: .utf8)
            try "APT { Periodic { Unattended-Upgrade \"1\"; }; };\n".write(toFile: base + "/etc/apt/extra.d/10x", atomically: true, encoding: .utf8)
        }
        let apt = try Self.aptSets(directory, aptConfig)
        #expect(apt.contains("apt::periodic::unattended-upgrade \"1\";") && apt.contains("apt::periodic::update-package-lists \"1\";"), "\(apt)")
        let (cyberctl, configuration) = try Self.cyberctlSets(root)
        #expect(configuration.problems.isEmpty, "\(configuration.problems.map(\.en))")
        #expect(cyberctl == apt, "only cyberctl: \(cyberctl.subtracting(apt).sorted()); only apt: \(apt.subtracting(cyberctl).sorted())")
    }

    /// Files apt refuses (apt-config stops with "E: Syntax error"): a problem naming the file and line.
    @Test(arguments: [
        ("{ \"1\"; };\n", "block starts with no name"),
        ("APT::Periodic::Enable \"1\" junk;\n", "extra junk after value"),
        ("APT::Periodic::Enable \"1\"\n", "extra junk at end of file"),
        ("APT { #clear APT::Periodic; };\n", "directives can only be done at the top level"),
        ("#clear;\n", "clear directive requires an option tree"),
        ("#include \"/etc/apt/missing.conf\";\n", "missing.conf"),
    ])
    func whatAptRefusesIsAProblem(_ text: String, _ expected: String) throws {
        let directory = try TemporaryDirectory()
        let (root, aptConfig) = try Self.root(directory, ["/etc/apt/apt.conf.d/20auto-upgrades": Self.periodic, "/etc/apt/apt.conf.d/99local": text])
        let apt = try Command.run("/usr/bin/apt-config", ["dump"], environment: ["LC_ALL": "C", "APT_CONFIG": aptConfig])
        #expect(apt.exitCode != 0 && apt.stderr.contains("E: "), "apt-config accepted \(text): \(apt.stderr)")
        let configuration = APTConfiguration.read(try FileSystemRoot(root))
        let problems = configuration.problems.map(\.en).joined(separator: "; ")
        #expect(problems.contains("/etc/apt/apt.conf.d/99local:") && problems.lowercased().contains(expected), "\(problems)")
    }

    /// The tester's two cases through the check: `#clear APT::Periodic;` in a later file is no automatic update
    /// (apt-config: nothing set), the block syntax is (apt-config: both "1"); a syntax error is `error`.
    @Test(arguments: [
        (["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf.d/99local": "#clear APT::Periodic;\n"], Status.warn),
        (["/etc/apt/apt.conf.d/20auto-upgrades": "APT {\n  Periodic {\n    Update-Package-Lists \"1\";\n    Unattended-Upgrade \"1\";\n  };\n};\n"], .pass),
        (["/etc/apt/apt.conf.d/20auto-upgrades": periodic, "/etc/apt/apt.conf.d/99local": "APT::Periodic { Enable \"0\"; };\n"], .warn),
        (["/etc/apt/apt.conf.d/20auto-upgrades": periodic + "APT::Periodic::Enable \"1\"\n"], .error),
        // apt.systemd.daily's intervals: "always" and a unit suffix run the job, like a number of days.
        (["/etc/apt/apt.conf.d/20auto-upgrades": "APT::Periodic::Update-Package-Lists \"always\";\nAPT::Periodic::Unattended-Upgrade \"12h\";\n"], .pass),
        (["/etc/apt/apt.conf.d/20auto-upgrades": "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n"], .warn),
        (["/etc/apt/apt.conf.d/20auto-upgrades": "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"yes\";\n"], .warn),
    ])
    func autoUpdatesFollowsApt(_ files: [String: String], _ expected: Status) async throws {
        let directory = try TemporaryDirectory()
        let root = try SecuritySourcesTests.root(
            directory, osRelease: SecuritySourcesTests.bookworm,
            sources: ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n"], suites: [SecuritySourcesTests.main])
        for (path, text) in files { try directory.write("root" + path, text) }
        let status = root + "/var/lib/dpkg/status"
        let installed = try String(contentsOfFile: status, encoding: .utf8)
            + "Package: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9.1+nmu3\nArchitecture: all\n\n"
        try installed.write(toFile: status, atomically: true, encoding: .utf8)
        try directory.makeDirectory("root/etc/systemd/system/timers.target.wants")
        for timer in ["apt-daily.timer", "apt-daily-upgrade.timer"] {
            try directory.write("root/lib/systemd/system/\(timer)", "[Timer]\n")
            try FileManager.default.createSymbolicLink(atPath: root + "/etc/systemd/system/timers.target.wants/" + timer, withDestinationPath: "/lib/systemd/system/" + timer)
        }
        let result = try SecuritySourcesTests.one(try await SecuritySourcesTests.run(root), "patch.auto-updates")
        #expect(result.status == expected, "\(result.status) \(result.evidence) \(result.reason ?? "")")
    }
}
