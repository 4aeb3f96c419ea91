import Checks
import Foundation
import Model
import Testing
import TestSupport

/// A real Borg repository made during the test (`borg init`, two `borg create`), read by
/// `backup.sets` with and without its passphrase file.
@Suite(.serialized) struct BorgRepositoryTests {
    struct Repository: @unchecked Sendable {
        let fixture: BackupFixture
        let made: Date
    }

    /// Runs borg as host `host`: Borg records `socket.gethostname()` (cut at the first dot) in each
    /// archive, so `borg create` runs in a UTS namespace of its own (`unshare --uts`, root only)
    /// whose host name is set first; the machine's own name is untouched.
    static func borg(_ arguments: [String], _ fixture: BackupFixture, host: String = "srv-mairie", passphrase: String = "correct horse battery staple") throws {
        let output = try Command.run("/usr/bin/unshare", [
            "--uts", "/bin/sh", "-c", "hostname \"$0\" && exec /usr/bin/borg \"$@\"", host,
        ] + arguments, environment: [
            "BORG_PASSPHRASE": passphrase, "BORG_BASE_DIR": fixture.directory.url("home"),
            "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8",
        ])
        guard output.exitCode == 0 else { throw TestSupportError("borg \(arguments) as \(host) failed: \(output.stderr)") }
    }

    static func make() throws -> Repository {
        let fixture = try BackupFixture(now: Date())
        try fixture.directory.write("etc/hostname", "srv-mairie\n")
        try fixture.directory.write("etc/cyberctl/borg.pass", "correct horse battery staple\n", mode: 0o600)
        let repository = fixture.directory.url("srv/borg")
        try fixture.directory.write("srv/partage/registre.txt", String(repeating: "naissance;mariage;décès\n", count: 2000))
        try borg(["init", "--encryption=repokey", repository], fixture)
        try borg(["create", "\(repository)::mairie-1", fixture.directory.url("srv/partage")], fixture)
        try borg(["create", "\(repository)::mairie-2", fixture.directory.url("srv/partage")], fixture)
        return Repository(fixture: fixture, made: Date())
    }

    static let shared = Result { try make() }

    /// The suite's repository, made on a thread of its own the first time: `init` and the backups are
    /// blocking child processes that must not hold a cooperative thread other tests' tasks need.
    static func repository() async throws -> Repository { try await OffPool.run { try shared.get() } }

