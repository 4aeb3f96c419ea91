import FoundationEssentials

#if canImport(Glibc)
import Glibc
import Model
import NIS2
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
    /// This host's snapshots or archives dated after this are set aside as dated in the future
    /// (`futureNewest`, `futureCount`), never the newest copy; nil keeps all.
    var notAfter: Date? = nil

    /// `mine` (newest first) without the entries dated after `notAfter`, which go to `measurement`.
    /// The list replaces what the repository's files suggested, future-dated files included.
    func credible<Entry>(_ mine: [(Entry, Date)], into measurement: inout BackupMeasurement, path: (Entry) -> String) -> [(Entry, Date)] {
        measurement.futureNewest = nil
        measurement.futureCount = 0
        return mine.filter { entry in
            !measurement.setAsideIfFuture(BackupItem(path: path(entry.0), modified: entry.1, size: nil), notAfter: notAfter)
        }
    }

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

    /// Fills `measurement` from the snapshot list, counting only the snapshots of `host` (restic's
    /// `hostname` field); on failure sets `failure` with restic's message. A snapshot time or a
    /// list cyberctl cannot read is a failure, never a shorter list.
    func restic(_ set: BackupSet, passwordFile: String, host: BackupHost, into measurement: inout BackupMeasurement) async {
        measurement.method = "restic snapshots --json"
        let base = resticArguments(set.remote ?? set.path, passwordFile: passwordFile)
        let output: CommandRunner.Output
        do {
            output = try await commands.run(restic, base + ["--json", "snapshots"], timeout: timeout, environment: Self.environment)
        } catch {
            measurement.failure = LocalizedText(fr: "liste des instantanés non lue : ", en: "snapshot list not read: ") + error.localizedText
            return
        }
        guard output.exitCode == 0 else {
            measurement.failure = LocalizedText(
                fr: "restic snapshots a échoué (code \(output.exitCode)) : \(Self.firstLine(output.standardError))",
                en: "restic snapshots failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))")
            return
        }
        let snapshots: [ResticSnapshot]
        do {
            snapshots = try JSONDecoder().decode([ResticSnapshot].self, from: Data(output.standardOutput.utf8))
        } catch {
            measurement.failure = LocalizedText(
                fr: "restic snapshots a écrit un JSON que cyberctl ne sait pas lire : \(error)", en: "restic snapshots printed JSON cyberctl cannot read: \(error)")
            return
        }
        var dated: [(ResticSnapshot, Date)] = []
        for snapshot in snapshots {
            guard let time = BackupUnits.rfc3339(snapshot.time) else {
                measurement.failure = LocalizedText(
                    fr: "restic snapshots : l'instantané \(snapshot.id.prefix(8)) a une heure que cyberctl ne sait pas lire (« \(snapshot.time) »)",
                    en: "restic snapshots: snapshot \(snapshot.id.prefix(8)) has a time cyberctl cannot read (\"\(snapshot.time)\")")
                return
            }
            dated.append((snapshot, time))
        }
        dated.sort { $0.1 > $1.1 }
        guard let kept = host.keep(dated, into: &measurement, noun: LocalizedText(fr: "instantané", en: "snapshot"), host: { $0.0.hostname }) else { return }
        measurement.count = kept.count
        let mine = credible(kept, into: &measurement) { "snapshot \($0.id.prefix(8))" }
        measurement.snapshotListNotChecked = nil
        // The list replaces what the repository's files suggested: no snapshot means no copy.
        measurement.newest = nil
        measurement.previous = nil
        guard let (latest, latestTime) = mine.first else { return }
        measurement.details["latestSnapshot"] = .string(latest.id)
        measurement.details["latestPaths"] = .strings(latest.paths ?? [])
        // The previous snapshot of the same paths, for the size change.
        let previous = mine.dropFirst().first { ($0.0.paths ?? []) == (latest.paths ?? []) }
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
            measurement.sizeChangeNotChecked = LocalizedText(
                fr: "pas d'instantané antérieur des mêmes chemins venant de cet hôte", en: "no earlier snapshot of the same paths from this host")
        }
    }

    func resticStats(_ base: [String], id: String, into measurement: inout BackupMeasurement) async -> Int? {
        do {
            let output = try await commands.run(
                restic, base + ["--json", "stats", "--mode", "restore-size", id], timeout: timeout, environment: Self.environment)
            guard output.exitCode == 0 else {
                measurement.sizeFailure = measurement.sizeFailure
                    ?? LocalizedText(
                        fr: "restic stats \(id.prefix(8)) a échoué (code \(output.exitCode)) : \(Self.firstLine(output.standardError))",
                        en: "restic stats \(id.prefix(8)) failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))")
                return nil
            }
            // restic may print progress lines before the JSON object: take the last line.
            let line = output.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            return try JSONDecoder().decode(ResticStats.self, from: Data(line.utf8)).totalSize
        } catch {
            let why = (error as? CommandError)?.localizedText ?? .verbatim("\(error)")
            measurement.sizeFailure = measurement.sizeFailure ?? LocalizedText(fr: "restic stats \(id.prefix(8)) : ", en: "restic stats \(id.prefix(8)): ") + why
            return nil
        }
    }

    /// `borg list --json --format '{hostname}'` output: the format's keys are added to each
    /// archive's JSON (Borg 1.1 and later).
    struct BorgList: Decodable {
        let archives: [Archive]
        struct Archive: Decodable {
            let name: String
            let time: String?
            let start: String?
            let hostname: String?
        }
    }

    /// `borg info --json REPO::ARCHIVE` output, the part read: the archive's original size.
    struct BorgInfo: Decodable {
        let archives: [Archive]
        struct Archive: Decodable {
            let stats: Stats
        }
        struct Stats: Decodable {
            let originalSize: Int
            enum CodingKeys: String, CodingKey { case originalSize = "original_size" }
        }
    }

    /// Fills `measurement` from `borg list --json --bypass-lock`, counting only the archives of
    /// `host` (the `hostname` Borg records in each archive), then reads the original size of this
    /// host's newest and previous archives with `borg info --json --bypass-lock`. Borg reads its
    /// passphrase from the environment only, so the file's first line is passed as
    /// `BORG_PASSPHRASE` to those processes; it never reaches a report. Borg's own cache and
    /// security folders go to a private temporary folder removed afterwards, not to the host's home.
    /// Borg runs with `TZ=UTC0`: Borg 1.x prints local times without an offset, read here as UTC.
    func borg(_ set: BackupSet, passwordFile: String, host: BackupHost, into measurement: inout BackupMeasurement) async {
        measurement.method = "borg list --json"
        let passphrase: String
        do {
            let text = try root.readText(passwordFile, limit: 64 << 10)
            passphrase = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } catch {
            measurement.failure = LocalizedText(fr: "fichier de mot de passe non lu : ", en: "password file not read: ") + error.localizedText
            return
        }
        var template = Array("/tmp/cyberctl-borg-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            let why = String(cString: strerror(errno))
            measurement.failure = LocalizedText(
                fr: "pas de dossier temporaire privé pour borg : \(why)", en: "no private temporary folder for borg: \(why)")
            return
        }
        let scratch = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let location = set.remote ?? root.hostPath(set.path)
        let environment = Self.environment.merging([
            "BORG_PASSPHRASE": passphrase, "BORG_BASE_DIR": scratch, "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "HOME": scratch,
        ]) { _, new in new }
        let output: CommandRunner.Output
        do {
            output = try await commands.run(
                borg, ["list", "--json", "--bypass-lock", "--format", "{hostname}", location], timeout: timeout, environment: environment)
        } catch {
            measurement.failure = LocalizedText(fr: "liste des archives non lue : ", en: "archive list not read: ") + error.localizedText
            return
        }
        guard output.exitCode == 0 else {
            measurement.failure = LocalizedText(
                fr: "borg list a échoué (code \(output.exitCode)) : \(Self.firstLine(output.standardError))",
                en: "borg list failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))")
            return
        }
        let list: BorgList
        do {
            list = try JSONDecoder().decode(BorgList.self, from: Data(output.standardOutput.utf8))
        } catch {
            measurement.failure = LocalizedText(
                fr: "borg list a écrit un JSON que cyberctl ne sait pas lire : \(error)", en: "borg list printed JSON cyberctl cannot read: \(error)")
            return
        }
        // Checkpoint archives are interrupted runs, not copies.
        let archives = list.archives.filter { !$0.name.hasSuffix(".checkpoint") && !$0.name.contains(".checkpoint.") }
        var dated: [(BorgList.Archive, Date, Int)] = []
        for (index, archive) in archives.enumerated() {
            guard archive.hostname != nil else {
                measurement.failure = LocalizedText(
                    fr: "borg list n'a pas donné de nom d'hôte pour l'archive \(archive.name) (Borg 1.1 ou plus récent l'ajoute pour --format {hostname})",
                    en: "borg list gave no host name for archive \(archive.name) (Borg 1.1 or later adds it for --format {hostname})")
                return
            }
            let text = archive.start ?? archive.time ?? ""
            guard let time = Self.borgTime(text) else {
                measurement.failure = LocalizedText(
                    fr: "borg list : l'archive \(archive.name) a une heure que cyberctl ne sait pas lire (« \(text) »)",
                    en: "borg list: archive \(archive.name) has a time cyberctl cannot read (\"\(text)\")")
                return
            }
            dated.append((archive, time, index))
        }
        // Newest first; borg lists archives in creation order, which breaks ties (two archives in one second).
        dated.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 > $1.2 }
        guard let kept = host.keep(dated.map { ($0.0, $0.1) }, into: &measurement, noun: LocalizedText(fr: "archive", en: "archive"), host: { $0.0.hostname }) else { return }
        measurement.count = kept.count
        let mine = credible(kept, into: &measurement) { "archive \($0.name)" }
        measurement.snapshotListNotChecked = nil
        measurement.newest = nil
        measurement.previous = nil
        guard let (latest, time) = mine.first else { return }
        measurement.details["latestArchive"] = .string(latest.name)
        measurement.details["sizeSource"] = "borg info (original size)"
        let size = await borgSize(location, archive: latest.name, environment: environment, into: &measurement)
        measurement.newest = BackupItem(path: "archive \(latest.name)", modified: time, size: size)
        if let (previous, previousTime) = mine.dropFirst().first {
            let previousSize = await borgSize(location, archive: previous.name, environment: environment, into: &measurement)
            measurement.previous = BackupItem(path: "archive \(previous.name)", modified: previousTime, size: previousSize)
            measurement.sizeChangeNotChecked = nil
        } else {
            measurement.sizeChangeNotChecked = LocalizedText(fr: "pas d'archive antérieure venant de cet hôte", en: "no earlier archive from this host")
        }
    }

    /// The original size of one archive (`borg info --json --bypass-lock REPO::ARCHIVE`), bytes; nil
    /// with `sizeFailure` set when it cannot be read. Borg builds its chunk cache in the private
    /// folder the first time, so the second archive costs less.
    func borgSize(_ location: String, archive: String, environment: [String: String], into measurement: inout BackupMeasurement) async -> Int? {
        do {
            let output = try await commands.run(
                borg, ["info", "--json", "--bypass-lock", "\(location)::\(archive)"], timeout: timeout, environment: environment)
            guard output.exitCode == 0 else {
                measurement.sizeFailure = measurement.sizeFailure
                    ?? LocalizedText(
                        fr: "borg info \(archive) a échoué (code \(output.exitCode)) : \(Self.firstLine(output.standardError))",
                        en: "borg info \(archive) failed (exit \(output.exitCode)): \(Self.firstLine(output.standardError))")
                return nil
            }
            guard let stats = try JSONDecoder().decode(BorgInfo.self, from: Data(output.standardOutput.utf8)).archives.first?.stats else {
                measurement.sizeFailure = measurement.sizeFailure
                    ?? LocalizedText(fr: "borg info \(archive) n'a listé aucune archive", en: "borg info \(archive) listed no archive")
                return nil
            }
            return stats.originalSize
        } catch {
            let why = (error as? CommandError)?.localizedText ?? .verbatim("\(error)")
            measurement.sizeFailure = measurement.sizeFailure ?? LocalizedText(fr: "borg info \(archive) : ", en: "borg info \(archive): ") + why
            return nil
        }
    }

    /// The environment restic and Borg run with, beside the runner's minimal one: `TZ=UTC0`, so the
    /// times they print do not depend on the host's or cyberctl's time zone. A POSIX rule (zone
    /// `UTC`, offset 0) rather than a zone name: no zone file is read, so a missing or altered
    /// tzdata cannot shift it (Go's restic falls back to UTC for a zone it cannot load).
    static let environment = ["TZ": "UTC0"]

    /// An archive time from `borg list --json`. Borg 1.x prints the time without an offset
    /// (`2026-11-29T02:00:03.123456`) in the zone it runs in, which cyberctl sets to UTC; a time with
    /// an offset (Borg 2) is read as RFC 3339. Microseconds are kept: archives made within one second
    /// still sort by time.
    static func borgTime(_ text: String) -> Date? {
        BackupUnits.rfc3339(text) ?? BackupUnits.rfc3339(text + "Z")
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
