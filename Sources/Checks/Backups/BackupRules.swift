import FoundationEssentials
import Model
import NIS2

/// The backup rules, applied to one measured set each. Thresholds: the set's maximum age (from the
/// profile, else from its job's schedule, else `default_max_age`); a size drop warning below
/// `size_drop_percent` of the previous copy; offline copies older than 30 days and restore tests
/// older than 12 months warn (issue 6; NIS 2 Implementing Regulation 2024/2690 annex §4.2.2 and
/// §4.2.6 ask for off-site/offline copies and regular, documented recovery tests without a number).
public enum BackupRules {
    /// An offline or immutable copy older than this warns (30 days).
    public static let offlineCopyMaximumAge: TimeInterval = 30 * 86_400
    /// A restore test older than this warns (12 months, counted as 365 days).
    public static let restoreTestMaximumAge: TimeInterval = 365 * 86_400
    /// A newest copy dated more than this in the future is a clock problem.
    static let futureTolerance: TimeInterval = 3600

    public struct Outcome: Sendable, Equatable {
        public var status: Status
        public var severity: Severity
        public var evidence: [String: JSONValue]
        public var reason: LocalizedText?
    }

    static func partial(_ measurement: BackupMeasurement) -> LocalizedText? {
        var parts: [LocalizedText] = []
        if measurement.truncated {
            parts.append(LocalizedText(
                fr: "le parcours s'est arrêté à la limite de fichiers (maximum_files)", en: "the walk stopped at the file limit (maximum_files)"))
        }
        if measurement.problemCount > 0 {
            parts.append(
                LocalizedText(fr: "\(measurement.problemCount) partie(s) illisible(s) : ", en: "\(measurement.problemCount) part(s) could not be read: ")
                    + measurement.problems.prefix(3).joined())
        }
        return parts.isEmpty ? nil : parts.joined()
    }

