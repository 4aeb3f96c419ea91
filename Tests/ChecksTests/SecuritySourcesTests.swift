@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

/// `patch.security-updates` and `patch.lists-age` when the release's security suite is not configured,
/// disabled, or only fetched long ago: on small Debian and Ubuntu roots built here, with real apt
/// (`apt-cache policy`, `apt-get -s upgrade` with `-o Dir=ROOT`) as the oracle of which suites apt
/// reads and of what it would install.
@Suite struct SecuritySourcesTests {
    static let now = Date()

    struct Suite {
        var uri: String
        var suite: String
        var origin = "Debian"
        var label = "Debian"
        /// Codename the Release file gives; the suite name when nil.
        var codename: String?
        var packages = "Package: openssl\nVersion: 3.0.0-1\nArchitecture: amd64\n"
        var age: TimeInterval = 3600
        /// The `Components:` line of the Release file (debian-security's says `updates/main updates/contrib …`).
        var components = "main"
        /// Whether the Packages list of main is on disk (false: `apt-get update` failed for it, or lists were cleaned).
        var hasList = true
    }

    static let native = (try? Command.run("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "amd64"

    static func releaseDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    /// A root with dpkg's status (dpkg, openssl 3.0.0-1), `os-release`, the sources files given, and
    /// the lists of `suites` (an InRelease file dated `age` ago, with that modification time, and a
    /// Packages list of component main).
    static func root(_ directory: TemporaryDirectory, osRelease: String, sources: [String: String], suites: [Suite]) throws -> String {
        try directory.write("root/etc/os-release", osRelease)
        try directory.makeDirectory("root/etc/apt/sources.list.d")
        try directory.makeDirectory("root/etc/apt/preferences.d")
        try directory.makeDirectory("root/var/lib/apt/lists/partial")
        for (path, text) in sources { try directory.write("root" + path, text) }
        try directory.write("root/var/lib/dpkg/status", """
            Package: dpkg
            Status: install ok installed
            Version: 1.21.22
            Architecture: \(native)

            Package: openssl
            Status: install ok installed
            Version: 3.0.0-1
            Architecture: \(native)


            """)
        for suite in suites {
            let source = APTSource(uri: suite.uri, suite: suite.suite, components: ["main"], architectures: [], origin: "")
            let when = now - suite.age
            let release = try directory.write("root/var/lib/apt/lists/\(source.listPrefix)InRelease", """
                Origin: \(suite.origin)
                Label: \(suite.label)
                Suite: \(suite.suite)
                Codename: \(suite.codename ?? suite.suite)
                Date: \(releaseDate(when))
                Architectures: \(native)
                Components: \(suite.components)

                """)
            try FileManager.default.setAttributes([.modificationDate: when], ofItemAtPath: release)
            guard suite.hasList else { continue }
            let list = try directory.write(
                "root/var/lib/apt/lists/\(source.packagesFileName(component: "main", architecture: native))",
                suite.packages.replacingOccurrences(of: "amd64", with: native) + "\n")
            try FileManager.default.setAttributes([.modificationDate: when], ofItemAtPath: list)
        }
        return directory.url("root")
    }

    static func run(_ root: String, now: Date = Self.now) async throws -> [CheckResult] {
        await PackagesCheck().run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(now)))
    }

    static func one(_ results: [CheckResult], _ code: String) throws -> CheckResult {
        let matching = results.filter { $0.code == code }
        #expect(matching.count == 1, "\(code): \(matching.count) results")
        return try #require(matching.first)
    }

    static func aptOptions(_ root: String) -> [String] {
        ["-o", "Dir=\(root)/", "-o", "Dir::State::status=\(root)/var/lib/dpkg/status", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]
    }

    /// The `n=` codenames of the package files real apt reads in `root` (`apt-cache policy`).
    static func aptCodenames(_ root: String) throws -> Set<String> {
        let output = try Command.run("/usr/bin/apt-cache", ["policy"] + aptOptions(root), environment: ["LC_ALL": "C"])
        try #require(output.exitCode == 0, "apt-cache policy: \(output.stderr)")
        var names = Set<String>()
        for line in output.stdout.split(separator: "\n") where line.contains("release ") {
            for field in line.split(separator: ",") where field.hasPrefix("n=") { names.insert(String(field.dropFirst(2))) }
        }
        return names
    }

