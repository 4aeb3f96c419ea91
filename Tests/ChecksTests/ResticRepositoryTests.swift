import Checks
import Foundation
import Model
import Testing
import TestSupport

/// A real restic repository made during the test (`restic init`, two `restic backup` runs), read by
/// `backup.sets` with and without its password file.
@Suite(.serialized) struct ResticRepositoryTests {
    struct Repository: @unchecked Sendable {
        let fixture: BackupFixture
        let passwordFile: String
        let made: Date
    }

    static func restic(_ arguments: [String], _ fixture: BackupFixture) throws {
        let output = try Command.run(
            "/usr/bin/restic", arguments + ["--password-file", fixture.directory.url("etc/cyberctl/restic.pass"), "--no-cache"],
            environment: ["HOME": fixture.directory.url("home"), "PATH": "/usr/bin:/bin", "TZ": "UTC"])
        guard output.exitCode == 0 else { throw TestSupportError("restic \(arguments) failed: \(output.stderr)") }
    }

    /// A repository at /srv/restic in a fixture root: a first snapshot of ~1 MB of data, then a
    /// second one after most of the data was deleted.
    static func make() throws -> Repository {
        let (fixture, password, repository) = try initialised()
        try fixture.directory.write("srv/partage/registre.bin", noise(1_000_000))
        try fixture.directory.write("srv/partage/note.txt", "état civil\n")
        try restic(["backup", "--repo", repository, "--host", "srv-mairie", fixture.directory.url("srv/partage")], fixture)
        try FileManager.default.removeItem(atPath: fixture.directory.url("srv/partage/registre.bin"))
        try restic(["backup", "--repo", repository, "--host", "srv-mairie", fixture.directory.url("srv/partage")], fixture)
        return Repository(fixture: fixture, passwordFile: password, made: Date())
    }

    /// A fixture root of host `srv-mairie` with an empty repository at /srv/restic and its password file.
    static func initialised() throws -> (fixture: BackupFixture, password: String, repository: String) {
        let fixture = try BackupFixture(now: Date())
        try fixture.directory.write("etc/hostname", "srv-mairie\n")
        let password = try fixture.directory.write("etc/cyberctl/restic.pass", "correct horse battery staple\n", mode: 0o600)
        let repository = fixture.directory.url("srv/restic")
        try restic(["init", "--repo", repository], fixture)
        return (fixture, password, repository)
    }

