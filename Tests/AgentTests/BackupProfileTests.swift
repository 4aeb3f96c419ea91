import Agent
import Checks
import Foundation
import Model
import Testing
import TestSupport

/// `backup.sets` declared in YAML profiles: the shipped examples parse once uncommented, and
/// mistakes are errors with the file, the line and what was expected.
@Suite struct BackupProfileTests {
    static func parse(_ text: String) throws(InputError) -> Profile {
        try Profile.parse(bytes: Array(text.utf8), file: "/p/backups.yaml")
    }

    @Test func shippedExamplesParseWhenUncommented() throws {
        for name in ["commune", "interco"] {
            let text = try String(contentsOfFile: BuiltBinary.packageRoot + "/Profiles/\(name).yaml", encoding: .utf8)
            // Uncomment the example lines of the backup.sets section (`    # sets:` and below).
            var lines: [String] = []
            var inExample = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("    # sets:") { inExample = true }
                if inExample, line.hasPrefix("    # ") {
                    lines.append("    " + line.dropFirst(6))
                } else {
                    lines.append(line)
                }
            }
            let profile = try Self.parse(lines.joined(separator: "\n"))
            let check = try #require(profile.checks.compactMap { $0 as? BackupSetsCheck }.first, "\(name)")
            #expect(check.sets.count == 2, "\(name)")
        }
    }

    @Test func declarationsReachTheCheck() throws {
        let profile = try Self.parse("""
            name: t
            checks:
              backup.sets:
                discover: false
                offline_copy: {last: 2026-11-15, kind: offline, location: coffre}
                sets:
                  - name: Dumps
                    kind: pgdump
                    path: /srv/backup/pg/*.dump
                    max_age: 1d12h
                    min_size: 1M
                    expected_count: 7
                    protects: [/var/lib/postgresql]
                    unit: pg-backup.service
                    encryption: false
                    last_restore_test: 2026-06-01
            """)
        let check = try #require(profile.checks.first as? BackupSetsCheck)
        let set = try #require(check.sets.first)
        #expect(set.kind == .pgdump)
        #expect(set.maximumAge == TimeInterval(129_600))
        #expect(set.minimumBytes == 1 << 20)
        #expect(set.expectedCount == 7)
        #expect(set.units == ["pg-backup.service"])
        #expect(set.encryption == "aucun")
        #expect(set.lastRestoreTest == BackupUnits.date("2026-06-01"))
        #expect(check.offlineCopy == OfflineCopyDeclaration(present: true, last: BackupUnits.date("2026-11-15"), kind: "offline", location: "coffre"))
        #expect(check.discover == false)
    }

    @Test func mistakesNameTheLine() {
        func failure(_ text: String) -> InputError? {
            do {
                _ = try Self.parse(text)
                return nil
            } catch {
                return error
            }
        }
        let badAge = failure("""
            name: t
            checks:
              backup.sets:
                sets:
                  - name: a
                    kind: files
                    path: /srv/backup
                    max_age: demain
            """)
        #expect(badAge?.line == 8)
        #expect(badAge?.description(in: .en).contains("expected a duration like 26h, 7d (7j) or 1d12h, units s, min, h, d (j), w (sem), got \"demain\"") == true, "\(String(describing: badAge))")
        let unknown = failure("""
            name: t
            checks:
              backup.sets:
                sets:
                  - name: a
                    kind: files
                    path: /srv/backup
                    retention: 7
            """)
        #expect(unknown?.line == 8)
        #expect(unknown?.description(in: .en).contains("unknown key \"retention\" in backup set") == true, "\(String(describing: unknown))")
        let unknownParameter = failure("name: t\nchecks:\n  backup.sets:\n    paths: [/x]\n")
        #expect(unknownParameter?.line == 4)
        #expect(unknownParameter?.description(in: .en).contains("expected one of: sets, discover, folders") == true)
    }
}
