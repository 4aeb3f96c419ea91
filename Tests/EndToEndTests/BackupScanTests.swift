import Foundation
import Testing
import TestSupport

/// `cyberctl scan --root DIR --only backups` on fixture images, as a technician would run it.
@Suite(.serialized) struct BackupScanTests {
    static func setTime(_ path: String, age: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
    }

    static func results(_ file: String) throws -> [[String: Any]] {
        let report = try ScanCommandTests.json(try Data(contentsOf: URL(fileURLWithPath: file)))
        return try #require(report["results"] as? [[String: Any]])
    }

    static func find(_ results: [[String: Any]], _ target: String, _ code: String) -> [String: Any]? {
        results.first { $0["target"] as? String == target && $0["code"] as? String == code }
    }

    @Test func imageWithACronDumpAndAStaleFolder() throws {
        let directory = try TemporaryDirectory()
        let image = try directory.makeDirectory("image")
        try directory.write("image/etc/hostname", "srv-mairie\n")
        try directory.write("image/etc/cron.d/pgdump", "15 23 * * * postgres pg_dump -Fc etat_civil > /srv/backup/pg/etat_civil-$(date +\\%F).dump\n")
        let fresh = try directory.write("image/srv/backup/pg/etat_civil-2026-11-29.dump", String(repeating: "x", count: 4096))
        try Self.setTime(fresh, age: 3 * 3600)
        let older = try directory.write("image/srv/backup/pg/etat_civil-2026-11-28.dump", String(repeating: "x", count: 4000))
        try Self.setTime(older, age: 27 * 3600)
        let stale = try directory.write("image/backup/manuel.tar.gz", "archive")
        try Self.setTime(stale, age: 12 * 86_400)
        try directory.write("image/etc/systemd/system/sauvegarde.service", "[Service]\nExecStart=/usr/bin/restic -r /srv/restic backup /srv/partage\n")
        try directory.write("image/srv/restic/config", "x")
        let snapshot = try directory.write("image/srv/restic/snapshots/aaaa", "s")
        try Self.setTime(snapshot, age: 3600)
        try directory.write("image/srv/restic/data/00/00aa", String(repeating: "p", count: 100))
        let out = directory.url("report.json")
        let output = try BuiltBinary.run(["scan", "--root", image, "--only", "backups", "--format", "json", "--out", out, "--lang", "en"])
        // A stale usual folder is a high finding.
        #expect(output.exitCode == 1, "stderr: \(output.stderr)")
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
        let results = try Self.results(out)
        #expect(results.allSatisfy { $0["check"] as? String == "backup.sets" })
        #expect(Self.find(results, "/srv/backup/pg", "backup.freshness")?["status"] as? String == "pass")
        #expect(Self.find(results, "/srv/backup/pg", "backup.size")?["status"] as? String == "pass")
        #expect(Self.find(results, "/backup", "backup.freshness")?["status"] as? String == "fail")
        #expect(Self.find(results, "/srv/restic", "backup.present")?["status"] as? String == "pass")
        // On an image the job's result is not read, and the report says why.
        let job = try #require(Self.find(results, "sauvegarde.service", "backup.job-status"))
        #expect(job["status"] as? String == "skip")
        #expect(job["reason"] as? String == "audited image (--root): unit files read only, job status not checked")
        let report = try ScanCommandTests.json(try Data(contentsOf: URL(fileURLWithPath: out)))
        let summary = try #require(report["summary"] as? [String: Any])
        #expect((summary["domains"] as? [String: Any])?["backups"] != nil)

        // The terminal table, in French by default, says the age against the maximum.
        let table = try BuiltBinary.run(["scan", "--root", image, "--only", "backups", "--out", directory.url("t.json")])
        #expect(table.stdout.contains("Sauvegardes"))
        #expect(table.stdout.contains("Fraîcheur de la dernière sauvegarde — /backup (dernière copie il y a 12 j, maximum 26 h)"), "\(table.stdout)")
    }

    @Test func emptyImageIsOneHighFailure() throws {
        let directory = try TemporaryDirectory()
        let image = try directory.makeDirectory("image")
        try directory.makeDirectory("image/etc")
        let out = directory.url("report.json")
        let output = try BuiltBinary.run(["scan", "--root", image, "--only", "backups", "--format", "json", "--out", out])
        #expect(output.exitCode == 1)
        let results = try Self.results(out)
        #expect(results.count == 1)
        #expect(results.first?["code"] as? String == "backup.present")
        #expect(results.first?["status"] as? String == "fail")
        #expect(results.first?["severity"] as? String == "high")
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
    }

