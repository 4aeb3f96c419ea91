import FoundationEssentials
import Model
import NIS2

/// `backup.sets`: are there backups, recent, not empty, apart from the data, with an offline
/// copy and a tested restore?
///
/// Sets are declared in the profile (`sets`) and, when `discover` is on, found on the host by
/// `BackupDiscovery` (systemd units and cron entries that run backup tools, the scripts they call,
/// rsnapshot/Proxmox/Bacula configuration, the usual folders). Each set is measured from its files
/// through the `FileSystemRoot` (newest copy, size, count, previous copy), or for restic/Borg
/// repositories with a `password_file` through `restic snapshots --json` / `borg list --json`
/// (read-only, allowlisted, with a timeout), counting only the audited host's snapshots (or those of
/// the set's `host:`) in a repository several hosts share. The last result of the systemd units that write a set is
/// read with `systemctl show` on a live system only. The check never starts a job, never mounts,
/// never writes.
///
/// Results per set (target: its path or remote location): `backup.present`, `backup.freshness`,
/// `backup.size`, `backup.separate-storage`, `backup.offline-copy`, `backup.restore-test`; per job
/// (target: unit name or cron file:line): `backup.job-status`. With no set at all: one
/// `backup.present` fail/high with target `backup.sets`; when discovery could not read a unit,
/// cron table, script or folder, that result is an error naming them (also beside found sets).
public struct BackupSetsCheck: ConfigurableCheck {
    public static let id = "backup.sets"
    public static let domain = Domain.backups

    /// Sets declared in the profile.
    public var sets: [BackupSetDeclaration] = []
    /// Also look for sets on the host.
    public var discover = true
    /// Maximum age of a discovered set whose schedule is unknown, seconds (26 h: a daily job plus slack).
    public var defaultMaximumAge: TimeInterval = 26 * 3600
    /// A copy under this percentage of the previous one's size, lower by at least this much, warns.
    public var sizeDropPercent = 50
    /// Largest number of files and folders visited per set (a bound on time and memory).
    public var maximumFiles = 250_000
    /// Usual folders discovery looks in.
    public var folders = BackupSetsCheck.usualFolders
    /// Applies to every set that declares none of its own.
    public var offlineCopy: OfflineCopyDeclaration?
    /// Applies to every set that declares none of its own.
    public var lastRestoreTest: Date?
    /// Seconds `systemctl`, `restic` and `borg` may each run.
    public var commandTimeout: Double = 60
    /// Programs the check runs (absolute paths; the `CommandRunner` allowlist still applies).
    /// Not a profile parameter: tests point them at stand-ins.
    public var programs = Programs()

    public struct Programs: Sendable {
        public var systemctl = "/usr/bin/systemctl"
        public var restic = "/usr/bin/restic"
        public var borg = "/usr/bin/borg"
        /// Query job results even on a `--root` image (tests only: a stand-in systemctl).
        public var queryJobsOnImages = false
        public init() {}
    }