    @Test func archivesAreListedWithThePassphraseFile() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        let before = try ResticRepositoryTests.listing(fixture.directory.url("srv/borg"))
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "borg", "kind": "borg", "path": "/srv/borg", "password_file": "/etc/cyberctl/borg.pass"}]}
            """)
        let context = CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made.addingTimeInterval(60)))
        let results = await check.run(context)
        let present = try #require(results.first { $0.code == "backup.present" })
        #expect(present.status == .pass, "\(present)")
        #expect(present.evidence["count"] == 2)
        #expect(present.evidence["latestArchive"] == "mairie-2")
        let freshness = try #require(results.first { $0.code == "backup.freshness" })
        #expect(freshness.status == .pass, "\(freshness)")
        #expect(freshness.evidence["method"] == "borg list --json")
        let newestAt = try #require(freshness.evidence["newestAt"]?.stringValue.flatMap(ISO8601.date(from:)))
        #expect(newestAt <= repository.made.addingTimeInterval(1) && newestAt > repository.made.addingTimeInterval(-600))
        // --bypass-lock and a private BORG_BASE_DIR: nothing written in the repository.
        #expect(try ResticRepositoryTests.listing(fixture.directory.url("srv/borg")) == before)
        // The passphrase never reaches the results.
        #expect(!results.contains { "\($0)".contains("correct horse") })
        // A wrong passphrase is an error with borg's reason.
        try fixture.directory.write("etc/cyberctl/wrong.pass", "nope\n")
        let wrong = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "borg", "kind": "borg", "path": "/srv/borg", "password_file": "/etc/cyberctl/wrong.pass"}]}
            """)
        let failed = try #require(await wrong.run(context).first { $0.code == "backup.present" })
        #expect(failed.status == .error)
        #expect(failed.reason?.hasPrefix("borg list failed (exit 2)") == true, "\(failed.reason ?? "")")
    }

    @Test func withoutPassphraseTheRepositoryFilesAreRead() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        // Found in a usual folder by its README.
        let check = try BackupFixture.check(#"{"folders": ["/srv/borg"]}"#)
        let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made.addingTimeInterval(60))))
        let present = try #require(results.first { $0.code == "backup.present" })
        #expect(present.status == .pass)
        #expect(present.evidence["kind"] == "borg")
        #expect(present.evidence["count"] == nil)
        #expect(present.evidence["snapshotList"] == "not checked: no password_file for this set in the profile: borg's own list not read; the last write time of the repository's files is used, whichever host wrote them")
        let freshness = try #require(results.first { $0.code == "backup.freshness" })
        #expect(freshness.status == .pass)
        #expect(freshness.evidence["method"] == "repository files")
    }

    /// A repository several hosts share: `srv-mairie`'s archives are three days old (`--timestamp`),
    /// `srv-ecole` made one a minute ago with ten times more data.
    static func makeShared() throws -> Repository {
        let fixture = try BackupFixture(now: Date())
        // A fully qualified name in the image: Borg records the short one.
        try fixture.directory.write("etc/hostname", "srv-mairie.plouzane.fr\n")
        try fixture.directory.write("etc/cyberctl/borg.pass", "correct horse battery staple\n", mode: 0o600)
        let repository = fixture.directory.url("srv/borg")
        try fixture.directory.write("srv/mairie/registre.bin", ResticRepositoryTests.noise(100_000))
        try fixture.directory.write("srv/ecole/cantine.bin", ResticRepositoryTests.noise(1_000_000))
        try borg(["init", "--encryption=repokey", repository], fixture)
        let old = Date().addingTimeInterval(-3 * 86_400)
        for (name, age) in [("mairie-1", 4.0), ("mairie-2", 3.0)] {
            let stamp = String(ISO8601.string(from: Date().addingTimeInterval(-age * 86_400)).dropLast())  // UTC, no Z
            try borg(["create", "--timestamp", stamp, "\(repository)::\(name)", fixture.directory.url("srv/mairie")], fixture)
        }
        try borg(["create", "\(repository)::ecole-1", fixture.directory.url("srv/ecole")], fixture, host: "srv-ecole")
        return Repository(fixture: fixture, made: old)
    }

    static let sharedByHosts = Result { try makeShared() }

    /// Another host's fresh archive does not make this host's stale one pass; sizes are this host's
    /// (`borg info`); a repository holding none of this host's archives is a fail with that reason.
    @Test func anotherHostsFreshArchiveDoesNotMakeThisHostFresh() async throws {
        let repository = try await OffPool.run { try Self.sharedByHosts.get() }
        let fixture = repository.fixture
        let now = Date()
        func run(host: String? = nil) async throws -> [String: CheckResult] {
            let check = try BackupFixture.check("""
                {"discover": false, "sets": [{"name": "partagé", "kind": "borg", "path": "/srv/borg", "max_age": "26h",
                  "password_file": "/etc/cyberctl/borg.pass"\(host.map { #", "host": "\#($0)""# } ?? "")}]}
                """)
            let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(now)))
            return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
        }
        let mine = try await run()
        let present = try #require(mine["backup.present"])
        #expect(present.status == .pass, "\(present)")
        #expect(present.evidence["count"] == 2)
        #expect(present.evidence["latestArchive"] == "mairie-2")
        #expect(present.evidence["hosts"] == .strings(["srv-ecole", "srv-mairie"]))
        #expect(present.evidence["thisHost"] == .strings(["srv-mairie.plouzane.fr"]))
        #expect(present.evidence["otherHostsCopies"] == 1)
        let freshness = try #require(mine["backup.freshness"])
        #expect(freshness.status == .fail, "\(freshness)")
        let newestAt = try #require(freshness.evidence["newestAt"]?.stringValue.flatMap(ISO8601.date(from:)))
        #expect(abs(newestAt.timeIntervalSince(repository.made)) < 120)
        // The size is this host's newest archive (borg info's original size), compared with its previous one.
        let size = try #require(mine["backup.size"])
        #expect(size.status == .pass, "\(size)")
        #expect(size.evidence["sizeBytes"] == 100_000)
        #expect(size.evidence["previousSizeBytes"] == 100_000)
        #expect(present.evidence["sizeSource"] == "borg info (original size)")
        let ecole = try await run(host: "srv-ecole")
        #expect(ecole["backup.freshness"]?.status == .pass)
        #expect(ecole["backup.size"]?.evidence["sizeBytes"] == 1_000_000)
        let none = try await run(host: "srv-bibliotheque")
        let absent = try #require(none["backup.present"])
        #expect(absent.status == .fail)
        #expect(absent.reason == "the repository holds 3 archive(s), all of other hosts (srv-ecole, srv-mairie), none of srv-bibliotheque")
        #expect(none["backup.freshness"] == nil)
    }

    /// An image without /etc/hostname: its archives cannot be told from other hosts', so an error
    /// saying to declare `host:`, not a pass on whoever wrote last.
    @Test func anUnknownHostNameIsAnError() async throws {
        let fixture = try BackupFixture(now: Date())
        try fixture.directory.write("etc/cyberctl/borg.pass", "correct horse battery staple\n", mode: 0o600)
        try fixture.directory.write("srv/partage/note.txt", "état civil\n")
        try await OffPool.run {
            try Self.borg(["init", "--encryption=repokey", fixture.directory.url("srv/borg")], fixture)
            try Self.borg(["create", fixture.directory.url("srv/borg") + "::un", fixture.directory.url("srv/partage")], fixture)
        }
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "borg", "kind": "borg", "path": "/srv/borg", "password_file": "/etc/cyberctl/borg.pass"}]}
            """)
        let present = try #require(await check.run(try fixture.context()).first { $0.code == "backup.present" })
        #expect(present.status == .error)
        #expect(present.reason?.hasPrefix("the audited system's host name is unknown (no /etc/hostname)") == true, "\(present.reason ?? "")")
    }

    /// Archive times borg prints that cyberctl cannot read, and a `borg info` that fails, are errors.
    @Test func unreadableTimesAndFailedSizesAreErrors() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        let work = try TemporaryDirectory(prefix: "cyberctl-borg-wrapper")
        let spoiled = try work.write("bin/borg-spoiled", """
            #!/bin/sh
            /usr/bin/borg "$@" | sed '0,/"start": "[^"]*"/s//"start": "hier soir"/'
            """, mode: 0o755)
        let noInfo = try work.write("bin/borg-no-info", """
            #!/bin/sh
            if [ "$1" = info ]; then echo "Repository does not exist." >&2; exit 2; fi
            exec /usr/bin/borg "$@"
            """, mode: 0o755)
        for program in [spoiled, noInfo] {
            var check = try BackupFixture.check("""
                {"discover": false, "sets": [{"name": "borg", "kind": "borg", "path": "/srv/borg", "password_file": "/etc/cyberctl/borg.pass"}]}
                """)
            check.programs.borg = program
            let results = await check.run(
                CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made), commands: CommandRunner(allowlist: [program])))
            let table = Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
            if program == spoiled {
                #expect(table["backup.present"]?.status == .error)
                #expect(table["backup.present"]?.reason == "borg list: archive mairie-1 has a time cyberctl cannot read (\"hier soir\")")
            } else {
                #expect(table["backup.present"]?.status == .pass)
                #expect(table["backup.freshness"]?.status == .pass)
                #expect(table["backup.size"]?.status == .error)
                #expect(table["backup.size"]?.reason == "borg info mairie-2 failed (exit 2): Repository does not exist.")
            }
        }
    }
}