    /// Folders the agent cannot read give `error` results with the reason, never a pass or a fail
    /// it did not verify. Root reads everything, so the scan runs as `nobody` (setpriv).
    @Test func unreadableFoldersAreErrorsWithReasons() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let image = try directory.makeDirectory("image")
        // A set that is entirely unreadable.
        try directory.write("image/srv/backup/locked/db.dump", "x")
        // A set whose readable part is old while an unreadable subfolder may hold newer copies.
        let old = try directory.write("image/srv/backup/mixed/old.dump", "x")
        try Self.setTime(old, age: 10 * 86_400)
        try directory.write("image/srv/backup/mixed/recent/new.dump", "x")
        try directory.write("image/etc/cyberctl/p.yaml", """
            name: t
            checks:
              backup.sets:
                discover: false
                sets:
                  - {name: locked, kind: files, path: /srv/backup/locked}
                  - {name: mixed, kind: files, path: /srv/backup/mixed}
            """)
        for folder in ["image/srv/backup/locked", "image/srv/backup/mixed/recent"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: directory.url(folder))
        }
        defer {
            for folder in ["image/srv/backup/locked", "image/srv/backup/mixed/recent"] {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url(folder))
            }
        }
        let outFolder = try directory.makeDirectory("out")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outFolder)
        let out = outFolder + "/report.json"
        let output = try Command.run("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", try BuiltBinary.path, "scan", "--root", image,
            "--profile", directory.url("image/etc/cyberctl/p.yaml"), "--format", "json", "--out", out,
        ], currentDirectory: outFolder)
        #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
        let results = try Self.results(out)
        let locked = try #require(Self.find(results, "/srv/backup/locked", "backup.present"))
        #expect(locked["status"] as? String == "error")
        #expect(locked["reason"] as? String == "no copy found, but 1 part(s) could not be read: /srv/backup/locked: permission denied")
        let mixed = try #require(Self.find(results, "/srv/backup/mixed", "backup.freshness"))
        #expect(mixed["status"] as? String == "error")
        #expect((mixed["reason"] as? String)?.hasSuffix("but 1 part(s) could not be read: /srv/backup/mixed/recent: permission denied") == true, "\(mixed)")
        #expect(Self.find(results, "/srv/backup/mixed", "backup.present")?["status"] as? String == "pass")
        // The newest copy may be in the folder not read: the readable one's size proves nothing.
        let size = try #require(Self.find(results, "/srv/backup/mixed", "backup.size"))
        #expect(size["status"] as? String == "error")
        #expect((size["reason"] as? String)?.hasSuffix("the newest may be elsewhere: 1 part(s) could not be read: /srv/backup/mixed/recent: permission denied") == true, "\(size)")
    }

    /// Runs borg as host `host` (a UTS namespace of its own: Borg records `socket.gethostname()`),
    /// or as this machine when `host` is nil.
    static func borg(_ arguments: [String], home: String, host: String?) throws {
        let environment = ["BORG_PASSPHRASE": "mot de passe", "BORG_BASE_DIR": home, "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"]
        let output = try host.map { host in
            try Command.run("/usr/bin/unshare", ["--uts", "/bin/sh", "-c", "hostname \"$0\" && exec /usr/bin/borg \"$@\"", host] + arguments, environment: environment)
        } ?? Command.run("/usr/bin/borg", arguments, environment: environment)
        guard output.exitCode == 0 else { throw TestSupportError("borg \(arguments) failed: \(output.stderr)") }
    }

    /// An image with a Borg repository at /srv/borg, declared with its passphrase file (max 26 h).
    static func borgImage(_ directory: TemporaryDirectory, archives: [(name: String, host: String?, age: TimeInterval?)]) throws -> String {
        let image = try directory.makeDirectory("image")
        try directory.write("image/etc/hostname", "srv-mairie\n")
        try directory.write("image/etc/cyberctl/borg.pass", "mot de passe\n", mode: 0o600)
        try directory.write("image/srv/partage/registre.txt", String(repeating: "naissance;mariage;décès\n", count: 200))
        try directory.write("image/etc/cyberctl/p.yaml", """
            name: t
            checks:
              backup.sets:
                discover: false
                sets:
                  - {name: borg, kind: borg, path: /srv/borg, max_age: 26h, password_file: /etc/cyberctl/borg.pass}
            """)
        let repository = directory.url("image/srv/borg")
        let home = try directory.makeDirectory("borg-home")
        try Self.borg(["init", "--encryption=repokey", repository], home: home, host: "srv-mairie")
        for archive in archives {
            var arguments = ["create"]
            if let age = archive.age {
                arguments += ["--timestamp", String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-age)).dropLast())]
            }
            try Self.borg(arguments + ["\(repository)::\(archive.name)", directory.url("image/srv/partage")], home: home, host: archive.host)
        }
        return image
    }

    /// Borg 1.x prints archive times without an offset, in its own zone. The verdict and the UTC
    /// time in the evidence must not depend on cyberctl's `TZ` nor on the system zone borg would use
    /// (/etc/localtime: the zone file it names is replaced by a bind mount in a mount namespace of
    /// the run's own, so even the UTC zone file lies there): an archive 25.5 hours old against a
    /// 26-hour maximum passes in every combination of Paris and New York.
    @Test func borgArchiveTimesDoNotDependOnTimeZones() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.borgImage(directory, archives: [("mairie-1", "srv-mairie", 25.5 * 3600)])
        var seen: [String] = []
        for (cyberctlZone, systemZone) in [
            ("Europe/Paris", "Europe/Paris"), ("America/New_York", "America/New_York"),
            ("Europe/Paris", "America/New_York"), ("America/New_York", "Europe/Paris"),
        ] {
            let out = directory.url("report-\(seen.count).json")
            let output = try Command.run("/usr/bin/unshare", [
                "--mount", "/bin/sh", "-c", "mount --bind \"/usr/share/zoneinfo/$0\" /etc/localtime && exec \"$@\"", systemZone,
                try BuiltBinary.path, "scan", "--root", image, "--profile", directory.url("image/etc/cyberctl/p.yaml"),
                "--format", "json", "--out", out,
            ], environment: ["TZ": cyberctlZone, "PATH": "/usr/bin:/bin"])
            #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
            let results = try Self.results(out)
            let freshness = try #require(Self.find(results, "/srv/borg", "backup.freshness"))
            #expect(freshness["status"] as? String == "pass", "TZ=\(cyberctlZone), /etc/localtime=\(systemZone): \(freshness)")
            let evidence = try #require(freshness["evidence"] as? [String: Any])
            seen.append(try #require(evidence["newestAt"] as? String))
        }
        #expect(Set(seen).count == 1, "\(seen)")
        let newestAt = try #require(seen.first.flatMap { ISO8601DateFormatter().date(from: $0) })
        #expect(abs(Date().timeIntervalSince(newestAt) - 25.5 * 3600) < 600)
    }

    /// With `--root`, "this host" is the image's /etc/hostname, not the machine running cyberctl: a
    /// fresh archive this machine made in the same repository does not make the image's stale one pass.
    @Test func onAnImageOnlyTheImagesArchivesCount() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.borgImage(directory, archives: [("mairie-1", "srv-mairie", 3 * 86_400), ("ici-1", nil, nil)])
        let out = directory.url("report.json")
        let output = try BuiltBinary.run([
            "scan", "--root", image, "--profile", directory.url("image/etc/cyberctl/p.yaml"), "--format", "json", "--out", out, "--lang", "en",
        ])
        #expect(output.exitCode == 1, "stderr: \(output.stderr)")
        let results = try Self.results(out)
        let freshness = try #require(Self.find(results, "/srv/borg", "backup.freshness"))
        #expect(freshness["status"] as? String == "fail", "\(freshness)")
        let present = try #require(Self.find(results, "/srv/borg", "backup.present"))
        let evidence = try #require(present["evidence"] as? [String: Any])
        #expect(evidence["thisHost"] as? [String] == ["srv-mairie"])
        #expect(evidence["latestArchive"] as? String == "mairie-1")
        #expect(evidence["otherHostsCopies"] as? Int == 1)
    }

    /// Discovery inputs and sets the agent cannot read are "could not look" (`error` with the file
    /// and the reason), not "no backup": run as `nobody` (setpriv), since root reads everything.
    @Test func unreadableDiscoveryInputsAreErrors() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let outFolder = try directory.makeDirectory("out")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outFolder)
        func scan(_ image: String, profile: String? = nil, only: [String] = ["backups"]) throws -> [[String: Any]] {
            let out = outFolder + "/report-\(UUID().uuidString).json"
            var arguments = [try BuiltBinary.path, "scan", "--root", image, "--format", "json", "--out", out, "--lang", "en"]
            if let profile { arguments += ["--profile", profile] } else { arguments += ["--only"] + only }
            let output = try Command.run(
                "/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups"] + arguments, currentDirectory: outFolder)
            #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
            return try Self.results(out)
        }
        var locked: [String] = []
        defer { for path in locked { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) } }
        func lock(_ path: String, mode: Int = 0o700) throws {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            locked.append(path)
        }

        // 1. The unit folder cannot be listed: a backup job in it would be missed.
        let first = try directory.makeDirectory("first")
        try directory.write("first/etc/systemd/system/sauvegarde.service", "[Service]\nExecStart=/usr/bin/restic -r /srv/restic backup /srv\n")
        try lock(directory.url("first/etc/systemd/system"))
        let firstResults = try scan(first)
        #expect(firstResults.count == 1)
        let notLooked = try #require(Self.find(firstResults, "backup.sets", "backup.present"))
        #expect(notLooked["status"] as? String == "error", "\(notLooked)")
        #expect((notLooked["reason"] as? String)?.hasPrefix("no backup found, but discovery could not read 1 file(s) or folder(s)") == true)
        #expect((notLooked["reason"] as? String)?.hasSuffix("/etc/systemd/system: permission denied") == true, "\(notLooked)")

        // 2. A readable cron job's copies are measured; an unreadable cron table and an unreadable
        //    script a cron job runs are one more error beside them; a declared restic repository behind an unreadable folder and an rsnapshot
        //    root that cannot be listed are errors, not "absent" or "empty".
        let second = try directory.makeDirectory("second")
        try directory.write("second/etc/cron.d/pgdump", "15 23 * * * postgres pg_dump -Fc etat_civil > /srv/backup/pg/etat_civil-$(date +\\%F).dump\n")
        try Self.setTime(try directory.write("second/srv/backup/pg/etat_civil-2026-11-29.dump", String(repeating: "x", count: 4096)), age: 3600)
        try directory.write("second/etc/cron.d/restic", "0 1 * * * root restic -r /srv/restic backup /srv\n")
        try lock(directory.url("second/etc/cron.d/restic"), mode: 0o600)
        try directory.write("second/etc/cron.d/script", "0 2 * * * root /usr/local/sbin/sauvegarde.sh\n")
        try directory.write("second/usr/local/sbin/sauvegarde.sh", "#!/bin/sh\nborg create /mnt/nas/borg::{now} /srv\n")
        try lock(directory.url("second/usr/local/sbin/sauvegarde.sh"))
        try directory.write("second/srv/coffre/restic/config", "x")
        try lock(directory.url("second/srv/coffre"))
        try directory.write("second/srv/rsnapshot/daily.0/etc/passwd", "x")
        try lock(directory.url("second/srv/rsnapshot"))
        try directory.write("second/etc/cyberctl/p.yaml", """
            name: t
            checks:
              backup.sets:
                sets:
                  - {name: coffre, kind: restic, path: /srv/coffre/restic}
                  - {name: rsnapshot, kind: rsnapshot, path: /srv/rsnapshot}
              org.nis2:
                answers: /etc/cyberctl/nis2-answers.yaml
            """)
        // 3. An answers file the agent cannot read.
        try directory.write("second/etc/cyberctl/nis2-answers.yaml", "answers: {}\n")
        try lock(directory.url("second/etc/cyberctl/nis2-answers.yaml"), mode: 0o600)
        let secondResults = try scan(second, profile: directory.url("second/etc/cyberctl/p.yaml"))
        #expect(Self.find(secondResults, "/srv/backup/pg", "backup.freshness")?["status"] as? String == "pass")
        let cron = try #require(Self.find(secondResults, "backup.sets", "backup.present"))
        #expect(cron["status"] as? String == "error")
        #expect(cron["reason"] as? String == "discovery could not read 2 file(s) or folder(s), where a backup job would be missed: "
            + "/etc/cron.d/restic: permission denied; /usr/local/sbin/sauvegarde.sh: permission denied")
        let coffre = try #require(Self.find(secondResults, "/srv/coffre/restic", "backup.present"))
        #expect(coffre["status"] as? String == "error", "\(coffre)")
        #expect(coffre["reason"] as? String == "/srv/coffre/restic: permission denied")
        let rsnapshot = try #require(Self.find(secondResults, "/srv/rsnapshot", "backup.present"))
        #expect(rsnapshot["status"] as? String == "error", "\(rsnapshot)")
        #expect(rsnapshot["reason"] as? String == "/srv/rsnapshot: permission denied")
        let answers = try #require(Self.find(secondResults, "/etc/cyberctl/nis2-answers.yaml", "org.nis2.answers"))
        #expect(answers["status"] as? String == "error")
        #expect(answers["reason"] as? String == "/etc/cyberctl/nis2-answers.yaml: permission denied")

        // 4. Everything readable and no backup anywhere: a fail, not a skip nor an error.
        let third = try directory.makeDirectory("third")
        try directory.write("third/etc/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n")
        try directory.write("third/etc/crontab", "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n")
        let thirdResults = try scan(third)
        #expect(thirdResults.count == 1)
        #expect(Self.find(thirdResults, "backup.sets", "backup.present")?["status"] as? String == "fail")
        #expect(Self.find(thirdResults, "backup.sets", "backup.present")?["reason"] == nil)
    }
}
