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
        #expect(table.stdout.contains("Fraîcheur de la dernière sauvegarde — /backup (dernière copie il y a 12 d, maximum 26 h)"), "\(table.stdout)")
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
    }
}
