import Checks
import Foundation
import Testing
import TestSupport

/// A real Borg repository made during the test (`borg init`, two `borg create`), read by
/// `backup.sets` with and without its passphrase file.
@Suite(.serialized) struct BorgRepositoryTests {
    struct Repository: @unchecked Sendable {
        let fixture: BackupFixture
        let made: Date
    }

    static func borg(_ arguments: [String], _ fixture: BackupFixture) throws {
        let output = try Command.run("/usr/bin/borg", arguments, environment: [
            "BORG_PASSPHRASE": "correct horse battery staple", "BORG_BASE_DIR": fixture.directory.url("home"),
            "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8",
        ])
        guard output.exitCode == 0 else { throw TestSupportError("borg \(arguments) failed: \(output.stderr)") }
    }

    static func make() throws -> Repository {
        let fixture = try BackupFixture(now: Date())
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
}
