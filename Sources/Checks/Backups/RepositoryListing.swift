import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Lists the snapshots of a restic repository or the archives of a Borg repository with the
/// tools themselves, read-only: `restic --no-lock --no-cache … snapshots --json` (no lock file
/// written in the repository, no cache written on the host) and `borg list --json --bypass-lock`.
/// The programs are run through the allowlisted `CommandRunner`, with a timeout.
struct RepositoryListing {
    let commands: CommandRunner
    let root: FileSystemRoot
    let restic: String
    let borg: String
    /// Seconds each program may run.
    let timeout: Double

    /// One restic snapshot as `restic snapshots --json` prints it (restic 0.9 and later; `summary`
    /// since 0.17).
    struct ResticSnapshot: Decodable {
        let time: String
        let id: String
        let hostname: String?
        let paths: [String]?
        let summary: Summary?
        struct Summary: Decodable {
            let totalBytesProcessed: Int?
            let totalFilesProcessed: Int?
            enum CodingKeys: String, CodingKey {
                case totalBytesProcessed = "total_bytes_processed"
                case totalFilesProcessed = "total_files_processed"
            }
        }
    }

    /// `restic stats --json --mode restore-size <id>`.
    struct ResticStats: Decodable {
        let totalSize: Int
        let totalFileCount: Int?
        enum CodingKeys: String, CodingKey {
            case totalSize = "total_size"
            case totalFileCount = "total_file_count"
        }
    }

    /// The repository location and password file as restic on this machine sees them.
    func resticArguments(_ location: String, passwordFile: String) -> [String] {
        let repository = location.hasPrefix("/") ? root.hostPath(location) : location.hasPrefix("local:") ? root.hostPath(String(location.dropFirst(6))) : location
        return ["--repo", repository, "--password-file", root.hostPath(passwordFile), "--no-lock", "--no-cache", "--quiet"]
    }

    /// Fills `measurement` from the snapshot list; on failure sets `failure` with restic's message.
    func restic(_ set: BackupSet, passwordFile: String, into measurement: inout BackupMeasurement) async {
        measurement.method = "restic snapshots --json"
        let base = resticArguments(set.remote ?? set.path, passwordFile: passwordFile)
        let output: CommandRunner.Output
        do {
            output = try await commands.run(restic, base + ["--json", "snapshots"], timeout: timeout)
        } catch {
            measurement.failure = "snapshot list not read: \(error)"
            return
        }
        guard output.exitCode == 0 else {
            measurement.failure = "restic snapshots failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))"
            return
        }
        let snapshots: [ResticSnapshot]
        do {
            snapshots = try JSONDecoder().decode([ResticSnapshot].self, from: Data(output.standardOutput.utf8))
        } catch {
            measurement.failure = "restic snapshots printed JSON cyberctl cannot read: \(error)"
            return
        }
        let dated = snapshots.compactMap { snapshot in BackupUnits.rfc3339(snapshot.time).map { (snapshot, $0) } }
            .sorted { $0.1 > $1.1 }
        if dated.count < snapshots.count { measurement.problem("\(snapshots.count - dated.count) snapshot time(s) could not be read") }
        measurement.count = dated.count
        measurement.snapshotListNotChecked = nil
        // The list replaces what the repository's files suggested: no snapshot means no copy.
        measurement.newest = nil
        measurement.previous = nil
        guard let (latest, latestTime) = dated.first else { return }
        measurement.details["hosts"] = .strings(Array(Set(dated.compactMap { $0.0.hostname })).sorted())
        measurement.details["latestSnapshot"] = .string(latest.id)
        measurement.details["latestPaths"] = .strings(latest.paths ?? [])
        // The previous snapshot of the same paths, for the size change.
        let previous = dated.dropFirst().first { ($0.0.paths ?? []) == (latest.paths ?? []) && $0.0.hostname == latest.hostname }
        var newestSize = latest.summary?.totalBytesProcessed
        var previousSize = previous?.0.summary?.totalBytesProcessed
        if newestSize == nil {
            newestSize = await resticStats(base, id: latest.id, into: &measurement)
            if let previous { previousSize = await resticStats(base, id: previous.0.id, into: &measurement) }
            measurement.details["sizeSource"] = "restic stats --mode restore-size"
        } else {
            measurement.details["sizeSource"] = "snapshot summary"
        }
        measurement.newest = BackupItem(path: "snapshot \(latest.id.prefix(8))", modified: latestTime, size: newestSize)
        if let previous {
            measurement.previous = BackupItem(path: "snapshot \(previous.0.id.prefix(8))", modified: previous.1, size: previousSize)
            measurement.sizeChangeNotChecked = nil
        } else {
            measurement.sizeChangeNotChecked = "no earlier snapshot of the same paths"
        }
    }