    /// `count` random bytes: data restic cannot compress or deduplicate.
    static func noise(_ count: Int) -> Data {
        var random = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// One repository for the suite (restic's key derivation makes `init` slow).
    static let shared = Result { try make() }

    /// The suite's repository, made on a thread of its own the first time: `init` and the backups are
    /// blocking child processes that must not hold a cooperative thread other tests' tasks need.
    static func repository() async throws -> Repository { try await OffPool.run { try shared.get() } }

    /// Every file of the repository with its size and time, to prove the check wrote nothing.
    static func listing(_ path: String) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: path))
        var entries: [String] = []
        while let name = enumerator.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + name)
            entries.append("\(name) \(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? "")")
        }
        return entries.sorted()
    }

    @Test func snapshotsAreListedWithThePasswordFile() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        let before = try Self.listing(fixture.directory.url("srv/restic"))
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "restic", "kind": "restic", "path": "/srv/restic",
              "password_file": "/etc/cyberctl/restic.pass", "protects": ["/srv/partage"]}]}
            """)
        let context = CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made.addingTimeInterval(60)))
        let results = await check.run(context)
        func result(_ code: String) throws -> CheckResult { try #require(results.first { $0.code == code }) }
        let present = try result("backup.present")
        #expect(present.status == .pass, "\(present)")
        #expect(present.evidence["count"] == 2)
        #expect(present.evidence["method"] == nil)
        #expect(present.evidence["hosts"] == .strings(["srv-mairie"]))
        #expect(present.evidence["snapshotList"] == nil)
        let freshness = try result("backup.freshness")
        #expect(freshness.status == .pass)
        #expect(freshness.evidence["method"] == "restic snapshots --json")
        // restic's own snapshot time, within the test's run.
        let newestAt = try #require(freshness.evidence["newestAt"]?.stringValue.flatMap(ISO8601.date(from:)))
        #expect(newestAt <= repository.made && newestAt > repository.made.addingTimeInterval(-600))
        // The second snapshot lost the 1 MB file: a sudden drop.
        let size = try result("backup.size")
        #expect(size.status == .warn)
        #expect(size.severity == .medium)
        let newestSize = try #require(size.evidence["sizeBytes"]?.intValue)
        let previousSize = try #require(size.evidence["previousSizeBytes"]?.intValue)
        #expect(previousSize >= 1_000_000)
        #expect(newestSize < 100)
        #expect(present.evidence["sizeSource"] == "restic stats --mode restore-size")
        // Nothing written in the repository: no lock, no new file.
        #expect(try Self.listing(fixture.directory.url("srv/restic")) == before)
        // A wrong password is an error with restic's reason.
        try fixture.directory.write("etc/cyberctl/wrong.pass", "nope\n")
        let wrong = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "restic", "kind": "restic", "path": "/srv/restic", "password_file": "/etc/cyberctl/wrong.pass"}]}
            """)
        let failed = try #require(await wrong.run(context).first { $0.code == "backup.present" })
        #expect(failed.status == .error)
        #expect(failed.reason?.contains("restic snapshots failed (exit 1)") == true, "\(failed.reason ?? "")")
        #expect(failed.reason?.contains("wrong password") == true || failed.reason?.contains("no key found") == true)
    }

    /// An initialised repository without any snapshot holds no copy, listed or not.
    @Test func repositoryWithoutSnapshotsFails() async throws {
        let fixture = try BackupFixture(now: Date())
        try fixture.directory.write("etc/cyberctl/restic.pass", "pass\n", mode: 0o600)
        let repository = fixture.directory.url("srv/restic")
        try await OffPool.run { try Self.restic(["init", "--repo", repository], fixture) }
        for password in [#", "password_file": "/etc/cyberctl/restic.pass""#, ""] {
            let check = try BackupFixture.check(#"{"discover": false, "sets": [{"name": "r", "kind": "restic", "path": "/srv/restic"\#(password)}]}"#)
            let results = await check.run(try fixture.context())
            let present = try #require(results.first { $0.code == "backup.present" })
            #expect(present.status == .fail, "\(present)")
            #expect(present.evidence["count"] == 0)
            #expect(!results.contains { $0.code == "backup.freshness" })
        }
    }

    @Test func withoutPasswordTheRepositoryFilesAreRead() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "restic", "kind": "restic", "path": "/srv/restic"}]}
            """)
        let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made.addingTimeInterval(60))))
        let present = try #require(results.first { $0.code == "backup.present" })
        #expect(present.status == .pass)
        // One file per snapshot in snapshots/.
        #expect(present.evidence["count"] == 2)
        #expect(present.evidence["snapshotList"] == "not checked: no password_file for this set in the profile: restic's own list not read; the last write time of the repository's files is used, whichever host wrote them")
        let freshness = try #require(results.first { $0.code == "backup.freshness" })
        #expect(freshness.status == .pass)
        #expect(freshness.evidence["method"] == "repository files")
        let size = try #require(results.first { $0.code == "backup.size" })
        // The repository's data/ holds the 1 MB file (deduplicated, compressed or not).
        #expect((size.evidence["sizeBytes"]?.intValue ?? 0) > 900_000)
        #expect(size.evidence["sizeChangeNotChecked"] == "snapshot sizes need the repository password")
        // The same repository is found in a usual folder by discovery.
        let discovered = try BackupFixture.check(#"{"folders": ["/srv/restic"]}"#)
        let found = await discovered.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made)))
        #expect(found.first { $0.code == "backup.present" }?.evidence["kind"] == "restic")
    }

    /// A repository several hosts share: `srv-mairie`'s last snapshot is three days old, `srv-ecole`
    /// backed up a minute ago, with ten times more data. Only this host's snapshots count.
    static func makeShared() throws -> Repository {
        let (fixture, password, repository) = try initialised()
        try fixture.directory.write("srv/mairie/registre.bin", noise(100_000))
        try fixture.directory.write("srv/ecole/cantine.bin", noise(1_000_000))
        let old = Date().addingTimeInterval(-3 * 86_400)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for age in [4, 3] as [Double] {
            try restic([
                "backup", "--repo", repository, "--host", "srv-mairie", "--time", formatter.string(from: Date().addingTimeInterval(-age * 86_400)),
                fixture.directory.url("srv/mairie"),
            ], fixture)
        }
        try restic(["backup", "--repo", repository, "--host", "srv-ecole", fixture.directory.url("srv/ecole")], fixture)
        return Repository(fixture: fixture, passwordFile: password, made: old)
    }

    static let sharedByHosts = Result { try makeShared() }

    /// Another host's fresh snapshot does not make this host's stale one pass; sizes are this host's;
    /// a repository holding none of this host's snapshots is a fail with that reason.
    @Test func anotherHostsFreshSnapshotDoesNotMakeThisHostFresh() async throws {
        let repository = try await OffPool.run { try Self.sharedByHosts.get() }
        let fixture = repository.fixture
        let now = Date()
        let restoreTest = String(ISO8601.string(from: now.addingTimeInterval(-30 * 86_400)).prefix(10))
        func run(host: String? = nil) async throws -> [String: CheckResult] {
            let check = try BackupFixture.check("""
                {"discover": false, "sets": [{"name": "partagé", "kind": "restic", "path": "/srv/restic", "max_age": "26h",
                  "password_file": "/etc/cyberctl/restic.pass", "last_restore_test": "\(restoreTest)"\(host.map { #", "host": "\#($0)""# } ?? "")}]}
                """)
            let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(now)))
            return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
        }
        // This host (the image's /etc/hostname): its newest snapshot is three days old.
        let mine = try await run()
        let present = try #require(mine["backup.present"])
        #expect(present.status == .pass)
        #expect(present.evidence["count"] == 2)
        #expect(present.evidence["hosts"] == .strings(["srv-ecole", "srv-mairie"]))
        #expect(present.evidence["thisHost"] == .strings(["srv-mairie"]))
        #expect(present.evidence["thisHostSource"] == "/etc/hostname")
        #expect(present.evidence["otherHostsCopies"] == 1)
        let freshness = try #require(mine["backup.freshness"])
        #expect(freshness.status == .fail, "\(freshness)")
        let newestAt = try #require(freshness.evidence["newestAt"]?.stringValue.flatMap(ISO8601.date(from:)))
        #expect(abs(newestAt.timeIntervalSince(repository.made)) < 120)
        // The size is this host's snapshot (100 kB), not the other host's megabyte.
        let size = try #require(mine["backup.size"])
        let bytes = try #require(size.evidence["sizeBytes"]?.intValue)
        #expect(bytes >= 100_000 && bytes < 200_000, "\(size)")
        #expect(size.evidence["previousSizeBytes"]?.intValue == bytes)
        // The other host's name, given in the profile: its fresh snapshot counts.
        let ecole = try await run(host: "srv-ecole")
        #expect(ecole["backup.freshness"]?.status == .pass)
        #expect(ecole["backup.present"]?.evidence["thisHostSource"] == "profile (host)")
        #expect((ecole["backup.size"]?.evidence["sizeBytes"]?.intValue ?? 0) >= 1_000_000)
        // A host with no snapshot in the repository: fail with the reason, no freshness to show, and
        // a declared restore test cannot have restored it.
        let none = try await run(host: "srv-bibliotheque")
        let absent = try #require(none["backup.present"])
        #expect(absent.status == .fail)
        #expect(absent.evidence["count"] == 0)
        #expect(absent.reason == "the repository holds 3 snapshot(s), all of other hosts (srv-ecole, srv-mairie), none of srv-bibliotheque")
        #expect(none["backup.freshness"] == nil)
        #expect(none["backup.restore-test"]?.status == .warn)
        #expect(none["backup.restore-test"]?.evidence["noCopy"] == true)
        #expect(mine["backup.restore-test"]?.status == .pass)
    }

    /// This host is `mairie`; the shared repository's only snapshot is `mairie.locmaria.fr`'s. It
    /// counts only when `locmaria.fr` is this host's own domain (its /etc/hosts, resolv.conf), never
    /// because the first labels agree.
    @Test func aShortNameMatchesOnlyThisHostsOwnDomain() async throws {
        let (fixture, _, repository) = try await OffPool.run { try Self.initialised() }
        try fixture.directory.write("etc/hostname", "mairie\n")
        try fixture.directory.write("srv/data/f", "data\n")
        try await OffPool.run {
            try Self.restic(["backup", "--repo", repository, "--host", "mairie.locmaria.fr", fixture.directory.url("srv/data")], fixture)
        }
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "NAS mutualisé", "kind": "restic", "path": "/srv/restic",
              "password_file": "/etc/cyberctl/restic.pass"}]}
            """)
        func run() async throws -> [String: CheckResult] {
            let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(Date())))
            return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
        }
        let other = try await run()
        let absent = try #require(other["backup.present"])
        #expect(absent.status == .fail)
        #expect(absent.reason == "the repository holds 1 snapshot(s), all of other hosts (mairie.locmaria.fr), none of mairie")
        #expect(absent.evidence["thisHostDomains"] == nil)
        #expect(other["backup.freshness"] == nil)

        try fixture.directory.write("etc/resolv.conf", "search autre-commune.fr\n")
        #expect(try await run()["backup.present"]?.status == .fail)

        try fixture.directory.write("etc/hosts", "127.0.0.1 localhost\n127.0.1.1 mairie.locmaria.fr mairie\n")
        let mine = try await run()
        let present = try #require(mine["backup.present"])
        #expect(present.status == .pass)
        #expect(present.evidence["thisHostDomains"] == .strings(["locmaria.fr (/etc/hosts)", "autre-commune.fr (/etc/resolv.conf search)"]))
        #expect(mine["backup.freshness"]?.status == .pass)
    }

    /// `restic stats` that fails (the index is gone, so the snapshot's tree cannot be found, while the
    /// snapshot files remain) leaves the size unverified: an error with restic's reason, never a skip.
    @Test func aFailedStatsIsASizeError() async throws {
        let fixture = try BackupFixture(now: Date())
        try fixture.directory.write("etc/hostname", "srv-mairie\n")
        try fixture.directory.write("etc/cyberctl/restic.pass", "pass\n", mode: 0o600)
        let repository = fixture.directory.url("srv/restic")
        try await OffPool.run {
            try Self.restic(["init", "--repo", repository], fixture)
            try fixture.directory.write("srv/partage/note.txt", "état civil\n")
            try Self.restic(["backup", "--repo", repository, "--host", "srv-mairie", fixture.directory.url("srv/partage")], fixture)
        }
        // Without its index restic cannot find the snapshot's tree (at once, without retrying a missing pack).
        for name in try FileManager.default.contentsOfDirectory(atPath: repository + "/index") {
            try FileManager.default.removeItem(atPath: repository + "/index/" + name)
        }
        let check = try BackupFixture.check("""
            {"discover": false, "sets": [{"name": "r", "kind": "restic", "path": "/srv/restic", "password_file": "/etc/cyberctl/restic.pass"}]}
            """)
        let results = await check.run(try fixture.context())
        #expect(results.first { $0.code == "backup.present" }?.status == .pass)
        let size = try #require(results.first { $0.code == "backup.size" })
        #expect(size.status == .error, "\(size)")
        #expect(size.reason?.hasPrefix("restic stats") == true, "\(size.reason ?? "")")
        #expect(size.reason?.contains("not found in repository") == true, "\(size.reason ?? "")")
    }

    /// What restic prints but cyberctl cannot read, and a restic that does not answer in time, are
    /// errors: never fewer snapshots, never a pass. The real restic runs behind a wrapper that spoils
    /// one snapshot's time, or sleeps past the timeout.
    @Test func unreadableOrLateSnapshotListsAreErrors() async throws {
        let repository = try await Self.repository()
        let fixture = repository.fixture
        let work = try TemporaryDirectory(prefix: "cyberctl-restic-wrapper")
        let spoiled = try work.write("bin/restic-spoiled", """
            #!/bin/sh
            /usr/bin/restic "$@" | sed '0,/"time":"[^"]*"/s//"time":"hier soir"/'
            """, mode: 0o755)
        let late = try work.write("bin/restic-late", "#!/bin/sh\nsleep 30\n", mode: 0o755)
        let cases = [(spoiled, 60, "has a time cyberctl cannot read (\"hier soir\")"), (late, 1, "did not finish within 1.0 s")]
        for (program, timeout, expected) in cases {
            var check = try BackupFixture.check("""
                {"discover": false, "command_timeout": \(timeout),
                 "sets": [{"name": "r", "kind": "restic", "path": "/srv/restic", "password_file": "/etc/cyberctl/restic.pass"}]}
                """)
            check.programs.restic = program
            let results = await check.run(
                CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(repository.made), commands: CommandRunner(allowlist: [program])))
            let present = try #require(results.first { $0.code == "backup.present" })
            #expect(present.status == .error, "\(present)")
            #expect(present.reason?.contains(expected) == true, "\(present.reason ?? "")")
            #expect(!results.contains { $0.code == "backup.freshness" || $0.code == "backup.size" })
        }
    }
}
