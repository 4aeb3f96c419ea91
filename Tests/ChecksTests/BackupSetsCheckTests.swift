import Checks
import Foundation
import Model
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct BackupSetsCheckTests {
    typealias F = BackupFixture
    static let hour = BackupFixture.hour
    static let day = BackupFixture.day

    /// Fresh, stale, empty, shrinking, nothing at all, missing, rsnapshot and vzdump sets declared in
    /// a profile, in one fixture tree whose times are relative to the injected clock.
    @Test func declaredSetsGetTheExpectedVerdicts() async throws {
        let fixture = try BackupFixture()
        // Fresh: newest 2 h old, a little bigger than the previous one.
        try fixture.file("srv/backup/fresh/mairie-2026-11-28.tar.gz", bytes: 980, age: 26 * Self.hour)
        try fixture.file("srv/backup/fresh/mairie-2026-11-29.tar.gz", bytes: 1000, age: 2 * Self.hour)
        try fixture.file("srv/backup/fresh/mairie-2026-11-29.tar.gz.sha256", bytes: 64, age: 1 * Self.hour)
        // Stale: newest 10 days old.
        try fixture.file("srv/backup/stale/compta-2026-11-19.sql.gz", bytes: 5000, age: 10 * Self.day)
        // Empty: newest copy has 0 bytes.
        try fixture.file("srv/backup/empty/urba-2026-11-28.sql.gz", bytes: 4000, age: 25 * Self.hour)
        try fixture.file("srv/backup/empty/urba-2026-11-29.sql.gz", bytes: 0, age: 1 * Self.hour)
        // Shrinking: newest is a tenth of the previous one.
        try fixture.file("srv/backup/shrink/ged-2026-11-28.tar", bytes: 100_000, age: 25 * Self.hour)
        try fixture.file("srv/backup/shrink/ged-2026-11-29.tar", bytes: 10_000, age: 1 * Self.hour)
        // Nothing in the folder.
        try fixture.folder("srv/backup/nothing")
        // rsnapshot: daily.0 3 h old with content, daily.1 a day older.
        try fixture.file("srv/rsnapshot/daily.0/localhost/etc/hostname", bytes: 10, age: 3 * Self.hour)
        try fixture.file("srv/rsnapshot/daily.1/localhost/etc/hostname", bytes: 10, age: 27 * Self.hour)
        try fixture.setTime("srv/rsnapshot/daily.0", age: 3 * Self.hour)
        try fixture.setTime("srv/rsnapshot/daily.1", age: 27 * Self.hour)
        // vzdump: VM 100 fresh, VM 101 stopped 5 days ago; logs are not copies.
        try fixture.file("var/lib/vz/dump/vzdump-qemu-100-2026_11_29-01_00_00.vma.zst", bytes: 50_000, age: 4 * Self.hour)
        try fixture.file("var/lib/vz/dump/vzdump-qemu-100-2026_11_29-01_00_00.log", bytes: 500, age: 4 * Self.hour)
        try fixture.file("var/lib/vz/dump/vzdump-qemu-101-2026_11_24-01_00_00.vma.zst", bytes: 60_000, age: 5 * Self.day)
        let offline = ISO8601.string(from: fixture.now - 10 * Self.day)
        let restoreOld = ISO8601.string(from: fixture.now - 400 * Self.day)
        let restoreRecent = String(ISO8601.string(from: fixture.now - 30 * Self.day).prefix(10))
        let check = try F.check("""
            {"discover": false, "sets": [
              {"name": "fresh", "kind": "files", "path": "/srv/backup/fresh", "max_age": "26h",
               "offline_copy": {"last": "\(offline)", "kind": "offline", "location": "coffre"}, "last_restore_test": "\(restoreRecent)"},
              {"name": "fresh-7", "kind": "files", "path": "/srv/backup/fresh/*.tar.gz", "expected_count": 7, "offline_copy": false,
               "last_restore_test": "\(restoreOld)"},
              {"name": "stale", "kind": "pgdump", "path": "/srv/backup/stale", "max_age": "7d"},
              {"name": "empty", "kind": "pgdump", "path": "/srv/backup/empty"},
              {"name": "shrink", "kind": "files", "path": "/srv/backup/shrink", "min_size": "1K"},
              {"name": "nothing", "kind": "files", "path": "/srv/backup/nothing"},
              {"name": "absent", "kind": "files", "path": "/srv/backup/absent"},
              {"name": "rsnapshot", "kind": "rsnapshot", "path": "/srv/rsnapshot"},
              {"name": "vms", "kind": "vzdump", "path": "/var/lib/vz/dump", "max_age": "2d", "offline_copy": true}
            ]}
            """)
        let results = await check.run(try fixture.context())
        let table = F.table(results)
        let expected: [String: String] = [
            "/srv/backup/fresh backup.present": "pass/high",
            "/srv/backup/fresh backup.freshness": "pass/high",
            "/srv/backup/fresh backup.size": "pass/high",
            "/srv/backup/fresh backup.separate-storage": "warn/medium",
            "/srv/backup/fresh backup.offline-copy": "pass/medium",
            "/srv/backup/fresh backup.restore-test": "pass/medium",
            "/srv/backup/fresh/*.tar.gz backup.present": "warn/medium",
            "/srv/backup/fresh/*.tar.gz backup.freshness": "pass/high",
            "/srv/backup/fresh/*.tar.gz backup.size": "pass/high",
            "/srv/backup/fresh/*.tar.gz backup.separate-storage": "warn/medium",
            "/srv/backup/fresh/*.tar.gz backup.offline-copy": "warn/medium",
            "/srv/backup/fresh/*.tar.gz backup.restore-test": "warn/medium",
            "/srv/backup/stale backup.present": "pass/high",
            "/srv/backup/stale backup.freshness": "fail/high",
            "/srv/backup/stale backup.size": "pass/high",
            "/srv/backup/stale backup.separate-storage": "warn/medium",
            "/srv/backup/stale backup.offline-copy": "warn/medium",
            "/srv/backup/stale backup.restore-test": "warn/medium",
            "/srv/backup/empty backup.present": "pass/high",
            "/srv/backup/empty backup.freshness": "pass/high",
            "/srv/backup/empty backup.size": "fail/high",
            "/srv/backup/empty backup.separate-storage": "warn/medium",
            "/srv/backup/empty backup.offline-copy": "warn/medium",
            "/srv/backup/empty backup.restore-test": "warn/medium",
            "/srv/backup/shrink backup.present": "pass/high",
            "/srv/backup/shrink backup.freshness": "pass/high",
            "/srv/backup/shrink backup.size": "warn/medium",
            "/srv/backup/shrink backup.separate-storage": "warn/medium",
            "/srv/backup/shrink backup.offline-copy": "warn/medium",
            "/srv/backup/shrink backup.restore-test": "warn/medium",
            "/srv/backup/nothing backup.present": "fail/high",
            "/srv/backup/nothing backup.separate-storage": "warn/medium",
            "/srv/backup/nothing backup.offline-copy": "warn/medium",
            "/srv/backup/nothing backup.restore-test": "warn/medium",
            "/srv/backup/absent backup.present": "fail/high",
            "/srv/backup/absent backup.offline-copy": "warn/medium",
            "/srv/backup/absent backup.restore-test": "warn/medium",
            "/srv/rsnapshot backup.present": "pass/high",
            "/srv/rsnapshot backup.freshness": "pass/high",
            "/srv/rsnapshot backup.size": "pass/high",
            "/srv/rsnapshot backup.separate-storage": "warn/medium",
            "/srv/rsnapshot backup.offline-copy": "warn/medium",
            "/srv/rsnapshot backup.restore-test": "warn/medium",
            "/var/lib/vz/dump backup.present": "pass/high",
            "/var/lib/vz/dump backup.freshness": "warn/medium",
            "/var/lib/vz/dump backup.size": "pass/high",
            "/var/lib/vz/dump backup.separate-storage": "warn/medium",
            "/var/lib/vz/dump backup.offline-copy": "warn/medium",
            "/var/lib/vz/dump backup.restore-test": "warn/medium",
        ]
        #expect(table == expected)
        func result(_ target: String, _ code: String) throws -> CheckResult {
            try #require(results.first { $0.target == target && $0.code == code })
        }
        // Evidence: newest time and age, size and the change against the previous copy, count.
        let freshness = try result("/srv/backup/fresh", "backup.freshness")
        #expect(freshness.evidence["newest"] == "/srv/backup/fresh/mairie-2026-11-29.tar.gz")
        #expect(freshness.evidence["newestAt"] == .time(fixture.now - 2 * Self.hour))
        #expect(freshness.evidence["ageHours"] == .double(2))
        #expect(freshness.evidence["maxAgeHours"] == .double(26))
        #expect(freshness.evidence["maxAgeSource"] == "profile")
        let freshSize = try result("/srv/backup/fresh", "backup.size")
        #expect(freshSize.evidence["sizeBytes"] == 1000)
        #expect(freshSize.evidence["previousSizeBytes"] == 980)
        #expect(freshSize.evidence["sizeChangePercent"] == .double(2))
        // The checksum file is not a copy.
        #expect(try result("/srv/backup/fresh", "backup.present").evidence["count"] == 2)
        #expect(try result("/srv/backup/fresh/*.tar.gz", "backup.present").evidence["expectedCount"] == 7)
        let stale = try result("/srv/backup/stale", "backup.freshness")
        #expect(stale.evidence["ageHours"] == .double(240))
        #expect(stale.evidence["maxAgeHours"] == .double(168))
        #expect(try result("/srv/backup/empty", "backup.size").evidence["empty"] == true)
        let shrink = try result("/srv/backup/shrink", "backup.size")
        #expect(shrink.evidence["sizeChangePercent"] == .double(-90))
        #expect(shrink.evidence["previousSizeBytes"] == 100_000)
        #expect(shrink.evidence["minimumBytes"] == 1024)
        #expect(try result("/srv/backup/absent", "backup.present").evidence["pathMissing"] == true)
        #expect(try result("/srv/rsnapshot", "backup.size").evidence["sizeEntries"] == 1)
        #expect(try result("/srv/rsnapshot", "backup.present").evidence["count"] == 2)
        // vzdump: VM 101 stopped while VM 100 goes on.
        let vms = try result("/var/lib/vz/dump", "backup.freshness")
        #expect(vms.evidence["staleSeriesCount"] == 1)
        #expect(vms.evidence["staleSeries"] == .array([.object(["series": "qemu-101", "newestAt": .time(fixture.now - 5 * Self.day)])]))
        #expect(try result("/var/lib/vz/dump", "backup.present").evidence["count"] == 2)
        // An offline copy declared without a date is not a pass.
        #expect(try result("/var/lib/vz/dump", "backup.offline-copy").reason == "the date of the last offline copy is not declared")
        #expect(try result("/srv/backup/fresh", "backup.offline-copy").evidence["ageDays"] == 10)
        #expect(try result("/srv/backup/fresh/*.tar.gz", "backup.restore-test").evidence["ageDays"] == 400)
        // Everything references NIS 2 Art. 21(2)(c) and the others, all known to the reference catalogue.
        for result in results {
            #expect(result.references == ["NIS2-21.2.c", "EU-2024/2690-4.2", "RECYF-13", "ANSSI-HYG-37"])
            for reference in result.references { #expect(ReferenceCatalogue.entry(for: reference) != nil) }
            #expect(Catalogue.rule(result.code) != nil)
        }
    }

    /// No set declared and nothing to find: one fail/high naming what was looked at.
    @Test func nothingAtAllIsOneHighFailure() async throws {
        let fixture = try BackupFixture()
        try fixture.folder("etc/systemd/system")
        try fixture.folder("backup")
        // Debian's own copies in /var/backups are not the commune's backups.
        try fixture.file("var/backups/dpkg.status.0", bytes: 100, age: Self.hour)
        try fixture.file("var/backups/passwd.bak", bytes: 100, age: Self.hour)
        try fixture.file("var/backups/apt.extended_states.0", bytes: 100, age: Self.hour)
        let results = await BackupSetsCheck().run(try fixture.context())
        #expect(results.count == 1)
        let only = try #require(results.first)
        #expect(only.target == "backup.sets")
        #expect(only.code == "backup.present")
        #expect(only.status == .fail)
        #expect(only.severity == .high)
        #expect(only.evidence["foldersWithoutCopies"] == .strings(["/var/backups", "/backup"]))
        #expect(only.evidence["foldersLookedAt"] == .strings(["/var/backups", "/backup"]))
    }

    /// A dangling link named by the profile is an error with the reason; inside a folder it is
    /// noted as a problem while the fresh copies still count.
    @Test func danglingLinksAreReported() async throws {
        let fixture = try BackupFixture()
        try fixture.link("srv/backup/latest.tar.gz", to: "/srv/backup/archives/gone.tar.gz")
        try fixture.file("srv/backup/archives/mairie-1.tar.gz", bytes: 100, age: Self.hour)
        try fixture.link("srv/backup/archives/mairie-0.tar.gz", to: "mairie-missing.tar.gz")
        // A relative link to a real copy counts as that copy.
        try fixture.link("srv/backup/archives/current.tar.gz", to: "mairie-1.tar.gz")
        let check = try F.check("""
            {"discover": false, "sets": [
              {"name": "latest", "kind": "files", "path": "/srv/backup/latest.tar.gz"},
              {"name": "archives", "kind": "files", "path": "/srv/backup/archives"}]}
            """)
        let results = await check.run(try fixture.context())
        let latest = try #require(results.first { $0.target == "/srv/backup/latest.tar.gz" && $0.code == "backup.present" })
        #expect(latest.status == .error)
        #expect(latest.reason == "/srv/backup/latest.tar.gz: dangling symbolic link (to /srv/backup/archives/gone.tar.gz)")
        #expect(!results.contains { $0.target == "/srv/backup/latest.tar.gz" && $0.code == "backup.freshness" })
        let archives = try #require(results.first { $0.target == "/srv/backup/archives" && $0.code == "backup.freshness" })
        #expect(archives.status == .pass)
        #expect(archives.evidence["problems"] == .strings(["/srv/backup/archives/mairie-0.tar.gz: dangling symbolic link"]))
        #expect(results.first { $0.target == "/srv/backup/archives" && $0.code == "backup.present" }?.evidence["count"] == 2)
    }

    /// Part of the set not read (tonight's dump in a folder the agent cannot list): the readable
    /// newest copy's size is no proof, `backup.size` is an error naming the part, never a pass.
    /// The tests run as root: the unreadable folder is a symbolic link loop where a folder is.
    @Test func sizeWithAnUnreadablePartIsAnError() async throws {
        let fixture = try BackupFixture()
        try fixture.file("srv/backup/etatcivil-2026-12-06.dump", bytes: 10_000, age: 20 * Self.hour)
        try fixture.link("srv/backup/nightly", to: "/srv/backup/nightly")
        let check = try F.check(#"{"discover": false, "sets": [{"name": "dumps", "kind": "pgdump", "path": "/srv/backup"}]}"#)
        let results = await check.run(try fixture.context())
        let size = try #require(results.first { $0.code == "backup.size" })
        #expect(size.status == .error)
        #expect(size.severity == .high)
        #expect(size.reason?.hasPrefix("size of the newest readable copy only (/srv/backup/etatcivil-2026-12-06.dump), the newest may be elsewhere: 1 part(s) could not be read: /srv/backup/nightly") == true)
        #expect(size.evidence["sizeBytes"] == 10_000)
        // The fresh readable copy still proves that a recent copy exists.
        #expect(results.first { $0.code == "backup.freshness" }?.status == .pass)
        #expect(results.first { $0.code == "backup.present" }?.status == .pass)

        // Everything readable: the same copy passes.
        try FileManager.default.removeItem(atPath: fixture.directory.url("srv/backup/nightly"))
        let readable = await check.run(try fixture.context())
        #expect(readable.first { $0.code == "backup.size" }?.status == .pass)
    }

    /// A copy dated in the future never stands for the newest: the 60-day-old real copy still fails
    /// (high), the future-dated file named beside it; beside a fresh copy it warns on its own; alone
    /// no age can be judged (error).
    @Test func futureDatedCopiesAreSetAside() async throws {
        let fixture = try BackupFixture()
        try fixture.file("srv/backup/mairie-2026-10-08.tar.gz", bytes: 100_000, age: 60 * Self.day)
        let check = try F.check(#"{"discover": false, "sets": [{"name": "mairie", "kind": "files", "path": "/srv/backup"}]}"#)
        func freshness() async throws -> CheckResult {
            try #require(await check.run(try fixture.context()).first { $0.code == "backup.freshness" })
        }
        let stale = try await freshness()
        #expect(stale.status == .fail && stale.severity == .high)
        #expect(stale.reason == nil)

        try fixture.file("srv/backup/mairie-2026-12-07.tar.gz", bytes: 100_000, age: -90 * Self.day)
        let withFuture = try await freshness()
        #expect(withFuture.status == .fail)
        #expect(withFuture.severity == .high)
        #expect(withFuture.evidence["newest"] == "/srv/backup/mairie-2026-10-08.tar.gz")
        #expect(withFuture.evidence["futureDated"] == "/srv/backup/mairie-2026-12-07.tar.gz")
        #expect(withFuture.evidence["futureDatedCount"] == 1)
        #expect(withFuture.reason?.hasPrefix("the newest credibly dated copy is 60 d old; 1 copy(ies) dated in the future (/srv/backup/mairie-2026-12-07.tar.gz, ") == true)
        // Its size is not judged either: the real newest copy's is.
        let size = try #require(await check.run(try fixture.context()).first { $0.code == "backup.size" })
        #expect(size.evidence["newest"] == "/srv/backup/mairie-2026-10-08.tar.gz")

        try fixture.file("srv/backup/mairie-2026-11-29.tar.gz", bytes: 100_000, age: 2 * Self.hour)
        let fresh = try await freshness()
        #expect(fresh.status == .warn && fresh.severity == .medium)
        #expect(fresh.evidence["newest"] == "/srv/backup/mairie-2026-11-29.tar.gz")
        #expect(fresh.reason?.contains("dated in the future") == true)

        try FileManager.default.removeItem(atPath: fixture.directory.url("srv/backup/mairie-2026-10-08.tar.gz"))
        try FileManager.default.removeItem(atPath: fixture.directory.url("srv/backup/mairie-2026-11-29.tar.gz"))
        let onlyFuture = try await freshness()
        #expect(onlyFuture.status == .error && onlyFuture.severity == .high)
        #expect(onlyFuture.reason?.hasPrefix("no credibly dated copy, their age cannot be judged: 1 copy(ies) dated in the future") == true)
    }

    /// A glob matching 100,000 files is measured whole under the default bound, and stops at a lower
    /// `maximum_files` with `error` results that say why.
    @Test func globOfOneHundredThousandFilesIsBounded() async throws {
        let fixture = try BackupFixture(now: Date().addingTimeInterval(30 * 86_400))
        let folder = try fixture.directory.makeDirectory("srv/backup/many")
        for index in 0..<100_000 {
            let descriptor = open("\(folder)/dump-\(index).sql.gz", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            #expect(descriptor >= 0)
            close(descriptor)
        }
        try fixture.file("srv/backup/many/readme.txt", bytes: 10, age: 40 * Self.day)
        let whole = try F.check(#"{"discover": false, "sets": [{"name": "many", "kind": "pgdump", "path": "/srv/backup/many/*.sql.gz"}]}"#)
        let results = await whole.run(try fixture.context())
        let present = try #require(results.first { $0.code == "backup.present" })
        #expect(present.status == .pass)
        #expect(present.evidence["count"] == 100_000)
        // The files were made now, the clock is 30 days ahead: stale, and empty.
        #expect(results.first { $0.code == "backup.freshness" }?.status == .fail)
        #expect(results.first { $0.code == "backup.size" }?.status == .fail)

        let bounded = try F.check(#"{"discover": false, "maximum_files": 1000, "sets": [{"name": "many", "kind": "pgdump", "path": "/srv/backup/many/*.sql.gz"}]}"#)
        let partial = await bounded.run(try fixture.context())
        let freshness = try #require(partial.first { $0.code == "backup.freshness" })
        #expect(freshness.status == .error)
        #expect(freshness.reason?.contains("the walk stopped at the file limit (maximum_files)") == true)
        #expect(freshness.evidence["truncatedAt"] == 1000)
        let size = try #require(partial.first { $0.code == "backup.size" })
        #expect(size.status == .error)
        #expect(partial.first { $0.code == "backup.present" }?.evidence["count"] == 1000)
    }

    /// Copies on another filesystem than the data pass; on the same one they warn. Uses the live
    /// root: /dev/shm (tmpfs) and the temporary folder are different filesystems.
    @Test func separateStorageComparesDevices() async throws {
        let data = try TemporaryDirectory(prefix: "cyberctl-data")
        var shmInfo = stat()
        var tmpInfo = stat()
        #expect(stat("/dev/shm", &shmInfo) == 0 && stat(data.path, &tmpInfo) == 0)
        try #require(shmInfo.st_dev != tmpInfo.st_dev, "/dev/shm and \(data.path) must be different filesystems for this test")
        let elsewhere = "/dev/shm/cyberctl-backup-\(getpid())"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try Data("copy".utf8).write(to: URL(fileURLWithPath: elsewhere + "/data.tar"))
        try data.write("local/data.tar", "copy")
        let check = try F.check("""
            {"discover": false, "sets": [
              {"name": "elsewhere", "kind": "files", "path": "\(elsewhere)", "protects": ["\(data.path)"]},
              {"name": "same", "kind": "files", "path": "\(data.path)/local", "protects": ["\(data.path)"]}]}
            """)
        let results = await check.run(CheckContext(root: .system, clock: .system))
        let separate = try #require(results.first { $0.target == elsewhere && $0.code == "backup.separate-storage" })
        #expect(separate.status == .pass)
        #expect(separate.evidence["protectedDataKnown"] == true)
        // On a live system the filesystems are named from /proc/self/mountinfo.
        guard case .object(let filesystem)? = separate.evidence["backupFilesystem"] else {
            Issue.record("no backupFilesystem in \(separate.evidence)")
            return
        }
        #expect(filesystem["type"] == "tmpfs")
        #expect(filesystem["mountPoint"] == "/dev/shm")
        let same = try #require(results.first { $0.target == data.path + "/local" && $0.code == "backup.separate-storage" })
        #expect(same.status == .warn)
        #expect(same.evidence["sameDeviceAs"] == .strings([data.path]))
    }

    /// `backup.job-status` from captured `systemctl show` output, through a stand-in systemctl on
    /// the allowlist that records its arguments (the query must be `show`, never a start).
    @Test func jobStatusReadsSystemctlShow() async throws {
        let fixture = try BackupFixture()
        try fixture.file("srv/backup/pg/db-1.dump", bytes: 10, age: Self.hour)
        let captured: [String: String] = [
            "pg-ok.service": """
                Id=pg-ok.service
                LoadState=loaded
                ActiveState=inactive
                SubState=dead
                Result=success
                ExecMainStatus=0
                ExecMainCode=1
                ExecMainStartTimestamp=Sun 2026-11-29 02:00:01 UTC
                ExecMainExitTimestamp=Sun 2026-11-29 02:03:12 UTC
                """,
            "pg-failed.service": """
                Id=pg-failed.service
                LoadState=loaded
                ActiveState=failed
                SubState=failed
                Result=exit-code
                ExecMainStatus=1
                ExecMainCode=1
                ExecMainStartTimestamp=Sun 2026-11-29 02:00:01 UTC
                ExecMainExitTimestamp=Sun 2026-11-29 02:00:02 UTC
                """,
            "pg-never.service": """
                Id=pg-never.service
                LoadState=loaded
                ActiveState=inactive
                SubState=dead
                Result=success
                ExecMainStatus=0
                ExecMainCode=0
                ExecMainStartTimestamp=
                ExecMainExitTimestamp=
                """,
            "pg-gone.service": """
                Id=pg-gone.service
                LoadState=not-found
                ActiveState=inactive
                SubState=dead
                Result=success
                ExecMainStatus=0
                ExecMainStartTimestamp=
                """,
        ]
        let work = try TemporaryDirectory(prefix: "cyberctl-systemctl")
        for (unit, text) in captured { try work.write("show/\(unit)", text + "\n") }
        let fake = try work.write("bin/systemctl", """
            #!/bin/sh
            echo "$@" >> \(work.path)/calls
            for last; do :; done
            cat "\(work.path)/show/$last"
            """, mode: 0o755)
        var check = try F.check("""
            {"discover": false, "sets": [{"name": "pg", "kind": "pgdump", "path": "/srv/backup/pg",
              "unit": ["pg-ok.service", "pg-failed.service", "pg-never.service", "pg-gone.service"]}]}
            """)
        check.programs.systemctl = fake
        check.programs.queryJobsOnImages = true
        let results = await check.run(try fixture.context(commands: CommandRunner(allowlist: [fake])))
        let jobs = F.table(results.filter { $0.code == "backup.job-status" })
        #expect(jobs == [
            "pg-ok.service backup.job-status": "pass/high",
            "pg-failed.service backup.job-status": "fail/high",
            "pg-never.service backup.job-status": "skip/high",
            "pg-gone.service backup.job-status": "error/high",
        ])
        let failed = try #require(results.first { $0.target == "pg-failed.service" })
        #expect(failed.evidence["result"] == "exit-code")
        #expect(failed.evidence["execMainStatus"] == 1)
        #expect(failed.evidence["setTarget"] == "/srv/backup/pg")
        let calls = try String(contentsOfFile: work.url("calls"), encoding: .utf8).split(separator: "\n")
        #expect(calls.count == 4)
        for call in calls {
            #expect(call.hasPrefix("show --no-pager --property=Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,ExecMainCode,ExecMainStartTimestamp,ExecMainExitTimestamp -- pg-"))
        }

        // On an audited image the units are not queried: the status is not checked, and says so.
        var image = check
        image.programs.queryJobsOnImages = false
        let imageResults = await image.run(try fixture.context(commands: CommandRunner(allowlist: [fake])))
        for result in imageResults where result.code == "backup.job-status" {
            #expect(result.status == .skip)
            #expect(result.reason == "audited image (--root): unit files read only, job status not checked")
        }
        #expect(try String(contentsOfFile: work.url("calls"), encoding: .utf8).split(separator: "\n").count == 4)
    }

    /// Profile errors name the key and what was expected.
    @Test func malformedDeclarationsAreRejected() throws {
        func message(_ json: String) -> String {
            do {
                _ = try F.check(json)
                return "accepted"
            } catch {
                return String(describing: error)
            }
        }
        #expect(message(#"{"sets": [{"name": "a", "kind": "tape", "path": "/x"}]}"#).contains("expected one of files, restic, borg, vzdump, rsnapshot, pgdump, got \"tape\""))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "max_age": "soon"}]}"#).contains("expected a duration like 26h, 7d (7j) or 1d12h"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "min_size": "big"}]}"#).contains("expected a size like 1M"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "x"}]}"#).contains("expected an absolute path"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "colour": "red"}]}"#).contains("unknown key \"colour\" in backup set"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "password_file": "/p"}]}"#).contains("password_file applies to restic and borg sets only"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "last_restore_test": "hier"}]}"#).contains("expected a date like 2026-06-01"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "offline_copy": {"last": "2026-01-01", "kind": "cloud"}}]}"#).contains("expected offline or immutable"))
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x"}, {"name": "a", "kind": "files", "path": "/y"}]}"#).contains("two sets are named \"a\""))
        #expect(message(#"{"default_max_age": "0h"}"#).contains("expected a duration"))
        #expect(message(#"{"sets": [{"name": "r", "kind": "restic", "path": "sftp:nas:/restic"}]}"#) == "accepted")
        // `host:` names whose snapshots count: restic and Borg only, a name or a list of names.
        #expect(message(#"{"sets": [{"name": "a", "kind": "files", "path": "/x", "host": "srv"}]}"#).contains("host applies to restic and borg sets only"))
        #expect(message(#"{"sets": [{"name": "r", "kind": "borg", "path": "/x", "host": "srv mairie"}]}"#).contains("expected a host name as restic or Borg records it"))
        #expect(message(#"{"sets": [{"name": "r", "kind": "borg", "path": "/x", "host": ["srv-mairie", "srv-mairie-old"]}]}"#) == "accepted")
        #expect(try F.check(#"{"sets": [{"name": "r", "kind": "restic", "path": "/x", "host": "nas-mairie"}]}"#).sets.first?.hosts == ["nas-mairie"])
    }

    /// Host names as restic (kernel name, maybe fully qualified) and Borg (`hostname --short`) record
    /// them, against the audited system's name.
    @Test func hostNamesMatchAsBackupToolsRecordThem() throws {
        #expect(AuditedHostName.matches("srv-mairie", ["SRV-MAIRIE.plouzane.fr"]))
        // A fully qualified recorded name matches a short name of ours only in one of our domains.
        #expect(!AuditedHostName.matches("srv-mairie.plouzane.fr", ["srv-mairie"]))
        #expect(AuditedHostName.matches("srv-mairie.plouzane.fr", ["srv-mairie"], domains: ["plouzane.fr"]))
        #expect(AuditedHostName.matches("srv-mairie.plouzane.fr.", ["srv-mairie"], domains: ["Plouzane.FR"]))
        #expect(!AuditedHostName.matches("srv-mairie.locmaria.fr", ["srv-mairie"], domains: ["plouzane.fr"]))
        #expect(AuditedHostName.matches("Srv-Mairie", ["srv-mairie"]))
        #expect(!AuditedHostName.matches("srv-mairie.plouzane.fr", ["srv-mairie.brest.fr"]))
        #expect(!AuditedHostName.matches("srv", ["srv-mairie"]))
        #expect(!AuditedHostName.matches("", ["srv-mairie"]))
        // An image's /etc/hostname (comments and blank lines skipped, hostname(5)); none: unknown.
        let fixture = try F()
        try fixture.directory.write("etc/hostname", "# posé par l'installateur\n\n  srv-mairie  \n")
        #expect(AuditedHostName.name(root: try FileSystemRoot(fixture.root)) == "srv-mairie")
        let empty = try F()
        try empty.folder("etc")
        #expect(AuditedHostName.name(root: try FileSystemRoot(empty.root)) == nil)
    }

    /// This host's domains come from its own files (hostname -f and the resolver's sources), each
    /// named; another host's line in /etc/hosts gives none.
    @Test func hostDomainsComeFromTheSystemsFiles() throws {
        let fixture = try F()
        try fixture.directory.write("etc/hostname", "mairie\n")
        try fixture.directory.write("etc/hosts", """
            127.0.0.1\tlocalhost
            127.0.1.1\tmairie.locmaria.fr mairie  # posé par l'installateur
            10.0.0.5\tnas.interco.fr nas
            """)
        try fixture.directory.write("etc/resolv.conf", "domain locmaria.fr\nsearch mairie.locmaria.fr interco.fr\nnameserver 10.0.0.1\n")
        let root = try FileSystemRoot(fixture.root)
        #expect(AuditedHostName.domains(of: "mairie", root: root) == [
            .init(name: "locmaria.fr", source: "/etc/hosts"),
            .init(name: "mairie.locmaria.fr", source: "/etc/resolv.conf search"),
            .init(name: "interco.fr", source: "/etc/resolv.conf search"),
        ])
        #expect(AuditedHostName.domains(of: "mairie.brest.fr", root: root).first == .init(name: "brest.fr", source: "host name"))
        let bare = try F()
        try bare.directory.write("etc/hostname", "mairie.plouzane.fr\n")
        #expect(AuditedHostName.domains(of: "mairie", root: try FileSystemRoot(bare.root)) == [.init(name: "plouzane.fr", source: "/etc/hostname")])
        let none = try F()
        try none.directory.write("etc/hosts", "10.0.0.5 nas.interco.fr nas\n")
        #expect(AuditedHostName.domains(of: "mairie", root: try FileSystemRoot(none.root)).isEmpty)
    }

    @Test func unitsParse() {
        #expect(BackupUnits.duration("26h") == TimeInterval(93_600))
        #expect(BackupUnits.duration("7d") == TimeInterval(604_800))
        #expect(BackupUnits.duration("1d12h") == TimeInterval(129_600))
        #expect(BackupUnits.duration("90m") == 5400)
        #expect(BackupUnits.duration("2w") == TimeInterval(1_209_600))
        #expect(BackupUnits.duration("26") == nil)
        #expect(BackupUnits.duration("h") == nil)
        #expect(BackupUnits.size("0") == 0)
        #expect(BackupUnits.size("1K") == 1024)
        #expect(BackupUnits.size("500MB") == 500 * 1024 * 1024)
        #expect(BackupUnits.size("2GiB") == 2 * 1024 * 1024 * 1024)
        #expect(BackupUnits.size("1.5M") == 1_572_864)
        #expect(BackupUnits.size("12 B") == 12)
        #expect(BackupUnits.size("lots") == nil)
        #expect(BackupUnits.date("2026-06-01") == Date(timeIntervalSince1970: 1_780_272_000))
        #expect(abs((BackupUnits.rfc3339("2026-11-29T08:30:12.123456789+01:00")?.timeIntervalSince1970 ?? 0) - 1_795_937_412.123456789) < 1e-5)
        #expect(BackupUnits.rfc3339("2026-11-29T07:30:12Z") == Date(timeIntervalSince1970: 1_795_937_412))
        #expect(BackupUnits.rfc3339("2026-13-29T07:30:12Z") == nil)
        #expect(BackupUnits.rfc3339("yesterday") == nil)
    }
}
