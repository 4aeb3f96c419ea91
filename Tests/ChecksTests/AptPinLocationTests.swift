@testable import Checks
import Foundation
import Testing
import TestSupport

/// Where apt finds its pins: `Dir::Etc::Preferences` and `Dir::Etc::PreferencesParts`, moved by a file of
/// `apt.conf.d`, and which names of the parts folder apt reads. Real apt, made to read the root as its own
/// (`APT_CONFIG` setting `RootDir`, so that absolute paths in the root's configuration stay in the root), is the
/// oracle: its candidate for openssl says whether the pin holding the security fix back was read.
@Suite struct AptPinLocationTests {
    static let pin = "Package: openssl\nPin: release l=Debian-Security\nPin-Priority: -1\n"

    /// The security fixture of `SecuritySourcesTests` (openssl 3.0.0-1 installed, 3.0.0-1+deb12u1 in
    /// bookworm-security) with `files` added (paths inside the root).
    static func root(_ directory: TemporaryDirectory, _ files: [String: String]) throws -> String {
        var security = SecuritySourcesTests.security
        security.packages = "Package: openssl\nVersion: 3.0.0-1+deb12u1\nArchitecture: amd64\n"
        var sources = files
        sources["/etc/apt/sources.list"] =
            "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n"
        let root = try SecuritySourcesTests.root(
            directory, osRelease: SecuritySourcesTests.bookworm, sources: sources, suites: [SecuritySourcesTests.main, security])
        // apt under RootDir looks for dpkg's cputable inside the root too.
        try FileManager.default.createDirectory(atPath: root + "/usr/share", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/usr/share/dpkg", withDestinationPath: "/usr/share/dpkg")
        return root
    }

    /// `apt-cache policy openssl` reading `root` as apt on that system would, its configuration files included.
    static func aptPolicy(_ directory: TemporaryDirectory, _ root: String, user: String? = nil) throws -> Command.Output {
        // No Dir::Cache::pkgcache "": under RootDir an empty value names the root itself. The root has no
        // var/cache/apt, so apt builds its cache in memory.
        let config = try directory.write("apt-root.conf", "RootDir \"\(root)/\";\n")
        if let user {
            return try Command.run(
                "/usr/bin/setpriv", ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", "/usr/bin/apt-cache", "policy", "openssl"],
                environment: ["LC_ALL": "C", "APT_CONFIG": config])
        }
        return try Command.run("/usr/bin/apt-cache", ["policy", "openssl"], environment: ["LC_ALL": "C", "APT_CONFIG": config])
    }

    /// - Parameter pinnedBy: the pin's file when apt reads the pin (the reason names it), nil when it does not (the fix is pending).
    @Test(arguments: [
        // The pin file moved, absolute or relative to Dir::Etc.
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::Preferences \"/etc/apt/pins/main\";\n", "/etc/apt/pins/main": pin], "/etc/apt/pins/main"),
        (["/etc/apt/apt.conf.d/50pins": "Dir { Etc { Preferences \"local-pins\"; }; };\n", "/etc/apt/local-pins": pin], "/etc/apt/local-pins"),
        // Moved away: the default file is no longer read.
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::Preferences \"/dev/null\";\n", "/etc/apt/preferences": pin], nil),
        // The parts folder moved, absolute or relative.
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::PreferencesParts \"/srv/apt/pins.d\";\n", "/srv/apt/pins.d/security.pref": pin],
         "/srv/apt/pins.d/security.pref"),
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::PreferencesParts \"pins.d/\";\n", "/etc/apt/pins.d/security": pin], "/etc/apt/pins.d/security"),
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::PreferencesParts \"pins.d\";\n", "/etc/apt/preferences.d/security": pin], nil),
        (["/etc/apt/apt.conf.d/50pins": "#clear Dir::Etc::PreferencesParts;\n", "/etc/apt/preferences.d/security": pin], nil),
        // Names apt reads in the parts folder, and names it passes over.
        (["/etc/apt/preferences.d/security.pref": pin], "/etc/apt/preferences.d/security.pref"),
        (["/etc/apt/preferences.d/local:security": pin], "/etc/apt/preferences.d/local:security"),
        (["/etc/apt/preferences.d/my.security.pref": pin], "/etc/apt/preferences.d/my.security.pref"),
        (["/etc/apt/preferences.d/security.disabled": pin], nil),
        (["/etc/apt/preferences.d/security.pref.bak": pin], nil),
        (["/etc/apt/preferences.d/security.PREF": pin], nil),
        (["/etc/apt/preferences.d/security~": pin], nil),
        (["/etc/apt/preferences.d/my security": pin], nil),
        (["/etc/apt/preferences.d/security.": pin], nil),
        (["/etc/apt/preferences.d/.security": pin], nil),
    ] as [([String: String], String?)])
    func pinsAreReadWhereAptReadsThem(_ files: [String: String], _ pinnedBy: String?) async throws {
        let directory = try TemporaryDirectory()
        let root = try Self.root(directory, files)
        let policy = try Self.aptPolicy(directory, root)
        try #require(policy.exitCode == 0, "\(policy.stderr)")
        #expect(policy.stdout.contains("Candidate: 3.0.0-1+deb12u1") == (pinnedBy == nil), "\(files.keys.sorted()): apt says \(policy.stdout)")

        let results = try await SecuritySourcesTests.run(root)
        let check = try SecuritySourcesTests.one(results, "patch.security-updates")
        #expect(check.status == .fail, "\(check.reason ?? "")")
        if let pinnedBy {
            #expect(check.reason?.contains("1 published security fix(es) apt will not install because of a pin") == true, "\(check.reason ?? "")")
            #expect(check.reason?.contains(pinnedBy) == true, "\(check.reason ?? "") \(check.evidence)")
            #expect(check.evidence["count"] == .int(0))
        } else {
            #expect(check.evidence["count"] == .int(1), "\(check.reason ?? "") \(check.evidence)")
            #expect(check.evidence["pinnedBack"] == nil)
        }
    }

    /// A moved pin file or parts folder that is there but cannot be read leaves the candidates unknown: `error`
    /// naming it (apt, stricter than its own "Unable to read" warning for a missing folder, passes over a folder
    /// where the file is expected; cyberctl calls that unreadable, as for the default locations). A path relative to
    /// apt's working directory cannot be resolved: `error` too.
    @Test(arguments: [
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::Preferences \"/etc/apt/pins/main\";\n", "/etc/apt/pins/main/x": pin], "/etc/apt/pins/main: is a directory"),
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::PreferencesParts \"/srv/pins.d\";\n", "/srv/pins.d/security/x": pin], "/srv/pins.d/security: is a directory"),
        (["/etc/apt/apt.conf.d/50pins": "Dir::Etc::PreferencesParts \"./pins.d\";\n"], "Dir::Etc::PreferencesParts \"./pins.d\": a path relative to apt's working directory"),
    ] as [([String: String], String)])
    func aMovedPinLocationThatCannotBeReadIsAnError(_ files: [String: String], _ named: String) async throws {
        let directory = try TemporaryDirectory()
        let root = try Self.root(directory, files)
        let results = try await SecuritySourcesTests.run(root)
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let check = try SecuritySourcesTests.one(results, code)
            #expect(check.status == .error, "\(code): \(check.status) \(check.reason ?? "")")
            #expect(check.reason?.contains(named) == true, "\(code): \(check.reason ?? "")")
        }
    }

    /// A moved pin file the agent's user may not read: real apt says it cannot read it ("W: Unable to read … Permission
    /// denied", then goes on without its pins, which root's apt would apply); cyberctl says `error` naming the file.
    /// Both run as `nobody` (the tests run as root, who reads anything).
    @Test func aMovedPinFileTheUserCannotReadIsAnErrorAsForApt() async throws {
        let directory = try TemporaryDirectory()
        let root = try Self.root(directory, [
            "/etc/apt/apt.conf.d/50pins": "Dir::Etc::Preferences \"/etc/apt/pins/main\";\n", "/etc/apt/pins/main": Self.pin,
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: root + "/etc/apt/pins/main")
        let policy = try Self.aptPolicy(directory, root, user: "nobody")
        #expect(policy.stderr.contains("Unable to read \(root)/etc/apt/pins/main") && policy.stderr.contains("Permission denied"), "\(policy.stderr)")

        let outFolder = try directory.makeDirectory("out")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outFolder)
        let out = outFolder + "/report.json"
        let output = try await OffPool.run {
            try Command.run("/usr/bin/setpriv", [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", try BuiltBinary.path, "scan", "--root", root,
                "--only", "patches", "--format", "json", "--out", out, "--lang", "en",
            ], currentDirectory: outFolder)
        }
        #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        let check = try #require(results.first { $0["code"] as? String == "patch.security-updates" })
        #expect(check["status"] as? String == "error", "\(check)")
        #expect((check["reason"] as? String)?.contains("/etc/apt/pins/main: permission denied") == true, "\(check)")
    }

    @Test func findFileAsApt() {
        func resolved(_ text: String, _ option: String) -> APTConfiguration.ResolvedPath {
            APTConfiguration.parse(text, path: "/etc/apt/apt.conf").resolvedPath(option)
        }
        #expect(resolved("", "Dir::Etc::Preferences") == .path("/etc/apt/preferences"))
        #expect(resolved("", "Dir::Etc::PreferencesParts") == .path("/etc/apt/preferences.d"))
        #expect(resolved("Dir \"/chroot/\";", "Dir::Etc::PreferencesParts") == .path("/chroot/etc/apt/preferences.d"))
        #expect(resolved("Dir::Etc \"/srv//apt/./etc\";", "Dir::Etc::Preferences") == .path("/srv/apt/etc/preferences"))
        #expect(resolved("Dir::Etc::Preferences \"\";", "Dir::Etc::Preferences") == .none)
        #expect(resolved("Dir::Etc::Preferences \"/dev/null\";", "Dir::Etc::Preferences") == .none)
        #expect(resolved("#clear Dir::Etc;", "Dir::Etc::Preferences") == .none)
        #expect(resolved("#clear Dir::Etc; Dir::Etc::Preferences \"p\";", "Dir::Etc::Preferences") == .path("/p"))
        if case .unresolvable = resolved("Dir \"relative\";", "Dir::Etc::Preferences") {} else { Issue.record("a relative Dir is not resolvable") }
    }

    /// `findFileAsApt`'s cases, against `apt-config` (`FindFile` through `apt-config shell`).
    @Test func findFileAgreesWithAptConfig() throws {
        let directory = try TemporaryDirectory()
        for text in ["", "Dir::Etc \"/srv//apt/./etc\";", "#clear Dir::Etc; Dir::Etc::Preferences \"p\";", "Dir { Etc { Preferences \"x/y\"; }; };"] {
            let config = try directory.write("apt.conf", "Dir::Etc::Parts \"/dev/null\";\nDir::Etc::Main \"/dev/null\";\n" + text + "\n")
            let output = try Command.run(
                "/usr/bin/apt-config", ["shell", "P", "Dir::Etc::Preferences/f", "D", "Dir::Etc::PreferencesParts/f"],
                environment: ["LC_ALL": "C", "APT_CONFIG": config])
            try #require(output.exitCode == 0, "\(output.stderr)")
            let configuration = APTConfiguration.parse(text, path: config)
            for (variable, option) in [("P", "Dir::Etc::Preferences"), ("D", "Dir::Etc::PreferencesParts")] {
                let line = output.stdout.split(separator: "\n").first { $0.hasPrefix(variable + "=") }
                let apt = line.map { String($0.dropFirst(2)).trimmingCharacters(in: CharacterSet(charactersIn: "'")) } ?? ""
                let ours: String
                switch configuration.resolvedPath(option) {
                case .path(let path): ours = path
                case .none: ours = ""
                case .unresolvable: ours = "?"
                }
                #expect(ours == apt || ours + "/" == apt, "\(text) \(option): apt \(apt), cyberctl \(ours)")
            }
        }
    }
}
