import Checks
import Foundation
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
            environment: ["HOME": fixture.directory.url("home"), "PATH": "/usr/bin:/bin"])
        guard output.exitCode == 0 else { throw TestSupportError("restic \(arguments) failed: \(output.stderr)") }
    }

    /// A repository at /srv/restic in a fixture root: a first snapshot of ~1 MB of data, then a
    /// second one after most of the data was deleted.
    static func make() throws -> Repository {
        let fixture = try BackupFixture(now: Date())
        let password = try fixture.directory.write("etc/cyberctl/restic.pass", "correct horse battery staple\n", mode: 0o600)
        let repository = fixture.directory.url("srv/restic")
        try restic(["init", "--repo", repository], fixture)
        var random = SystemRandomNumberGenerator()
        let big = Data((0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &random) })
        try fixture.directory.write("srv/partage/registre.bin", big)
        try fixture.directory.write("srv/partage/note.txt", "état civil\n")
        try restic(["backup", "--repo", repository, "--host", "srv-mairie", fixture.directory.url("srv/partage")], fixture)
        try FileManager.default.removeItem(atPath: fixture.directory.url("srv/partage/registre.bin"))
        try restic(["backup", "--repo", repository, "--host", "srv-mairie", fixture.directory.url("srv/partage")], fixture)
        return Repository(fixture: fixture, passwordFile: password, made: Date())
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
}