    static let bookworm = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
    static let main = Suite(uri: "http://deb.debian.org/debian", suite: "bookworm")
    static let security = Suite(uri: "http://security.debian.org/debian-security", suite: "bookworm-security", label: "Debian-Security")

    @Test func noSecuritySourceIsAFailureNotAReassurance() async throws {
        let directory = try TemporaryDirectory()
        let root = try Self.root(
            directory, osRelease: Self.bookworm, sources: ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n"], suites: [Self.main])
        // Real apt reads no security suite, and would install nothing: the reassurance the rule must not give.
        #expect(try Self.aptCodenames(root) == ["bookworm"])
        let simulated = try Command.run("/usr/bin/apt-get", ["-s", "upgrade"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(simulated.stdout.contains("0 upgraded"), "\(simulated.stdout)")

        let results = try await Self.run(root)
        let security = try Self.one(results, "patch.security-updates")
        #expect(security.status == .fail)
        #expect(security.severity == .high)
        #expect(security.reason?.contains("no security update source configured for bookworm: no enabled deb source gives bookworm-security (read: /etc/apt/sources.list);") == true, "\(security.reason ?? "")")
        #expect(security.reason?.contains("/etc/apt/sources.list") == true)
        // No count: monitoring shows a gap, not "0 security updates pending".
        #expect(security.evidence["count"] == nil)
        #expect(security.reason?.contains("deb http://security.debian.org/debian-security bookworm-security main") == true)
        let french = security.reasonFr ?? ""
        #expect(french.hasPrefix("aucune source de mises à jour de sécurité configurée pour bookworm : "), "\(french)")
        // The fix is to add the source, not "install the updates".
        let fix = Catalogue.remediation(for: security, in: .fr)
        #expect(fix.hasPrefix("Ajouter la source de sécurité") && fix.contains("deb http://security.debian.org/debian-security bookworm-security main"), "\(fix)")
        // The lists that are there are fresh and read: those rules stay as they were.
        #expect(try Self.one(results, "patch.lists-age").status == .pass)
        #expect(try Self.one(results, "patch.package-lists").status == .pass)
        // The support phase's text never says fixes arrive on a host that cannot get them.
        let eol = try Self.one(results, "patch.os-eol")
        #expect(eol.evidence["securitySources"] == .bool(false))
        for language in [Language.fr, .en] {
            let text = try #require(EndOfSupportText.remediation(eol, language))
            #expect(!text.contains("arrivent encore") && !text.contains("still come"), "\(text)")
            #expect(text.contains("bookworm-security"), "\(text)")
        }
        #expect(EndOfSupportText.detail(eol, .fr)?.contains("aucune source de sécurité configurée") == true)
    }

    /// Sources files that configure (or not) bookworm's security suite, with whether apt reads it.
    @Test(arguments: [
        ("one-line", ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n"], true),
        ("local mirror, [trusted=yes]", ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb [trusted=yes arch=\(native)] http://mirror.mairie.local/debian-security bookworm-security main\n"], true),
        ("deb822", ["/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb deb-src\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n"], true),
        ("deb822 symbolic suite", ["/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: oldstable-security\nComponents: main\n"], true),
        ("deb-src only", ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb-src http://security.debian.org/debian-security bookworm-security main\n"], false),
        ("commented out", ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n#deb http://security.debian.org/debian-security bookworm-security main\n"], false),
        ("deb822 Enabled: no", ["/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nEnabled: no\n"], false),
        ("deb822 Enabled: Off", ["/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nEnabled: Off\n"], false),
        ("another release's security suite", ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bullseye-security main\n"], false),
    ])
    func securitySourceAsAptReadsIt(_ name: String, _ sources: [String: String], _ configured: Bool) async throws {
        let directory = try TemporaryDirectory()
        var suites = [Self.main]
        // Lists for every security suite named, so apt's policy shows what it reads.
        for (uri, suite, codename) in [
            ("http://security.debian.org/debian-security", "bookworm-security", "bookworm-security"),
            ("http://mirror.mairie.local/debian-security", "bookworm-security", "bookworm-security"),
            ("http://security.debian.org/debian-security", "oldstable-security", "bookworm-security"),
            ("http://security.debian.org/debian-security", "bullseye-security", "bullseye-security"),
        ] {
            suites.append(Suite(uri: uri, suite: suite, label: "Debian-Security", codename: codename))
        }
        let root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: suites)
        #expect(try Self.aptCodenames(root).contains("bookworm-security") == configured, "\(name): apt")
        let security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == (configured ? .pass : .fail), "\(name): \(security.reason ?? "")")
        if case .array(let found)? = security.evidence["securitySources"] {
            #expect(found.isEmpty != configured, "\(name)")
        } else {
            Issue.record("\(name): no securitySources evidence")
        }
    }

    @Test func aStaleSecurityListCannotConcludeAndListsAgeNamesIt() async throws {
        let directory = try TemporaryDirectory()
        var stale = Self.security
        stale.age = 200 * 86_400
        let sources = ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n"]
        let root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: [Self.main, stale])
        // apt reads the six-month-old list as if it were current, and would install nothing.
        #expect(try Self.aptCodenames(root) == ["bookworm", "bookworm-security"])
        let simulated = try Command.run("/usr/bin/apt-get", ["-s", "upgrade"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(simulated.stdout.contains("0 upgraded"), "\(simulated.stdout)")

        var results = try await Self.run(root)
        let security = try Self.one(results, "patch.security-updates")
        #expect(security.status == .error)
        let reason = security.reason ?? ""
        #expect(reason.hasPrefix("security list of \(PackagesCheck.dayText(Self.now - 200 * 86_400)) (http://security.debian.org/debian-security bookworm-security (/etc/apt/sources.list:2)"), "\(reason)")
        #expect(reason.contains("200 days") && reason.contains("too old to conclude"), "\(reason)")
        #expect(security.reasonFr?.hasPrefix("liste de sécurité du \(EndOfSupportText.day(PackagesCheck.dayText(Self.now - 200 * 86_400), .fr)!) (") == true, "\(security.reasonFr ?? "")")
        #expect(security.reasonFr?.contains("trop ancienne pour conclure") == true)
        #expect(Catalogue.remediation(for: security, in: .en).hasPrefix("Run apt-get update and read its errors for the security source"))
        let age = try Self.one(results, "patch.lists-age")
        #expect(age.status == .warn)
        #expect(age.reason?.contains("security suite list older than 7 days: http://security.debian.org/debian-security bookworm-security (/etc/apt/sources.list:2)") == true, "\(age.reason ?? "")")
        #expect(age.evidence["ageDays"]?.intValue == 0, "the newest list is fresh")
        #expect(age.evidence["staleSecurityLists"] == .strings(["http://security.debian.org/debian-security bookworm-security: 200 days"]))

        // A fix in the stale list is still pending for sure: fail, with a note that more may be.
        let fixed = "Package: openssl\nVersion: 3.0.0-1+deb12u1\nArchitecture: amd64\nFilename: pool/updates/main/o/openssl/openssl_3.0.0-1+deb12u1_amd64.deb\nSize: 1000\n"
        let listName = APTSource(uri: stale.uri, suite: stale.suite, components: ["main"], architectures: [], origin: "")
            .packagesFileName(component: "main", architecture: Self.native)
        let listPath = root + "/var/lib/apt/lists/" + listName
        try fixed.replacingOccurrences(of: "amd64", with: Self.native).appending("\n").write(toFile: listPath, atomically: false, encoding: .utf8)
        let apt = try Command.run("/usr/bin/apt-get", ["-s", "upgrade"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(apt.stdout.contains("Inst openssl [3.0.0-1] (3.0.0-1+deb12u1 Debian-Security:bookworm-security"), "\(apt.stdout)")
        results = try await Self.run(root)
        let pending = try Self.one(results, "patch.security-updates")
        #expect(pending.status == .fail)
        #expect(pending.evidence["note"]?.stringValue?.contains("more security updates may be pending") == true)

        // Fetched again (fresh Release file): the verdict stands on its own.
        let releasePath = root + "/var/lib/apt/lists/" + APTSource(uri: stale.uri, suite: stale.suite, components: [], architectures: [], origin: "").listPrefix + "InRelease"
        let text = try String(contentsOfFile: releasePath, encoding: .utf8)
            .replacingOccurrences(of: Self.releaseDate(Self.now - 200 * 86_400), with: Self.releaseDate(Self.now - 7200))
        try text.write(toFile: releasePath, atomically: false, encoding: .utf8)
        try Self.main.packages.replacingOccurrences(of: "amd64", with: Self.native).appending("\n").write(toFile: listPath, atomically: false, encoding: .utf8)
        results = try await Self.run(root)
        #expect(try Self.one(results, "patch.security-updates").status == .pass)
        #expect(try Self.one(results, "patch.lists-age").status == .pass)
    }

    @Test func mirrorsOfOneSuiteCountTheFreshestCopy() async throws {
        let directory = try TemporaryDirectory()
        var stale = Self.security
        stale.age = 30 * 86_400
        var mirror = Self.security
        mirror.uri = "http://mirror.mairie.local/debian-security"
        let sources = ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb http://mirror.mairie.local/debian-security bookworm-security main\n"]
        let root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: [Self.main, stale, mirror])
        let results = try await Self.run(root)
        #expect(try Self.one(results, "patch.security-updates").status == .pass)
        #expect(try Self.one(results, "patch.lists-age").status == .pass)
    }

    /// debian-security's Release announces its components as `updates/main updates/contrib …` (the real
    /// InRelease's `Components:` line): a sources entry's `main` is its `updates/main`, as apt's
    /// `HasSupportForComponent` matches it. Without the main list of the security suite, apt reads no security
    /// source at all and would install nothing: cyberctl must not say "no security update pending".
    @Test func aMissingSecurityListAnnouncedAsUpdatesMainIsAGapNotAPass() async throws {
        let sources = ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n"]
        var security = Self.security
        security.components = "updates/main updates/contrib updates/non-free-firmware updates/non-free"
        security.packages = "Package: openssl\nVersion: 3.0.0-1+deb12u1\nArchitecture: amd64\nFilename: pool/updates/main/o/openssl/openssl_3.0.0-1+deb12u1_amd64.deb\nSize: 1000\n"

        // The complete tree: apt reads the security list and would install its fix; so does cyberctl.
        var directory = try TemporaryDirectory()
        var root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: [Self.main, security])
        #expect(try Self.aptCodenames(root) == ["bookworm", "bookworm-security"])
        var simulated = try Command.run("/usr/bin/apt-get", ["-s", "upgrade"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(simulated.stdout.contains("Inst openssl [3.0.0-1] (3.0.0-1+deb12u1"), "\(simulated.stdout)")
        var results = try await Self.run(root)
        #expect(try Self.one(results, "patch.security-updates").status == .fail)
        #expect(try Self.one(results, "patch.package-lists").status == .pass)

        // The security suite's list is gone: apt sees no security source and would install nothing.
        security.hasList = false
        directory = try TemporaryDirectory()
        root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: [Self.main, security])
        #expect(try Self.aptCodenames(root) == ["bookworm"])
        simulated = try Command.run("/usr/bin/apt-get", ["-s", "upgrade"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(simulated.stdout.contains("0 upgraded"), "\(simulated.stdout)")
        // apt's index target for that entry is component main (the list file name cyberctl looks for); apt lists
        // the targets it has files for only with --no-release-info, and this one has none.
        let missing = "security.debian.org_debian-security_dists_bookworm-security_main_binary-\(Self.native)_Packages"
        let format = ["indextargets", "--format", "$(METAKEY) $(FILENAME)", "Identifier: Packages"]
        let configured = try Command.run("/usr/bin/apt-get", format + ["--no-release-info"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(configured.stdout.contains("main/binary-\(Self.native)/Packages \(root)/var/lib/apt/lists/\(missing)\n"), "\(configured.stdout)")
        let present = try Command.run("/usr/bin/apt-get", format + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        #expect(!present.stdout.contains(missing) && present.stdout.contains("bookworm_main_binary"), "\(present.stdout)")

        results = try await Self.run(root)
        let updates = try Self.one(results, "patch.security-updates")
        #expect(updates.status == .error, "\(updates.status): \(updates.reason ?? "")")
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .error)
        #expect(lists.reason?.contains("/var/lib/apt/lists/\(missing): missing, although") == true, "\(lists.reason ?? "")")
        #expect(lists.reason?.contains("announces main for \(Self.native)") == true, "\(lists.reason ?? "")")
    }

    /// A security entry apt fetched but reads nothing from (a misspelt component, a Release that names no
    /// component): no list is announced, none is on disk, and apt reads no security source. Not a pass.
    @Test(arguments: [("mian", "updates/main updates/contrib"), ("main", "")])
    func aSecuritySourceAptReadsNothingFromIsAGap(_ component: String, _ announced: String) async throws {
        let sources = ["/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security \(component)\n"]
        var security = Self.security
        security.components = announced
        security.hasList = false
        let directory = try TemporaryDirectory()
        let root = try Self.root(directory, osRelease: Self.bookworm, sources: sources, suites: [Self.main, security])
        #expect(try Self.aptCodenames(root) == ["bookworm"])
        let results = try await Self.run(root)
        let updates = try Self.one(results, "patch.security-updates")
        #expect(updates.status == .error, "\(updates.status): \(updates.reason ?? "")")
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .error)
        #expect(lists.reason?.contains("bookworm-security \(component): no package list under /var/lib/apt/lists") == true, "\(lists.reason ?? "")")
        #expect(lists.reason?.contains("apt reads nothing from this source") == true, "\(lists.reason ?? "")")
    }

    /// Debian 10 and earlier: the suite was `<codename>/updates`, and that is what the fix text suggests.
    @Test func debianBusterUsesSlashUpdates() async throws {
        let buster = "ID=debian\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\n"
        let suites = [
            Suite(uri: "http://archive.debian.org/debian", suite: "buster"),
            Suite(uri: "http://archive.debian.org/debian-security", suite: "buster/updates", label: "Debian-Security", codename: "buster"),
        ]
        var directory = try TemporaryDirectory()
        var root = try Self.root(
            directory, osRelease: buster,
            sources: ["/etc/apt/sources.list": "deb http://archive.debian.org/debian buster main\ndeb http://archive.debian.org/debian-security buster/updates main\n"],
            suites: suites)
        #expect(try Self.one(try await Self.run(root), "patch.security-updates").status == .pass)
        directory = try TemporaryDirectory()
        root = try Self.root(directory, osRelease: buster, sources: ["/etc/apt/sources.list": "deb http://archive.debian.org/debian buster main\n"], suites: suites)
        let security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == .fail)
        #expect(security.reason?.contains("gives buster/updates (read") == true, "\(security.reason ?? "")")
        #expect(security.evidence["suggestedSource"] == .string("deb http://security.debian.org/debian-security buster/updates main"))
    }

    static let noble = "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n"
    static let ubuntuSuites = [
        Suite(uri: "http://archive.ubuntu.com/ubuntu", suite: "noble", origin: "Ubuntu", label: "Ubuntu"),
        Suite(uri: "http://archive.ubuntu.com/ubuntu", suite: "noble-updates", origin: "Ubuntu", label: "Ubuntu"),
        Suite(uri: "http://security.ubuntu.com/ubuntu", suite: "noble-security", origin: "Ubuntu", label: "Ubuntu"),
    ]

    /// Ubuntu 24.04's own `ubuntu.sources` layout, with and without its security stanza.
    @Test(arguments: [true, false])
    func ubuntuDeb822Sources(_ withSecurity: Bool) async throws {
        let directory = try TemporaryDirectory()
        var text = "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: noble noble-updates\nComponents: main\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
        if withSecurity {
            text += "\nTypes: deb\nURIs: http://security.ubuntu.com/ubuntu\nSuites: noble-security\nComponents: main\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
        }
        let root = try Self.root(directory, osRelease: Self.noble, sources: ["/etc/apt/sources.list.d/ubuntu.sources": text], suites: Self.ubuntuSuites)
        #expect(try Self.aptCodenames(root).contains("noble-security") == withSecurity)
        let security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == (withSecurity ? .pass : .fail), "\(security.reason ?? "")")
        if !withSecurity {
            #expect(security.reason?.contains("no security update source configured for noble: no enabled deb source gives noble-security, noble-infra-security, noble-apps-security") == true, "\(security.reason ?? "")")
        }
    }

    @Test func derivedDistributionsAreHeldToTheirBaseReleaseWhenTheyNameIt() async throws {
        // Linux Mint names its Ubuntu base: noble-security is expected.
        let mint = "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"22\"\nVERSION_CODENAME=wilma\nUBUNTU_CODENAME=noble\n"
        var directory = try TemporaryDirectory()
        var root = try Self.root(
            directory, osRelease: mint,
            sources: ["/etc/apt/sources.list.d/official-package-repositories.list": "deb http://packages.linuxmint.com wilma main\ndeb http://archive.ubuntu.com/ubuntu noble main\n"],
            suites: Self.ubuntuSuites)
        var security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == .fail, "\(security.reason ?? "")")
        #expect(security.reason?.contains("configured for noble") == true)

        // Raspbian names no base release and has no security suite: not judged, and said so.
        directory = try TemporaryDirectory()
        root = try Self.root(
            directory, osRelease: "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            sources: ["/etc/apt/sources.list": "deb http://raspbian.raspberrypi.com/raspbian/ bookworm main\n"],
            suites: [Suite(uri: "http://raspbian.raspberrypi.com/raspbian/", suite: "bookworm", origin: "Raspbian", label: "Raspbian")])
        security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == .pass)
        #expect(security.evidence["securitySourcesNotChecked"]?.stringValue?.contains("raspbian") == true)
    }

    @Test func debianUnstableHasNoSecuritySuiteToExpect() async throws {
        // sid's os-release: the testing codename, no VERSION_ID.
        let directory = try TemporaryDirectory()
        let root = try Self.root(
            directory, osRelease: "PRETTY_NAME=\"Debian GNU/Linux forky/sid\"\nID=debian\nVERSION_CODENAME=forky\n",
            sources: ["/etc/apt/sources.list": "deb http://deb.debian.org/debian sid main\n"],
            suites: [Suite(uri: "http://deb.debian.org/debian", suite: "sid", codename: "sid"), Suite(uri: "http://deb.debian.org/debian", suite: "forky")])
        let security = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(security.status == .pass)
        #expect(security.evidence["securitySourcesNotChecked"]?.stringValue?.contains("unstable") == true)
        // The same host tracking testing instead: testing has a security suite, and it is missing.
        try "deb http://deb.debian.org/debian forky main\n".write(toFile: root + "/etc/apt/sources.list", atomically: false, encoding: .utf8)
        let testing = try Self.one(try await Self.run(root), "patch.security-updates")
        #expect(testing.status == .fail, "\(testing.reason ?? "")")
        #expect(testing.reason?.contains("gives forky-security") == true, "\(testing.reason ?? "")")
    }

    /// What a pin does to bookworm's security fix of openssl, as `aSecurityFixHeldBackByAPinIsNoPass` expects it.
    enum PinOutcome: Sendable { case sourcePinnedAway, fixPinnedBack, pending }

    /// A security source that a general pin holds below 0 brings no fix (apt_preferences(5)): the same failure as no
    /// source at all, naming the pin. A pin holding one package's fix back leaves that fix published and never
    /// installed: a failure too, never "no security update pending". Real apt's candidate (`apt-cache policy`) is the
    /// oracle of what would be installed.
    @Test(arguments: [
        ("*", "Pin: release l=Debian-Security", -1, PinOutcome.sourcePinnedAway),
        ("*", "Pin: release n=bookworm-security", -10, .sourcePinnedAway),
        ("*", "Pin: origin \"security.debian.org\"", -1, .sourcePinnedAway),
        // apt matches release fields ignoring case (ExpressionMatches: FNM_CASEFOLD), and b= against the list's architecture.
        ("*", "Pin: release l=debian-security", -1, .sourcePinnedAway),
        ("*", "Pin: release l=/SECURITY/", -1, .sourcePinnedAway),
        ("*", "Pin: release b=\(SecuritySourcesTests.native)", -1, .sourcePinnedAway),
        ("openssl", "Pin: release l=Debian-Security", -1, .fixPinnedBack),
        ("openssl", "Pin: version 3.0.0-1+deb12u1", -1, .fixPinnedBack),
        // Above 0 yet below the main suite's 500: apt keeps the installed version of bookworm, the fix stays out.
        ("*", "Pin: release l=Debian-Security", 100, .fixPinnedBack),
        ("*", "Pin: release l=Debian-Security", 990, .pending),
        ("*", "Pin: release l=Debian", 50, .pending),
    ])
    func aSecurityFixHeldBackByAPinIsNoPass(_ package: String, _ pin: String, _ priority: Int, _ outcome: PinOutcome) async throws {
        let directory = try TemporaryDirectory()
        var security = Self.security
        security.packages = "Package: openssl\nVersion: 3.0.0-1+deb12u1\nArchitecture: amd64\n"
        let root = try Self.root(directory, osRelease: Self.bookworm, sources: [
            "/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n",
            "/etc/apt/preferences.d/security": "Package: \(package)\n\(pin)\nPin-Priority: \(priority)\n",
        ], suites: [Self.main, security])
        // Real apt's candidate for openssl: the security fix only when apt would install it.
        let policy = try Command.run("/usr/bin/apt-cache", ["policy", "openssl"] + Self.aptOptions(root), environment: ["LC_ALL": "C"])
        try #require(policy.exitCode == 0, "\(policy.stderr)")
        #expect(policy.stdout.contains("Candidate: 3.0.0-1+deb12u1") == (outcome == .pending), "\(pin) \(priority): apt says \(policy.stdout)")

        let results = try await Self.run(root)
        let check = try Self.one(results, "patch.security-updates")
        // Whatever the pin, the rule fails: the fix is pending, or the host will not receive it.
        #expect(check.status == .fail, "\(check.reason ?? "")")
        switch outcome {
        case .sourcePinnedAway:
            #expect(check.reason?.contains("held back by an apt pin with a negative priority") == true, "\(check.reason ?? "")")
            #expect(check.reason?.contains("/etc/apt/preferences.d/security:1") == true, "\(check.reason ?? "")")
            #expect(check.reasonFr?.contains("bloquées par un pin apt de priorité négative") == true)
            #expect(check.evidence["count"] == nil)
            #expect(try Self.one(results, "patch.os-eol").evidence["securitySources"] == .bool(false))
            #expect(Catalogue.remediation(for: check, in: .fr).hasPrefix("Retirer le pin apt"))
        case .fixPinnedBack:
            #expect(check.reason?.contains("1 published security fix(es) apt will not install because of a pin") == true, "\(check.reason ?? "")")
            #expect(check.reason?.contains("openssl 3.0.0-1+deb12u1 (bookworm-security)") == true, "\(check.reason ?? "")")
            #expect(check.evidence["count"] == .int(0), "apt's own count stays apt's")
        case .pending:
            #expect(check.evidence["count"] == .int(1), "\(check.evidence)")
            #expect(check.evidence["pinnedBack"] == nil)
        }
    }

    @Test func deb822EnabledIsReadAsAptReadsIt() throws {
        let values = ["no", "No", "false", "off", "without", "disable", "0", "yes", "1", "maybe", "2", ""]
        let directory = try TemporaryDirectory()
        var text = ""
        for (index, value) in values.enumerated() {
            text += "Types: deb\nURIs: http://mirror\(index).example/debian\nSuites: bookworm\nComponents: main\n" + (value.isEmpty ? "" : "Enabled: \(value)\n") + "\n"
        }
        try directory.write("etc/apt/sources.list.d/test.sources", text)
        try directory.write("etc/apt/sources.list", "")
        let output = try Command.run("/usr/bin/apt-get", [
            "indextargets", "--no-release-info",
            "-o", "Dir::Etc::sourcelist=\(directory.url("etc/apt/sources.list"))",
            "-o", "Dir::Etc::sourceparts=\(directory.url("etc/apt/sources.list.d"))",
        ], environment: ["LC_ALL": "C"])
        try #require(output.exitCode == 0, "\(output.stderr)")
        var aptHosts = Set<String>()
        for stanza in DebianFiles.stanzas(output.stdout) {
            if let uri = stanza.fields["Repo-URI"] ?? stanza.fields["URI"], let host = uri.split(separator: "/").dropFirst().first { aptHosts.insert(String(host)) }
        }
        let ours = Set(APTSourcesReader.read(try FileSystemRoot(directory.path)).sources.map { String($0.uri.split(separator: "/")[1]) })
        #expect(ours == aptHosts)
        #expect(ours.count == 5, "yes, 1, maybe, 2 and no field keep a stanza: \(ours.sorted())")
    }
}