    public static let usualFolders = ["/var/backups", "/backup", "/backups", "/srv/backup", "/srv/backups", "/var/lib/vz/dump"]

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sets, discover, folders
        case defaultMaximumAge = "default_max_age"
        case sizeDropPercent = "size_drop_percent"
        case maximumFiles = "maximum_files"
        case offlineCopy = "offline_copy"
        case lastRestoreTest = "last_restore_test"
        case commandTimeout = "command_timeout"
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sets = try container.decodeIfPresent([BackupSetDeclaration].self, forKey: .sets) ?? []
        var names = Set<String>()
        for set in sets where !names.insert(set.name).inserted {
            throw DecodingError.dataCorruptedError(forKey: .sets, in: container, debugDescription: "two sets are named \"\(set.name)\"")
        }
        discover = try container.decodeIfPresent(Bool.self, forKey: .discover) ?? true
        if let text = try container.decodeIfPresent(String.self, forKey: .defaultMaximumAge) {
            guard let seconds = BackupUnits.duration(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .defaultMaximumAge, in: container, debugDescription: "expected a duration like 26h, 7d (7j) or 1d12h, units s, min, h, d (j), w (sem), got \"\(text)\"")
            }
            defaultMaximumAge = seconds
        }
        sizeDropPercent = try container.decodeIfPresent(Int.self, forKey: .sizeDropPercent) ?? 50
        guard (1...99).contains(sizeDropPercent) else {
            throw DecodingError.dataCorruptedError(
                forKey: .sizeDropPercent, in: container, debugDescription: "expected a percentage from 1 to 99, got \(sizeDropPercent)")
        }
        maximumFiles = try container.decodeIfPresent(Int.self, forKey: .maximumFiles) ?? 250_000
        guard maximumFiles >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maximumFiles, in: container, debugDescription: "expected 1 or more")
        }
        folders = try container.decodeIfPresent([String].self, forKey: .folders) ?? Self.usualFolders
        for folder in folders where !folder.hasPrefix("/") {
            throw DecodingError.dataCorruptedError(forKey: .folders, in: container, debugDescription: "expected absolute paths, got \"\(folder)\"")
        }
        offlineCopy = try container.decodeIfPresent(OfflineCopyField.self, forKey: .offlineCopy)?.value
        lastRestoreTest = try container.decodeIfPresent(String.self, forKey: .lastRestoreTest).map { text in
            guard let date = BackupUnits.date(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .lastRestoreTest, in: container, debugDescription: "expected a date like 2026-06-01, got \"\(text)\"")
            }
            return date
        }
        commandTimeout = try container.decodeIfPresent(Double.self, forKey: .commandTimeout) ?? 60
        guard commandTimeout > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .commandTimeout, in: container, debugDescription: "expected a number of seconds above 0")
        }
    }

    /// The declared sets as the check measures them.
    func declaredSets() -> [BackupSet] {
        sets.map { declaration in
            let remote = BackupLocation.remote(declaration.path, kind: declaration.kind)
            let path = remote ?? (declaration.kind == .restic ? BackupLocation.localPath(declaration.path) : declaration.path)
            var set = BackupSet(
                name: declaration.name, kind: declaration.kind, path: remote == nil ? FileSystemRoot.normalize(path) : path, remote: remote,
                origin: "profile", maximumAge: declaration.maximumAge ?? defaultMaximumAge,
                maximumAgeSource: declaration.maximumAge == nil ? "default" : "profile", minimumBytes: declaration.minimumBytes ?? 0,
                expectedCount: declaration.expectedCount, protects: declaration.protects, declaredUnits: declaration.units,
                passwordFile: declaration.passwordFile, offlineCopy: declaration.offlineCopy,
                encryption: declaration.encryption ?? (declaration.kind == .restic ? "restic (toujours chiffré)" : nil),
                lastRestoreTest: declaration.lastRestoreTest)
            set.hosts = declaration.hosts
            return set
        }
    }

    /// Declared sets first; a discovered set at the same place only adds its jobs and sources.
    func allSets(root: FileSystemRoot) -> (sets: [BackupSet], discovery: BackupDiscovery.Report?) {
        var result = declaredSets()
        var discovery: BackupDiscovery.Report?
        if discover {
            let report = BackupDiscovery(root: root, defaultMaximumAge: defaultMaximumAge, folders: folders).discover()
            discovery = report
            for found in report.sets {
                if let index = result.firstIndex(where: { $0.key == found.key }) {
                    if result[index].declaredUnits.isEmpty {
                        for job in found.jobs where !result[index].jobs.contains(job) { result[index].jobs.append(job) }
                    }
                    if result[index].protects.isEmpty { result[index].protects = found.protects }
                    result[index].passwordFileHint = result[index].passwordFileHint ?? found.passwordFileHint
                } else {
                    result.append(found)
                }
            }
        }
        // A set inside another one's folder is measured once, by itself.
        for position in result.indices where result[position].remote == nil {
            let base = BackupInventory.split(result[position].path).base
            for other in result where other.remote == nil && other.path != result[position].path && other.path.hasPrefix(base + "/") {
                if !result[position].excluded.contains(other.path) { result[position].excluded.append(other.path) }
            }
            if result[position].offlineCopy == nil { result[position].offlineCopy = offlineCopy }
            if result[position].lastRestoreTest == nil { result[position].lastRestoreTest = lastRestoreTest }
        }
        for position in result.indices where result[position].remote != nil {
            if result[position].offlineCopy == nil { result[position].offlineCopy = offlineCopy }
            if result[position].lastRestoreTest == nil { result[position].lastRestoreTest = lastRestoreTest }
        }
        return (result, discovery)
    }

    /// Measures one set; nil for copies on another host that cannot be listed. In a restic or Borg
    /// repository listed with its password, only the snapshots of `auditedHost` (or of the set's
    /// declared `host:`) count.
    func measure(_ set: BackupSet, context: CheckContext, auditedHost: String?) async -> BackupMeasurement? {
        let notAfter = context.clock.now().addingTimeInterval(BackupRules.futureTolerance)
        let inventory = BackupInventory(root: context.root, maximumFiles: maximumFiles, notAfter: notAfter)
        let listing = RepositoryListing(
            commands: context.commands, root: context.root, restic: programs.restic, borg: programs.borg, timeout: commandTimeout,
            notAfter: notAfter)
        if set.locationUnknown {
            var measurement = BackupMeasurement()
            measurement.failure = LocalizedText(
                fr: "la tâche lance \(set.kind.rawValue), mais son dépôt n'a pu être lu ni dans la ligne de commande, ni dans l'environnement de l'unité, "
                    + "ni dans le script ; déclarez l'ensemble dans le profil",
                en: "the job runs \(set.kind.rawValue) but its repository could not be read from the command line, the unit's environment or the script; declare the set in the profile")
            return measurement
        }
        switch set.kind {
        case .files, .pgdump, .vzdump:
            return set.remote == nil ? inventory.measureFiles(set) : nil
        case .rsnapshot:
            return inventory.measureRsnapshot(set)
        case .restic, .borg:
            var measurement: BackupMeasurement
            if set.remote == nil {
                measurement = set.kind == .restic ? inventory.measureResticFiles(set, path: set.path) : inventory.measureBorgFiles(set, path: set.path)
                if measurement.failure != nil || measurement.details["pathMissing"] != nil { return measurement }
            } else {
                guard set.passwordFile != nil else { return nil }
                measurement = BackupMeasurement()
            }
            let tool = set.kind == .restic ? "restic" : "borg"
            guard let passwordFile = set.passwordFile else {
                measurement.snapshotListNotChecked = LocalizedText(
                    fr: "pas de password_file pour cet ensemble dans le profil : la liste de \(tool) n'est pas lue ; la date de dernière écriture "
                        + "des fichiers du dépôt sert, quel que soit l'hôte qui les a écrits",
                    en: "no password_file for this set in the profile: \(tool)'s own list not read; the last write time of the repository's files is used, whichever host wrote them")
                return measurement
            }
            guard context.root.info(passwordFile)?.isRegularFile == true else {
                measurement.failure = LocalizedText(
                    fr: "fichier de mot de passe \(passwordFile) : pas de fichier ordinaire à ce nom", en: "password file \(passwordFile): no such regular file")
                return measurement
            }
            var listed = measurement
            let host = BackupHost.of(set, audited: auditedHost, root: context.root)
            if set.kind == .restic {
                await listing.restic(set, passwordFile: passwordFile, host: host, into: &listed)
            } else {
                await listing.borg(set, passwordFile: passwordFile, host: host, into: &listed)
            }
            return listed
        }
    }

    public func run(_ context: CheckContext) async -> [CheckResult] {
        let now = context.clock.now()
        let stopwatch = Stopwatch()
        let (sets, discovery) = allSets(root: context.root)
        var results: [CheckResult] = []
        var emptyFolders: [String] = []
        var jobStatusCache: [String: SystemdJobStatus.Verdict] = [:]
        let mounts = MountTable.live(context.root)
        let auditedHost = AuditedHostName.name(root: context.root)
        for set in sets {
            if Task.isCancelled { break }
            let setWatch = Stopwatch()
            let measurement = await measure(set, context: context, auditedHost: auditedHost)
            if set.optional, let measurement, measurement.failure == nil, measurement.newest == nil,
               (measurement.count ?? 0) == 0, measurement.problemCount == 0, !measurement.truncated {
                if measurement.details["pathMissing"] == nil { emptyFolders.append(set.path) }
                continue
            }
            var setResults = await evaluate(set, measurement, context: context, now: now, cache: &jobStatusCache, mounts: mounts)
            let elapsed = setWatch.elapsedMs
            for index in setResults.indices { setResults[index].durationMs = elapsed }
            results += setResults
        }
        if Task.isCancelled { return results }
        // Discovery that could not read a unit, a cron table, a script or a folder may have missed a
        // job: with nothing found that is "could not look", not "no backup"; beside found sets it is
        // one more error naming what was not read.
        let unreadable = discovery?.problems ?? []
        if results.isEmpty || !unreadable.isEmpty {
            var evidence: [String: JSONValue] = ["declaredSets": .int(self.sets.count), "discover": .bool(discover)]
            if let discovery {
                evidence["unitFilesRead"] = .int(discovery.unitFilesRead)
                evidence["cronFilesRead"] = .int(discovery.cronFilesRead)
                evidence["scriptsRead"] = .int(discovery.scriptsRead)
                evidence["foldersLookedAt"] = .strings(discovery.foldersLookedAt)
                if !unreadable.isEmpty {
                    evidence["unreadable"] = .strings(unreadable.prefix(10).map(\.en))
                    evidence["unreadableCount"] = .int(unreadable.count)
                }
            }
            if !emptyFolders.isEmpty { evidence["foldersWithoutCopies"] = .strings(emptyFolders) }
            let reason: LocalizedText? = unreadable.isEmpty ? nil
                : LocalizedText(
                    fr: (results.isEmpty ? "aucune sauvegarde trouvée, mais " : "")
                        + "la recherche n'a pas pu lire \(unreadable.count) fichier(s) ou dossier(s), où une tâche de sauvegarde échapperait : ",
                    en: (results.isEmpty ? "no backup found, but " : "")
                        + "discovery could not read \(unreadable.count) file(s) or folder(s), where a backup job would be missed: ")
                + unreadable.prefix(3).joined()
            results.append(CheckResult(
                check: Self.id, target: Self.id, code: "backup.present", status: unreadable.isEmpty ? .fail : .error, severity: .high,
                evidence: evidence, references: BackupRules.references, reason: reason, durationMs: stopwatch.elapsedMs))
        }
        return results
    }

    /// Applies every rule to one measured set.
    func evaluate(
        _ set: BackupSet, _ measurement: BackupMeasurement?, context: CheckContext, now: Date,
        cache: inout [String: SystemdJobStatus.Verdict], mounts: MountTable? = nil
    ) async -> [CheckResult] {
        let target = set.remote ?? set.path
        var common: [String: JSONValue] = ["set": .string(set.name), "kind": .string(set.kind.rawValue), "origin": .string(set.origin)]
        if let encryption = set.encryption { common["encryption"] = .string(encryption) }
        if let measurement {
            if let note = measurement.snapshotListNotChecked { common["snapshotList"] = .string("not checked: " + note.en) }
            if measurement.problemCount > 0 {
                common["problems"] = .strings(measurement.problems.map(\.en))
                common["problemCount"] = .int(measurement.problemCount)
            }
            if measurement.truncated { common["truncatedAt"] = .int(maximumFiles) }
            for (key, value) in measurement.details where key != "pathMissing" { common[key] = value }
        }
        if let hint = set.passwordFileHint, set.passwordFile == nil { common["jobPasswordFile"] = .string(hint) }
        func result(_ code: String, _ outcome: BackupRules.Outcome) -> CheckResult {
            CheckResult(
                check: Self.id, target: target, code: code, status: outcome.status, severity: outcome.severity,
                evidence: outcome.evidence.merging(common) { own, _ in own }, references: BackupRules.references,
                reason: outcome.reason)
        }
        var results = [result("backup.present", BackupRules.present(set, measurement))]
        // A set that could not be measured (its listing failed) has no freshness or size to show:
        // what its files suggest is not what the tool lists for this host. `backup.present` says why.
        if let measurement, measurement.failure == nil {
            if let outcome = BackupRules.freshness(set, measurement, now: now) { results.append(result("backup.freshness", outcome)) }
            if let outcome = BackupRules.size(set, measurement, dropPercent: sizeDropPercent) { results.append(result("backup.size", outcome)) }
        }
        // Separate storage: compare with the protected data, or with `/` when that is unknown.
        var protected: [(path: String, device: UInt64)] = set.protects.compactMap { path in
            context.root.info(path).map { (path, $0.device) }
        }
        let protectedKnown = !protected.isEmpty
        if protected.isEmpty, let system = context.root.info("/") { protected = [("/", system.device)] }
        let backupDevice = set.locationUnknown
            ? nil : measurement?.device ?? (set.remote == nil ? context.root.info(BackupInventory.split(set.path).base)?.device : nil)
        if measurement?.failure == nil,
           var outcome = BackupRules.separateStorage(set, backupDevice: backupDevice, protected: protected, protectedKnown: protectedKnown) {
            if let mounts, let backupDevice {
                outcome.evidence["backupFilesystem"] = mounts.evidence(forDevice: backupDevice)
                let data = protected.compactMap { item in mounts.evidence(forDevice: item.device).map { (item.path, $0) } }
                if !data.isEmpty { outcome.evidence["dataFilesystems"] = .object(Dictionary(data, uniquingKeysWith: { first, _ in first })) }
            }
            results.append(result("backup.separate-storage", outcome))
        }
        results.append(result("backup.offline-copy", BackupRules.offlineCopy(set.offlineCopy, now: now)))
        results.append(result("backup.restore-test", BackupRules.restoreTest(set.lastRestoreTest, now: now, measurement: measurement)))
        results += await jobStatus(set, context: context, cache: &cache)
        return results
    }

    /// `backup.job-status` for the units that write the set (declared `unit`, else discovered jobs).
    func jobStatus(_ set: BackupSet, context: CheckContext, cache: inout [String: SystemdJobStatus.Verdict]) async -> [CheckResult] {
        var jobs: [BackupJob] = set.declaredUnits.map { BackupJob(scheduler: .systemd, name: $0, tool: "profile") }
        if jobs.isEmpty { jobs = set.jobs }
        var results: [CheckResult] = []
        for job in jobs {
            var evidence: [String: JSONValue] = ["set": .string(set.name), "setTarget": .string(set.remote ?? set.path), "tool": .string(job.tool)]
            if let schedule = job.schedule { evidence["schedule"] = .string(schedule) }
            if let enabled = job.timerEnabled { evidence["timerEnabled"] = .bool(enabled) }
            let verdict: SystemdJobStatus.Verdict
            switch job.scheduler {
            case .cron:
                verdict = .init(
                    status: .skip,
                    reason: LocalizedText(
                        fr: "tâche cron : cron ne garde aucun résultat de sa dernière exécution", en: "cron job: cron keeps no result of its last run to read"),
                    evidence: [:])
            case .proxmox:
                verdict = .init(
                    status: .skip,
                    reason: LocalizedText(
                        fr: "tâche Proxmox VE : son résultat est dans le journal des tâches de Proxmox, non lu",
                        en: "Proxmox VE job: its result is in the Proxmox task log, not read"),
                    evidence: [:])
            case .systemd where !context.root.isSystemRoot && !programs.queryJobsOnImages:
                verdict = .init(
                    status: .skip,
                    reason: LocalizedText(
                        fr: "image auditée (--root) : fichiers d'unité lus seulement, état des tâches non vérifié",
                        en: "audited image (--root): unit files read only, job status not checked"),
                    evidence: [:])
            case .systemd:
                if let cached = cache[job.name] {
                    verdict = cached
                } else {
                    verdict = await query(job.name, context: context)
                    cache[job.name] = verdict
                }
            }
            results.append(CheckResult(
                check: Self.id, target: job.name, code: "backup.job-status", status: verdict.status, severity: .high,
                evidence: verdict.evidence.merging(evidence) { own, _ in own }, references: BackupRules.references,
                reason: verdict.reason))
        }
        return results
    }

    /// `systemctl show` for one unit: read-only.
    func query(_ unit: String, context: CheckContext) async -> SystemdJobStatus.Verdict {
        do {
            let output = try await context.commands.run(programs.systemctl, SystemdJobStatus.arguments(unit: unit), timeout: commandTimeout)
            guard output.exitCode == 0 else {
                let message = output.standardError.split(separator: "\n").first.map(String.init)
                return .init(
                    status: .error,
                    reason: LocalizedText(
                        fr: "systemctl show a échoué : \(message ?? "code \(output.exitCode)")", en: "systemctl show failed: \(message ?? "exit \(output.exitCode)")"),
                    evidence: [:])
            }
            return SystemdJobStatus(showOutput: output.standardOutput).verdict()
        } catch {
            return .init(status: .error, reason: LocalizedText(fr: "état de la tâche non lu : ", en: "job status not read: ") + error.localizedText, evidence: [:])
        }
    }
}