    func resticStats(_ base: [String], id: String, into measurement: inout BackupMeasurement) async -> Int? {
        do {
            let output = try await commands.run(restic, base + ["--json", "stats", "--mode", "restore-size", id], timeout: timeout)
            guard output.exitCode == 0 else {
                measurement.problem("restic stats \(id.prefix(8)) failed: \(Self.firstLine(output.standardError))")
                return nil
            }
            // restic may print progress lines before the JSON object: take the last line.
            let line = output.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            return try JSONDecoder().decode(ResticStats.self, from: Data(line.utf8)).totalSize
        } catch {
            measurement.problem("restic stats \(id.prefix(8)): \(error)")
            return nil
        }
    }

    /// `borg list --json` output.
    struct BorgList: Decodable {
        let archives: [Archive]
        struct Archive: Decodable {
            let name: String
            let time: String?
            let start: String?
        }
    }

    /// Fills `measurement` from `borg list --json --bypass-lock`. Borg reads its passphrase from
    /// the environment only, so the file's first line is passed as `BORG_PASSPHRASE` to that one
    /// process; it never reaches a report. Borg's own cache and security folders go to a private
    /// temporary folder removed afterwards, not to the host's home.
    func borg(_ set: BackupSet, passwordFile: String, into measurement: inout BackupMeasurement) async {
        measurement.method = "borg list --json"
        let passphrase: String
        do {
            let text = try root.readText(passwordFile, limit: 64 << 10)
            passphrase = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } catch {
            measurement.failure = "password file not read: \(error)"
            return
        }
        var template = Array("/tmp/cyberctl-borg-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            measurement.failure = "no private temporary folder for borg: \(String(cString: strerror(errno)))"
            return
        }
        let scratch = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let location = set.remote ?? root.hostPath(set.path)
        let output: CommandRunner.Output
        do {
            output = try await commands.run(
                borg, ["list", "--json", "--bypass-lock", location], timeout: timeout,
                environment: [
                    "BORG_PASSPHRASE": passphrase, "BORG_BASE_DIR": scratch, "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
                    "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "HOME": scratch,
                ])
        } catch {
            measurement.failure = "archive list not read: \(error)"
            return
        }
        guard output.exitCode == 0 else {
            measurement.failure = "borg list failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))"
            return
        }
        let list: BorgList
        do {
            list = try JSONDecoder().decode(BorgList.self, from: Data(output.standardOutput.utf8))
        } catch {
            measurement.failure = "borg list printed JSON cyberctl cannot read: \(error)"
            return
        }
        // Checkpoint archives are interrupted runs, not copies.
        let archives = list.archives.filter { !$0.name.hasSuffix(".checkpoint") && !$0.name.contains(".checkpoint.") }
        // Newest first; borg lists archives in creation order, which breaks ties (two archives in one second).
        let dated = archives.enumerated()
            .compactMap { index, archive in (archive.start ?? archive.time).flatMap(Self.borgTime).map { (archive, $0, index) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 > $1.2 }
            .map { ($0.0, $0.1) }
        measurement.count = dated.count
        measurement.snapshotListNotChecked = nil
        measurement.newest = nil
        if let (latest, time) = dated.first {
            measurement.newest = BackupItem(path: "archive \(latest.name)", modified: time, size: measurement.totalBytes)
            measurement.details["latestArchive"] = .string(latest.name)
        }
        measurement.sizeChangeNotChecked = "archive sizes are not compared (borg info would read every archive)"
    }

    /// Borg 1.x prints local times without an offset (`2026-11-29T02:00:03.123456`); with an
    /// offset (borg 2) it is read as RFC 3339.
    static func borgTime(_ text: String) -> Date? {
        if let date = BackupUnits.rfc3339(text) { return date }
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        let trimmed = parts.first ?? text
        // Keep the microseconds: archives made within one second must still sort by time.
        let fraction = parts.count == 2 ? (Double("0." + parts[1]) ?? 0) : 0
        guard let utc = BackupUnits.rfc3339(trimmed + "Z") else { return nil }
        // Interpret as local time on this machine.
        var seconds = time_t(utc.timeIntervalSince1970)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        fields.tm_isdst = -1
        return Date(timeIntervalSince1970: TimeInterval(mktime(&fields)) + fraction)
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