    /// `backup.present`: fail/high when the set holds no copy; warn/medium when it holds fewer than
    /// `expected_count`; error when it cannot be read, and for copies on another host that cyberctl
    /// cannot list (a remote restic/Borg repository without `password_file`, rsync to another host,
    /// Proxmox Backup Server, Bacula): they exist only as a job's destination, nothing verified
    /// them, so the reason says what to configure (never `skip`, which means "does not apply").
    public static func present(_ set: BackupSet, _ measurement: BackupMeasurement?) -> Outcome {
        var evidence: [String: JSONValue] = [:]
        guard let measurement else {
            let remote = set.remote ?? set.path
            let repository = set.kind == .restic || set.kind == .borg
            return Outcome(
                status: .error, severity: .high, evidence: ["remote": .string(remote), "notVerified": true],
                reason: LocalizedText(
                    fr: "copies gardées sur un autre hôte (\(remote)), non vérifiées depuis cet hôte : "
                        + (repository
                            ? "donnez password_file pour cet ensemble dans le profil (et l'accès au dépôt) pour lister ses instantanés"
                            : "contrôlez-les sur l'hôte qui les garde (cyberctl y lit l'ensemble déclaré dans son profil)"),
                    en: "copies kept on another host (\(remote)), not verified from this host: "
                        + (repository
                            ? "give password_file for this set in the profile (and access to the repository) to list its snapshots"
                            : "check them on the host that keeps them (cyberctl there reads the set declared in its profile)")))
        }
        if let count = measurement.count { evidence["count"] = .int(count) }
        if let expected = set.expectedCount { evidence["expectedCount"] = .int(expected) }
        if let total = measurement.totalBytes { evidence["totalBytes"] = .int(total) }
        if measurement.details["pathMissing"] == .bool(true) { evidence["pathMissing"] = true }
        if let failure = measurement.failure {
            return Outcome(status: .error, severity: .high, evidence: evidence, reason: failure)
        }
        let hasCopy = measurement.newest != nil || (measurement.count ?? 0) > 0
        if !hasCopy, set.origin != "profile", measurement.details["pathMissing"] == .bool(true) {
            // A job's destination that is not there: an unmounted removable disk, or a job that
            // never ran. Only a declared set is known to hold copies here.
            return Outcome(
                status: .error, severity: .high, evidence: evidence,
                reason: LocalizedText(
                    fr: "\(set.path), où la tâche écrit, est absent (un disque amovible non monté, ou une tâche qui n'a jamais tourné)",
                    en: "\(set.path), where the job writes, is absent (an unmounted removable disk, or a job that never ran)"))
        }
        if !hasCopy {
            if let partial = partial(measurement) {
                return Outcome(status: .error, severity: .high, evidence: evidence, reason: LocalizedText(fr: "aucune copie trouvée, mais ", en: "no copy found, but ") + partial)
            }
            return Outcome(status: .fail, severity: .high, evidence: evidence, reason: measurement.noCopyReason)
        }
        if let expected = set.expectedCount, let count = measurement.count, count < expected {
            if let partial = partial(measurement) {
                return Outcome(status: .error, severity: .medium, evidence: evidence, reason: LocalizedText(fr: "\(count) copies vues, mais ", en: "\(count) copies seen, but ") + partial)
            }
            return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: nil)
        }
        return Outcome(status: .pass, severity: .high, evidence: evidence, reason: nil)
    }

    /// `backup.freshness`: fail/high when the newest copy is older than the set's maximum age;
    /// warn/medium when one series (a database, a VM) has stopped while others go on; error when
    /// parts could not be read and the readable newest copy is too old. Copies dated more than
    /// `futureTolerance` after the scan (a wrong clock, a `touch`) never stand for the newest: the
    /// newest credibly dated copy is judged, and they are flagged on their own — warn/medium
    /// beside a fresh copy, named in the reason of a fail, error/high when every copy is so dated
    /// (no age can be judged).
    public static func freshness(_ set: BackupSet, _ measurement: BackupMeasurement, now: Date) -> Outcome? {
        var future: [String: JSONValue] = [:]
        var futureText: LocalizedText?
        if let item = measurement.futureNewest {
            future = ["futureDated": .string(item.path), "futureDatedAt": .time(item.modified), "futureDatedCount": .int(measurement.futureCount)]
            futureText = LocalizedText(
                fr: "\(measurement.futureCount) copie(s) datée(s) dans le futur (\(item.path), \(ISO8601.string(from: item.modified))) : vérifiez l'horloge",
                en: "\(measurement.futureCount) copy(ies) dated in the future (\(item.path), \(ISO8601.string(from: item.modified))): check the clock")
        }
        guard let newest = measurement.newest else {
            guard let futureText else { return nil }
            var evidence = future
            evidence["maxAgeHours"] = .double(BackupUnits.hours(set.maximumAge))
            evidence["method"] = .string(measurement.method)
            return Outcome(
                status: .error, severity: .high, evidence: evidence,
                reason: LocalizedText(fr: "aucune copie datée de façon crédible, leur âge ne peut être jugé : ", en: "no credibly dated copy, their age cannot be judged: ")
                    + futureText)
        }
        let age = now.timeIntervalSince(newest.modified)
        var evidence: [String: JSONValue] = [
            "newest": .string(newest.path), "newestAt": .time(newest.modified), "ageHours": .double(BackupUnits.hours(age)),
            "maxAgeHours": .double(BackupUnits.hours(set.maximumAge)), "maxAgeSource": .string(set.maximumAgeSource),
            "method": .string(measurement.method),
        ].merging(future) { own, _ in own }
        if age > set.maximumAge {
            if let partial = partial(measurement) {
                return Outcome(
                    status: .error, severity: .high, evidence: evidence,
                    reason: LocalizedText(
                        fr: "la copie lisible la plus récente date de \(BackupUnits.describe(age, in: .fr)), mais \(partial.fr)",
                        en: "the newest readable copy is \(BackupUnits.describe(age, in: .en)) old, but \(partial.en)"))
            }
            return Outcome(status: .fail, severity: .high, evidence: evidence, reason: futureText.map {
                LocalizedText(
                    fr: "la copie la plus récente datée de façon crédible date de \(BackupUnits.describe(age, in: .fr)) ; ",
                    en: "the newest credibly dated copy is \(BackupUnits.describe(age, in: .en)) old; ") + $0
            })
        }
        if let futureText {
            return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: futureText)
        }
        if measurement.series.count > 1 {
            let stale = measurement.series.filter { now.timeIntervalSince($0.value) > set.maximumAge }.sorted { $0.key < $1.key }
            if !stale.isEmpty {
                evidence["staleSeries"] = .array(stale.prefix(10).map { .object(["series": .string($0.key), "newestAt": .time($0.value)]) })
                evidence["staleSeriesCount"] = .int(stale.count)
                evidence["seriesCount"] = .int(measurement.series.count)
                return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: nil)
            }
        }
        return Outcome(status: .pass, severity: .high, evidence: evidence, reason: nil)
    }

    /// `backup.size`: fail/high when the newest copy is empty or under `min_size`; warn/medium when
    /// it is under `dropPercent` % of the previous copy of the same series; skip when its size is
    /// not known; error when the walk was partial (file limit, or any part unreadable: the newest
    /// copy may be there) or the size of the newest or previous copy could not be read
    /// (`restic stats`, `borg info` failed).
    public static func size(_ set: BackupSet, _ measurement: BackupMeasurement, dropPercent: Int) -> Outcome? {
        guard let newest = measurement.newest else { return nil }
        let unit = measurement.sizeUnit == .bytes ? "Bytes" : "Entries"
        var evidence: [String: JSONValue] = ["newest": .string(newest.path), "unit": .string(measurement.sizeUnit.rawValue)]
        if let count = measurement.count { evidence["count"] = .int(count) }
        if let total = measurement.totalBytes { evidence["totalBytes"] = .int(total) }
        if let failure = measurement.sizeFailure {
            if let size = newest.size { evidence["size\(unit)"] = .int(size) }
            return Outcome(status: .error, severity: .high, evidence: evidence, reason: failure)
        }
        guard let size = newest.size else {
            if let partial = partial(measurement) {
                return Outcome(status: .error, severity: .high, evidence: evidence, reason: LocalizedText(fr: "taille de la copie la plus récente non lue : ", en: "size of the newest copy not read: ") + partial)
            }
            return Outcome(status: .skip, severity: .high, evidence: evidence, reason: measurement.sizeChangeNotChecked ?? LocalizedText(fr: "taille de la copie la plus récente inconnue", en: "size of the newest copy not known"))
        }
        evidence["size\(unit)"] = .int(size)
        if set.minimumBytes > 0, measurement.sizeUnit == .bytes { evidence["minimumBytes"] = .int(set.minimumBytes) }
        // Part of the set not read: the newest copy may be there (tonight's empty dump in a folder
        // the agent cannot read), so the readable newest copy's size proves nothing.
        if let partial = partial(measurement) {
            return Outcome(
                status: .error, severity: .high, evidence: evidence,
                reason: LocalizedText(
                    fr: "taille de la copie lisible la plus récente seulement (\(newest.path)), ", en: "size of the newest readable copy only (\(newest.path)), ")
                    + LocalizedText(fr: "la plus récente peut être ailleurs : ", en: "the newest may be elsewhere: ") + partial)
        }
        if size == 0 {
            evidence["empty"] = true
            return Outcome(status: .fail, severity: .high, evidence: evidence, reason: nil)
        }
        if measurement.sizeUnit == .bytes, size < set.minimumBytes {
            return Outcome(status: .fail, severity: .high, evidence: evidence, reason: nil)
        }
        if let previous = measurement.previous, let previousSize = previous.size, previousSize > 0 {
            evidence["previous"] = .string(previous.path)
            evidence["previousAt"] = .time(previous.modified)
            evidence["previousSize\(unit)"] = .int(previousSize)
            let change = (Double(size) - Double(previousSize)) / Double(previousSize) * 100
            evidence["sizeChangePercent"] = .double((change * 10).rounded() / 10)
            evidence["dropWarnPercent"] = .int(dropPercent)
            if change <= -Double(dropPercent) {
                return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: nil)
            }
        } else if let why = measurement.sizeChangeNotChecked {
            evidence["sizeChangeNotChecked"] = .string(why.en)
        }
        return Outcome(status: .pass, severity: .high, evidence: evidence, reason: nil)
    }

    /// `backup.separate-storage`: warn/medium when the copies sit on the same filesystem (`st_dev`)
    /// as the data they protect (or, when that is unknown, as `/`); pass for another filesystem or
    /// another host. A different filesystem can still be the same physical disk: the evidence says
    /// which devices were compared.
    public static func separateStorage(
        _ set: BackupSet, backupDevice: UInt64?, protected: [(path: String, device: UInt64)], protectedKnown: Bool
    ) -> Outcome? {
        if let remote = set.remote {
            return Outcome(status: .pass, severity: .medium, evidence: ["remote": .string(remote)], reason: nil)
        }
        guard let backupDevice else { return nil }
        var evidence: [String: JSONValue] = [
            "backupDevice": .string(deviceText(backupDevice)),
            "comparedWith": .array(protected.map { .object(["path": .string($0.path), "device": .string(deviceText($0.device))]) }),
            "protectedDataKnown": .bool(protectedKnown),
        ]
        let same = protected.filter { $0.device == backupDevice }.map(\.path)
        if !same.isEmpty {
            evidence["sameDeviceAs"] = .strings(same)
            return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: nil)
        }
        return Outcome(status: .pass, severity: .medium, evidence: evidence, reason: nil)
    }

    /// `major:minor` of a Linux `dev_t`.
    static func deviceText(_ device: UInt64) -> String {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        return "\(major):\(minor)"
    }

    /// `backup.offline-copy`: warn/medium unless an offline or immutable copy is declared with a
    /// date less than 30 days old.
    public static func offlineCopy(_ declaration: OfflineCopyDeclaration?, now: Date) -> Outcome {
        guard let declaration, declaration.present else {
            return Outcome(
                status: .warn, severity: .medium, evidence: ["declared": .bool(declaration != nil), "present": false],
                reason: nil)
        }
        var evidence: [String: JSONValue] = ["declared": true, "present": true, "maxAgeDays": 30]
        if let kind = declaration.kind { evidence["kind"] = .string(kind) }
        if let location = declaration.location { evidence["location"] = .string(location) }
        guard let last = declaration.last else {
            return Outcome(status: .warn, severity: .medium, evidence: evidence, reason: LocalizedText(
                    fr: "la date de la dernière copie hors ligne n'est pas déclarée", en: "the date of the last offline copy is not declared"))
        }
        evidence["last"] = .time(last)
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        evidence["ageDays"] = .int(days)
        return Outcome(status: now.timeIntervalSince(last) > offlineCopyMaximumAge ? .warn : .pass, severity: .medium, evidence: evidence, reason: nil)
    }

    /// `backup.restore-test`: warn/medium unless a restore test is declared within the last 12 months,
    /// and, when the set was read and holds no copy of this host (an empty folder, a shared
    /// repository holding only other hosts' snapshots), warn/medium: nothing of this host can be
    /// restored from it, whatever the declared date.
    public static func restoreTest(_ last: Date?, now: Date, measurement: BackupMeasurement? = nil) -> Outcome {
        guard let last else {
            return Outcome(status: .warn, severity: .medium, evidence: ["declared": false], reason: nil)
        }
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        var evidence: [String: JSONValue] = ["declared": true, "last": .time(last), "ageDays": .int(days), "maxAgeDays": 365]
        if let measurement, measurement.failure == nil, measurement.newest == nil, (measurement.count ?? 0) == 0,
           measurement.details["pathMissing"] == nil, partial(measurement) == nil {
            evidence["noCopy"] = true
            return Outcome(
                status: .warn, severity: .medium, evidence: evidence,
                reason: LocalizedText(fr: "l'ensemble ne contient aucune copie de cet hôte à restaurer", en: "the set holds no copy of this host to restore")
                    + (measurement.noCopyReason.map { LocalizedText(fr: " : ", en: ": ") + $0 } ?? .verbatim("")))
        }
        return Outcome(
            status: now.timeIntervalSince(last) > restoreTestMaximumAge ? .warn : .pass, severity: .medium,
            evidence: evidence, reason: nil)
    }

    static let references = ["NIS2-21.2.c", "EU-2024/2690-4.2", "RECYF-13", "ANSSI-HYG-37"]

    static let all: [RuleDescription] = [
        RuleDescription(
            code: "backup.present", severity: .high, references: references,
            french: RuleText(
                title: "Présence de sauvegardes",
                explanation: "Après un rançongiciel ou une panne de disque, une commune ne retrouve ses données (état civil, urbanisme, comptabilité) que si des sauvegardes existent. Dans un dépôt restic ou Borg partagé par plusieurs serveurs, seules les sauvegardes de ce serveur comptent.",
                remediation: "Mettez en place une sauvegarde automatique (restic, Borg, dumps de bases) et déclarez-la dans le profil (backup.sets) si cyberctl ne la trouve pas seul."),
            english: RuleText(
                title: "Backups present",
                explanation: "After ransomware or a disk failure, a commune only gets its data back (civil records, planning, accounts) if backups exist. In a restic or Borg repository several servers share, only this server's backups count.",
                remediation: "Set up an automatic backup (restic, Borg, database dumps) and declare it in the profile (backup.sets) when cyberctl does not find it by itself.")),
        RuleDescription(
            code: "backup.freshness", severity: .high, references: references,
            french: RuleText(
                title: "Fraîcheur de la dernière sauvegarde",
                explanation: "Une sauvegarde qui ne tourne plus ne se voit pas : le jour de l'incident, la dernière copie a des semaines.",
                remediation: "Vérifiez le journal de la tâche de sauvegarde (journalctl -u <service>, courriel de cron), corrigez-la et surveillez l'âge de la dernière copie."),
            english: RuleText(
                title: "Age of the newest backup",
                explanation: "A backup that stopped running goes unnoticed: on the day of the incident the newest copy is weeks old.",
                remediation: "Read the backup job's log (journalctl -u <service>, cron mail), fix it, and monitor the age of the newest copy.")),
        RuleDescription(
            code: "backup.size", severity: .high, references: references,
            french: RuleText(
                title: "Taille de la dernière sauvegarde",
                explanation: "Une sauvegarde vide ou soudain beaucoup plus petite signale une source absente, un disque plein ou une base inaccessible.",
                remediation: "Ouvrez la dernière copie, comparez-la à la précédente et vérifiez la source, l'espace disque et les droits de la tâche."),
            english: RuleText(
                title: "Size of the newest backup",
                explanation: "An empty or suddenly much smaller backup points to a missing source, a full disk or an unreachable database.",
                remediation: "Open the newest copy, compare it with the previous one, and check the source, disk space and the job's permissions.")),
        RuleDescription(
            code: "backup.job-status", severity: .high, references: references,
            french: RuleText(
                title: "Résultat de la dernière exécution de la tâche de sauvegarde",
                explanation: "systemd garde le résultat de la dernière exécution : un échec veut dire que la copie attendue n'a pas été faite ou est incomplète.",
                remediation: "Lisez journalctl -u <service>, corrigez la cause puis relancez la sauvegarde à la main et vérifiez la copie produite."),
            english: RuleText(
                title: "Last run of the backup job",
                explanation: "systemd keeps the result of the last run: a failure means the expected copy was not made or is incomplete.",
                remediation: "Read journalctl -u <service>, fix the cause, run the backup by hand and check the copy it makes.")),
        RuleDescription(
            code: "backup.separate-storage", severity: .medium, references: references,
            french: RuleText(
                title: "Sauvegardes sur un support distinct des données",
                explanation: "Des copies sur le même disque que les données disparaissent avec lui et sont chiffrées avec lui par un rançongiciel.",
                remediation: "Envoyez les copies sur un autre support : NAS dédié, disque séparé, dépôt distant (restic/Borg via SFTP, serveur de sauvegarde mutualisé)."),
            english: RuleText(
                title: "Backups on storage separate from the data",
                explanation: "Copies on the same disk as the data are lost with it and encrypted with it by ransomware.",
                remediation: "Send the copies to other storage: a dedicated NAS, a separate disk, a remote repository (restic/Borg over SFTP, a shared backup server).")),
        RuleDescription(
            code: "backup.offline-copy", severity: .medium, references: references,
            french: RuleText(
                title: "Copie hors ligne ou immuable récente",
                explanation: "Un rançongiciel chiffre aussi les sauvegardes qu'il peut atteindre ; seule une copie déconnectée ou immuable lui échappe à coup sûr.",
                remediation: "Faites au moins une fois par mois une copie déconnectée (disque USB rangé hors site, bande) ou immuable, et déclarez sa date dans le profil (offline_copy)."),
            english: RuleText(
                title: "Recent offline or immutable copy",
                explanation: "Ransomware also encrypts the backups it can reach; only a disconnected or immutable copy is sure to escape it.",
                remediation: "At least monthly, make a disconnected (USB disk kept off site, tape) or immutable copy and declare its date in the profile (offline_copy).")),
        RuleDescription(
            code: "backup.restore-test", severity: .medium, references: references,
            french: RuleText(
                title: "Test de restauration dans les 12 derniers mois",
                explanation: "Une sauvegarde jamais restaurée peut se révéler inutilisable le jour où on en a besoin (mot de passe perdu, copie incomplète).",
                remediation: "Restaurez au moins une fois par an un jeu de données complet sur une autre machine, notez la date et déclarez-la dans le profil (last_restore_test)."),
            english: RuleText(
                title: "Restore test in the last 12 months",
                explanation: "A backup that was never restored may prove useless on the day it is needed (lost password, incomplete copy).",
                remediation: "At least yearly, restore a full data set on another machine, record the date and declare it in the profile (last_restore_test).")),
    ]
}
