import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// Finds the backup sets of a host without configuration, reading files only (through the
/// `FileSystemRoot`, so `--root` images work): systemd services and timers and cron entries that run
/// a known backup tool (restic, borg, borgmatic, rsnapshot, duplicity, vzdump, pg_dump, mysqldump,
/// rsync to another host), the scripts they call (one level), rsnapshot and Proxmox configuration,
/// a Bacula file daemon, and the usual folders (`/var/backups`, `/backup`, `/srv/backup` …).
///
/// It never runs anything: a job's result is read later, by the check, with `systemctl show`.
struct BackupDiscovery {
    let root: FileSystemRoot
    /// Maximum age for a set whose job schedule is unknown, seconds.
    let defaultMaximumAge: TimeInterval
    /// Usual folders to look in.
    let folders: [String]

    /// Unit folders, highest priority first (a unit in /etc overrides the packaged one).
    static let unitDirectories = ["/etc/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
    /// Largest unit, cron or script file read, bytes.
    static let fileLimit = 256 << 10

    /// What discovery looked at, for the evidence of a "nothing found" result.
    struct Report: Sendable {
        var sets: [BackupSet] = []
        var unitFilesRead = 0
        var cronFilesRead = 0
        var scriptsRead = 0
        var foldersLookedAt: [String] = []
        /// Files and folders that could not be read, with the reason, each once.
        var problems: [LocalizedText] = []

        mutating func note(_ problem: LocalizedText) {
            if !problems.contains(problem) { problems.append(problem) }
        }
    }

    func discover() -> Report {
        var report = Report()
        var found: [BackupSet] = []
        found += systemdSets(&report)
        found += cronSets(&report)
        found += rsnapshotSets(configFiles: ["/etc/rsnapshot.conf"], jobs: [], optional: true, report: &report)
        found += proxmoxJobSets(&report)
        found += proxmoxSets(invocations: [], jobs: [], report: &report)
        found += baculaSets()
        found += folderSets(&report)
        report.sets = Self.merge(found)
        return report
    }

    // MARK: systemd

    /// One parsed unit file: `[Section]` → key → values, in order.
    struct UnitFile {
        var values: [String: [String: [String]]] = [:]
        /// The values of a key, an empty assignment clearing the ones before it (systemd's list reset).
        func get(_ section: String, _ key: String) -> [String] {
            let all = values[section]?[key] ?? []
            guard let reset = all.lastIndex(of: "") else { return all }
            return Array(all[(reset + 1)...])
        }

        /// Appends a drop-in's values after the unit's own.
        mutating func merge(_ other: UnitFile) {
            for (section, keys) in other.values {
                for (key, list) in keys { values[section, default: [:]][key, default: []] += list }
            }
        }

        static func parse(_ text: String) -> UnitFile {
            var unit = UnitFile()
            var section = ""
            var pending = ""
            for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = String(rawLine).trimming(.whitespaces)
                if !pending.isEmpty {
                    line = pending + " " + line
                    pending = ""
                }
                if line.hasSuffix("\\") {
                    pending = String(line.dropLast())
                    continue
                }
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if line.hasPrefix("[") && line.hasSuffix("]") {
                    section = String(line.dropFirst().dropLast())
                    continue
                }
                guard let equals = line.firstIndex(of: "=") else { continue }
                let key = line[..<equals].trimming(.whitespaces)
                let value = line[line.index(after: equals)...].trimming(.whitespaces)
                unit.values[section, default: [:]][key, default: []].append(value)
            }
            return unit
        }
    }

    /// Unit file names → inner path, highest-priority folder first. A unit folder that exists but
    /// cannot be listed is noted in `report.problems`.
    func unitFiles(suffix: String, _ report: inout Report) -> [String: String] {
        var files: [String: String] = [:]
        for directory in Self.unitDirectories {
            for name in list(directory, &report) where name.hasSuffix(suffix) && files[name] == nil {
                let path = "\(directory)/\(name)"
                if root.info(path)?.isRegularFile == true { files[name] = path }
            }
        }
        return files
    }

    func systemdSets(_ report: inout Report) -> [BackupSet] {
        // Timers first: which service each one starts, and when.
        var schedules: [String: (text: String, period: TimeInterval?, enabled: Bool)] = [:]
        // Enabled units are linked from `*.wants/` folders (timers.target.wants for timers).
        // (An unreadable /etc/systemd/system is noted when its units are listed.)
        let wants = ((try? root.contents("/etc/systemd/system")) ?? []).filter { $0.hasSuffix(".wants") }
        func isEnabled(_ unit: String) -> Bool {
            wants.contains { root.exists("/etc/systemd/system/\($0)/\(unit)") }
        }
        for (name, path) in unitFiles(suffix: ".timer", &report).sorted(by: { $0.key < $1.key }) {
            guard let text = readSmall(path, &report) else { continue }
            report.unitFilesRead += 1
            let unit = UnitFile.parse(text)
            let service = unit.get("Timer", "Unit").last ?? String(name.dropLast(6)) + ".service"
            let calendar = unit.get("Timer", "OnCalendar").last
            let active = unit.get("Timer", "OnUnitActiveSec").last ?? unit.get("Timer", "OnUnitInactiveSec").last
            let text2 = calendar.map { "OnCalendar=\($0)" } ?? active.map { "OnUnitActiveSec=\($0)" } ?? "timer \(name)"
            schedules[service] = (text2, BackupSchedule.period(onCalendar: calendar, onUnitActive: active), isEnabled(name))
        }
        var sets: [BackupSet] = []
        for (name, path) in unitFiles(suffix: ".service", &report).sorted(by: { $0.key < $1.key }) {
            // Template units (`foo@.service`) are started with an instance name cyberctl cannot guess.
            if name.contains("@.") { continue }
            if name == "bacula-fd.service" { continue }
            guard let text = readSmall(path, &report) else { continue }
            report.unitFilesRead += 1
            var unit = UnitFile.parse(text)
            // Drop-ins (`systemctl edit`): /etc/systemd/system/<unit>.d/*.conf, in name order, add to
            // or (with an empty `ExecStart=`) reset the unit's lists.
            let dropInFolder = "/etc/systemd/system/\(name).d"
            for file in list(dropInFolder, &report) where file.hasSuffix(".conf") {
                guard let dropIn = readSmall("\(dropInFolder)/\(file)", &report) else { continue }
                report.unitFilesRead += 1
                unit.merge(UnitFile.parse(dropIn))
            }
            var environment: [String: String] = [:]
            for file in unit.get("Service", "EnvironmentFile") {
                let cleaned = file.hasPrefix("-") ? String(file.dropFirst()) : file
                environment.merge(readEnvironmentFile(cleaned, &report)) { _, new in new }
            }
            for line in unit.get("Service", "Environment") {
                for command in ShellWords.commands(line) {
                    environment.merge(command.assignments) { _, new in new }
                    for word in command.words {
                        if let equals = word.firstIndex(of: "=") {
                            environment[String(word[..<equals])] = String(word[word.index(after: equals)...])
                        }
                    }
                }
            }
            let lines = unit.get("Service", "ExecStartPre") + unit.get("Service", "ExecStart") + unit.get("Service", "ExecStartPost")
            guard !lines.isEmpty else { continue }
            let schedule = schedules[name]
            let job = { (tool: String) in
                BackupJob(scheduler: .systemd, name: name, schedule: schedule?.text, tool: tool, timerEnabled: schedule?.enabled)
            }
            for line in lines {
                sets += setsFromCommandLine(
                    line, environment: environment, origin: "systemd:\(name)", period: schedule?.period, job: job, report: &report)
            }
        }
        return sets
    }

    // MARK: cron

    /// cron and run-parts ignore file names with anything but letters, digits, `_` and `-`.
    static func isRunPartsName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    func cronSets(_ report: inout Report) -> [BackupSet] {
        var sets: [BackupSet] = []
        // /etc/pve/vzdump.cron: Proxmox VE before 7.1 kept its backup jobs in a cron table.
        var tables: [(path: String, hasUser: Bool)] = [("/etc/crontab", true), ("/etc/pve/vzdump.cron", true)]
        tables += list("/etc/cron.d", &report).filter(Self.isRunPartsName).map { ("/etc/cron.d/\($0)", true) }
        tables += list("/var/spool/cron/crontabs", &report).map { ("/var/spool/cron/crontabs/\($0)", false) }
        for (path, hasUser) in tables where root.info(path)?.isRegularFile == true {
            guard let text = readSmall(path, &report) else { continue }
            report.cronFilesRead += 1
            var environment: [String: String] = [:]
            for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.trimming(.whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                var fields = line.split(separator: " ", omittingEmptySubsequences: true).flatMap { $0.split(separator: "\t") }.map(String.init)
                // `NAME=value` lines set the environment of the following entries.
                if let first = fields.first, first.contains("="), !first.hasPrefix("@"), first.first?.isNumber != true, first.first != "*" {
                    for command in ShellWords.commands(line) { environment.merge(command.assignments) { _, new in new } }
                    continue
                }
                let scheduleCount = fields.first?.hasPrefix("@") == true ? 1 : 5
                guard fields.count > scheduleCount + (hasUser ? 1 : 0) else { continue }
                let scheduleFields = Array(fields.prefix(scheduleCount))
                fields.removeFirst(scheduleCount + (hasUser ? 1 : 0))
                // The command is the rest of the line as written (spaces inside quotes kept).
                let command = Self.rest(of: line, afterFields: scheduleCount + (hasUser ? 1 : 0))
                let origin = "cron:\(path):\(number + 1)"
                let schedule = scheduleFields.joined(separator: " ")
                let job = { (tool: String) in BackupJob(scheduler: .cron, name: "\(path):\(number + 1)", schedule: schedule, tool: tool) }
                sets += setsFromCommandLine(
                    command, environment: environment, origin: origin, period: BackupSchedule.period(cron: scheduleFields),
                    job: job, report: &report)
            }
        }
        let periodic: [(String, TimeInterval)] = [
            ("/etc/cron.hourly", BackupSchedule.hour), ("/etc/cron.daily", BackupSchedule.day),
            ("/etc/cron.weekly", 7 * BackupSchedule.day), ("/etc/cron.monthly", 31 * BackupSchedule.day),
        ]
        for (folder, period) in periodic {
            for name in list(folder, &report) where Self.isRunPartsName(name) {
                let path = "\(folder)/\(name)"
                let job = { (tool: String) in BackupJob(scheduler: .cron, name: path, schedule: folder, tool: tool) }
                sets += setsFromScript(path, environment: [:], origin: "cron:\(path)", period: period, job: job, depth: 0, report: &report)
            }
        }
        return sets
    }

    /// `line` without its first `count` whitespace-separated fields.
    static func rest(of line: String, afterFields count: Int) -> String {
        var remaining = Substring(line)
        for _ in 0..<count {
            remaining = remaining.drop { $0 == " " || $0 == "\t" }
            remaining = remaining.drop { $0 != " " && $0 != "\t" }
        }
        return remaining.trimming(.whitespaces)
    }

    // MARK: command lines and scripts

    /// The sets that one job command line writes, following into the script it runs when it is one.
    func setsFromCommandLine(
        _ line: String, environment: [String: String], origin: String, period: TimeInterval?,
        job: (String) -> BackupJob, report: inout Report, depth: Int = 0
    ) -> [BackupSet] {
        var sets: [BackupSet] = []
        var environment = environment
        let commands = ShellWords.commands(line)
        var index = 0
        while index < commands.count {
            // One pipeline: commands joined by `|`.
            var pipeline: [SimpleCommand] = []
            while index < commands.count {
                pipeline.append(commands[index])
                index += 1
                if !pipeline[pipeline.count - 1].pipesOn { break }
            }
            for (position, raw) in pipeline.enumerated() {
                for command in BackupToolRecognizer.unwrap(raw) {
                    if command.words.isEmpty {
                        // `VAR=value` alone, or `export VAR=value`.
                        for (key, value) in command.assignments { environment[key] = ShellWords.expand(value, environment) }
                        continue
                    }
                    if command.words.first == "export" || command.words.first == "declare" {
                        for word in command.words.dropFirst() {
                            if let equals = word.firstIndex(of: "=") {
                                environment[String(word[..<equals])] = ShellWords.expand(String(word[word.index(after: equals)...]), environment)
                            }
                        }
                        continue
                    }
                    if (command.words.first == "." || command.words.first == "source"), command.words.count >= 2 {
                        let file = ShellWords.expand(command.words[1], environment)
                        if file.hasPrefix("/") { environment.merge(readEnvironmentFile(file, &report)) { _, new in new } }
                        continue
                    }
                    let rest = Array(pipeline.dropFirst(position + 1))
                    if let invocation = BackupToolRecognizer.recognize(command, environment: environment, pipeline: rest) {
                        sets += setsFrom(invocation, origin: origin, period: period, job: job(invocation.tool), report: &report)
                        continue
                    }
                    // A script the job runs: look inside (one level from a job, two at most).
                    let program = ShellWords.expand(String(command.words[0].drop { "-@:+!".contains($0) }), environment)
                    if program.hasPrefix("/"), depth < 2 {
                        sets += setsFromScript(program, environment: environment, origin: origin, period: period, job: job, depth: depth + 1, report: &report)
                    }
                }
            }
        }
        return sets
    }

    /// Reads a shell script and the backup commands in it.
    func setsFromScript(
        _ path: String, environment: [String: String], origin: String, period: TimeInterval?,
        job: (String) -> BackupJob, depth: Int, report: inout Report
    ) -> [BackupSet] {
        let info: FileInfo?
        do {
            info = try root.status(path)
        } catch {
            report.note(error.localizedText)
            return []
        }
        // A program larger than any shell script (a binary the job runs) is not read.
        guard let info, info.isRegularFile, info.size <= Self.fileLimit else { return [] }
        guard let text = readSmall(path, &report), text.hasPrefix("#!") else { return [] }
        let shebang = text.prefix { $0 != "\n" }
        guard shebang.contains("sh") else { return [] }
        report.scriptsRead += 1
        var sets: [BackupSet] = []
        var environment = environment
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            var line = pending + String(rawLine)
            pending = ""
            if line.hasSuffix("\\") {
                pending = String(line.dropLast()) + " "
                continue
            }
            line = line.trimming(.whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            // Drop shell keywords that precede a command.
            for keyword in ["then ", "do ", "else ", "if ", "elif ", "while ", "until ", "! ", "time "] where line.hasPrefix(keyword) {
                line = String(line.dropFirst(keyword.count))
            }
            // Assignments carry over to later lines.
            for command in ShellWords.commands(line) where command.words.isEmpty || command.words.first == "export" {
                for (key, value) in command.assignments { environment[key] = ShellWords.expand(value, environment) }
                for word in command.words.dropFirst() {
                    if let equals = word.firstIndex(of: "=") {
                        environment[String(word[..<equals])] = ShellWords.expand(String(word[word.index(after: equals)...]), environment)
                    }
                }
            }
            if let source = ShellWords.commands(line).first, source.words.first == "." || source.words.first == "source", source.words.count >= 2 {
                let file = ShellWords.expand(source.words[1], environment)
                if file.hasPrefix("/") { environment.merge(readEnvironmentFile(file, &report)) { _, new in new } }
                continue
            }
            sets += setsFromCommandLine(line, environment: environment, origin: origin, period: period, job: job, report: &report, depth: depth)
        }
        return sets
    }

    /// `KEY=value` lines of an environment file (`EnvironmentFile=`, `. /etc/restic.env`).
    /// Only the keys discovery uses are kept: never a password.
    func readEnvironmentFile(_ path: String, _ report: inout Report) -> [String: String] {
        guard root.info(path)?.isRegularFile == true, let text = readSmall(path, &report) else { return [:] }
        let kept: Set<String> = ["RESTIC_REPOSITORY", "RESTIC_PASSWORD_FILE", "BORG_REPO", "BACKUP_DIR", "BACKUPDIR", "DEST", "DESTINATION", "TARGET"]
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            var trimmed = line.trimming(.whitespaces)
            if trimmed.hasPrefix("export ") { trimmed = String(trimmed.dropFirst(7)) }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals])
            guard kept.contains(key) else { continue }
            let value = ShellWords.commands(trimmed).first?.assignments[key] ?? String(trimmed[trimmed.index(after: equals)...])
            environment[key] = value
        }
        return environment
    }

    /// The sets one recognised tool invocation writes.
    func setsFrom(_ invocation: ToolInvocation, origin: String, period: TimeInterval?, job: BackupJob, report: inout Report) -> [BackupSet] {
        let maximumAge = period.map(BackupSchedule.maximumAge(period:)) ?? defaultMaximumAge
        let ageSource = period != nil ? "schedule" : "default"
        func make(_ kind: BackupKind, path: String, remote: String? = nil, protects: [String]) -> BackupSet {
            BackupSet(
                name: "\(job.name) (\(invocation.tool))", kind: kind, path: path, remote: remote, origin: origin,
                maximumAge: maximumAge, maximumAgeSource: ageSource, protects: protects, jobs: [job],
                passwordFileHint: invocation.passwordFile,
                encryption: kind == .restic ? "restic (toujours chiffré)" : nil)
        }
        switch invocation.kind {
        case .rsnapshot:
            return rsnapshotSets(configFiles: [invocation.configFile ?? "/etc/rsnapshot.conf"], jobs: [job], optional: false, report: &report)
                .map { set in
                    var set = set
                    set.maximumAge = maximumAge
                    set.maximumAgeSource = ageSource
                    set.origin = origin
                    return set
                }
        case .vzdump:
            return proxmoxSets(invocations: [invocation], jobs: [job], report: &report).map { set in
                var set = set
                set.maximumAge = maximumAge
                set.maximumAgeSource = ageSource
                set.origin = origin
                return set
            }
        case .borg where invocation.tool == "borgmatic":
            return borgmaticSets(invocation.configFile ?? "/etc/borgmatic/config.yaml", job: job, origin: origin, maximumAge: maximumAge, ageSource: ageSource, report: &report)
        default:
            break
        }
        let kind = invocation.kind ?? .files
        if let remote = invocation.remote {
            return [make(kind, path: remote, remote: remote, protects: invocation.sources)]
        }
        guard let destination = invocation.destination, destination.hasPrefix("/") else {
            // A restic or Borg job whose repository comes from somewhere cyberctl cannot read: the
            // job is still reported, as a set whose place is unknown.
            guard kind == .restic || kind == .borg else { return [] }
            var set = make(kind, path: "\(invocation.tool)@\(job.name)", protects: invocation.sources)
            set.locationUnknown = true
            return [set]
        }
        return [make(kind, path: FileSystemRoot.normalize(destination), protects: invocation.sources)]
    }

    /// borgmatic's YAML: `repositories:` (list of paths or `- path: …`) and `source_directories:`.
    func borgmaticSets(_ config: String, job: BackupJob, origin: String, maximumAge: TimeInterval, ageSource: String, report: inout Report) -> [BackupSet] {
        guard let text = readSmall(config, &report) else { return [] }
        var repositories: [String] = []
        var sources: [String] = []
        var section = ""
        for line in text.split(separator: "\n") {
            let trimmed = line.trimming(.whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            if trimmed.hasSuffix(":") && !trimmed.hasPrefix("-") { section = String(trimmed.dropLast()); continue }
            guard trimmed.hasPrefix("-") else { if !line.hasPrefix(" ") { section = "" }; continue }
            var value = trimmed.dropFirst().trimming(.whitespaces)
            if value.hasPrefix("path:") { value = value.dropFirst(5).trimming(.whitespaces) }
            value = value.trimming(TrimmedScalars(charactersIn: "\"'"))
            if section == "repositories" { repositories.append(value) }
            if section == "source_directories" { sources.append(value) }
        }
        return repositories.map { repository in
            let remote = BackupLocation.remote(repository, kind: .borg)
            return BackupSet(
                name: "\(job.name) (borgmatic)", kind: .borg, path: remote ?? repository, remote: remote, origin: origin,
                maximumAge: maximumAge, maximumAgeSource: ageSource, protects: sources.filter { $0.hasPrefix("/") }, jobs: [job])
        }
    }

    // MARK: rsnapshot, Proxmox, Bacula

    /// `snapshot_root` and local `backup` sources of rsnapshot configuration files.
    func rsnapshotSets(configFiles: [String], jobs: [BackupJob], optional: Bool, report: inout Report) -> [BackupSet] {
        var sets: [BackupSet] = []
        for config in configFiles where root.info(config)?.isRegularFile == true {
            guard let text = readSmall(config, &report) else { continue }
            var snapshotRoot: String?
            var sources: [String] = []
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                // rsnapshot separates fields with tabs.
                let fields = line.split(separator: "\t", omittingEmptySubsequences: true).map { $0.trimming(.whitespaces) }
                guard fields.count >= 2 else { continue }
                if fields[0] == "snapshot_root" { snapshotRoot = fields[1] }
                if fields[0] == "backup", fields[1].hasPrefix("/") { sources.append(fields[1]) }
            }
            guard let snapshotRoot, snapshotRoot.hasPrefix("/") else { continue }
            if optional && root.info(snapshotRoot)?.isDirectory != true { continue }
            sets.append(BackupSet(
                name: "rsnapshot (\(config))", kind: .rsnapshot, path: FileSystemRoot.normalize(snapshotRoot), origin: "config:\(config)",
                maximumAge: defaultMaximumAge, maximumAgeSource: "default", protects: sources, jobs: jobs, optional: optional && jobs.isEmpty))
        }
        return sets
    }

    /// Proxmox VE dump folders: `--dumpdir`, `--storage` resolved through /etc/pve/storage.cfg,
    /// /etc/vzdump.conf, and the default `local` storage (/var/lib/vz/dump).
    func proxmoxSets(invocations: [ToolInvocation], jobs: [BackupJob], report: inout Report) -> [BackupSet] {
        let storages = readProxmoxStorages(&report)
        var sets: [BackupSet] = []
        func add(storage name: String) {
            guard let storage = storages[name] else { return }
            if let remote = storage.remote {
                sets.append(BackupSet(
                    name: "vzdump → \(name)", kind: .vzdump, path: remote, remote: remote, origin: "config:/etc/pve/storage.cfg",
                    maximumAge: defaultMaximumAge, maximumAgeSource: "default", protects: ["/var/lib/vz"], jobs: jobs))
            } else if let path = storage.path {
                add(folder: path + "/dump", optional: jobs.isEmpty)
            }
        }
        func add(folder: String, optional: Bool) {
            sets.append(BackupSet(
                name: "vzdump \(folder)", kind: .vzdump, path: FileSystemRoot.normalize(folder), origin: jobs.isEmpty ? "folder" : "job",
                maximumAge: defaultMaximumAge, maximumAgeSource: "default", protects: ["/var/lib/vz"], jobs: jobs, optional: optional))
        }
        var configured: (dumpdir: String?, storage: String?) = (nil, nil)
        if root.info("/etc/vzdump.conf")?.isRegularFile == true, let text = readSmall("/etc/vzdump.conf", &report) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimming(.whitespaces) }
                guard parts.count == 2 else { continue }
                if parts[0] == "dumpdir" { configured.dumpdir = parts[1] }
                if parts[0] == "storage" { configured.storage = parts[1] }
            }
        }
        if invocations.isEmpty {
            if let dumpdir = configured.dumpdir { add(folder: dumpdir, optional: true) }
            if let storage = configured.storage { add(storage: storage) }
            add(folder: "/var/lib/vz/dump", optional: true)
        }
        for invocation in invocations {
            if let dumpdir = invocation.destination ?? (invocation.storage == nil ? configured.dumpdir : nil) {
                add(folder: dumpdir, optional: false)
            } else if let storage = invocation.storage ?? configured.storage {
                add(storage: storage)
            } else {
                add(folder: "/var/lib/vz/dump", optional: false)
            }
        }
        return sets
    }

    /// Backup jobs of Proxmox VE 7.1 and later (`/etc/pve/jobs.cfg`, run by pvescheduler):
    /// `vzdump: <id>` sections with `schedule`, `storage` or `dumpdir`, and `enabled`.
    func proxmoxJobSets(_ report: inout Report) -> [BackupSet] {
        let path = "/etc/pve/jobs.cfg"
        guard root.info(path)?.isRegularFile == true, let text = readSmall(path, &report) else { return [] }
        var sets: [BackupSet] = []
        var current: (id: String, values: [String: String])?
        func flush() {
            guard let job = current, job.values["enabled"] != "0" else { return }
            let invocation = ToolInvocation(tool: "vzdump", kind: .vzdump, destination: job.values["dumpdir"], storage: job.values["storage"])
            let schedule = job.values["schedule"]
            let period = BackupSchedule.period(onCalendar: schedule, onUnitActive: nil)
            let backupJob = BackupJob(scheduler: .proxmox, name: "\(path):\(job.id)", schedule: schedule, tool: "vzdump")
            sets += setsFrom(invocation, origin: "config:\(path)", period: period, job: backupJob, report: &report)
        }
        for line in text.split(separator: "\n") {
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                flush()
                current = nil
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimming(.whitespaces) }
                if parts.count == 2, parts[0] == "vzdump" { current = (parts[1], [:]) }
                continue
            }
            let fields = line.trimming(.whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            if fields.count == 2 { current?.values[fields[0]] = fields[1] }
        }
        flush()
        return sets
    }

    /// Storages of /etc/pve/storage.cfg: `dir`/`nfs`/`cifs`/`cephfs` with a `path`, `pbs` (remote).
    func readProxmoxStorages(_ report: inout Report) -> [String: (path: String?, remote: String?)] {
        guard root.info("/etc/pve/storage.cfg")?.isRegularFile == true, let text = readSmall("/etc/pve/storage.cfg", &report) else {
            return ["local": ("/var/lib/vz", nil)]
        }
        var storages: [String: (path: String?, remote: String?)] = [:]
        var current: (type: String, name: String)?
        var server: String?
        var datastore: String?
        func flush() {
            guard let current, current.type == "pbs" else { return }
            storages[current.name] = (nil, "pbs://\(server ?? "?")/\(datastore ?? "?")")
        }
        for line in text.split(separator: "\n") {
            if !line.hasPrefix(" ") && !line.hasPrefix("\t"), let colon = line.firstIndex(of: ":") {
                flush()
                current = (String(line[..<colon]).trimming(.whitespaces), line[line.index(after: colon)...].trimming(.whitespaces))
                server = nil
                datastore = nil
                continue
            }
            let fields = line.trimming(.whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2, let current else { continue }
            if fields[0] == "path", ["dir", "nfs", "cifs", "cephfs", "glusterfs"].contains(current.type) {
                storages[current.name] = (fields[1], nil)
            }
            if fields[0] == "server" { server = fields[1] }
            if fields[0] == "datastore" { datastore = fields[1] }
        }
        flush()
        if storages["local"] == nil { storages["local"] = ("/var/lib/vz", nil) }
        return storages
    }

    /// A Bacula file daemon sends copies to a storage daemon elsewhere: a remote set.
    func baculaSets() -> [BackupSet] {
        let config = "/etc/bacula/bacula-fd.conf"
        guard root.info(config)?.isRegularFile == true else { return [] }
        var director = "Bacula director"
        if let text = try? root.readText(config, limit: Self.fileLimit) {
            // The first `Name = …` inside a `Director {` block.
            var inDirector = false
            for line in text.split(separator: "\n") {
                let trimmed = line.trimming(.whitespaces)
                if trimmed.hasPrefix("Director") && trimmed.contains("{") { inDirector = true; continue }
                if inDirector, trimmed.lowercased().hasPrefix("name") , let equals = trimmed.firstIndex(of: "=") {
                    director = "bacula:" + trimmed[trimmed.index(after: equals)...].trimming(.whitespaces)
                    break
                }
                if trimmed.hasPrefix("}") { inDirector = false }
            }
        }
        return [BackupSet(
            name: "Bacula (bacula-fd)", kind: .files, path: director, remote: director, origin: "config:\(config)",
            maximumAge: defaultMaximumAge, maximumAgeSource: "default",
            jobs: [BackupJob(scheduler: .systemd, name: "bacula-fd.service", tool: "bacula-fd")])]
    }

    // MARK: usual folders

    /// What a folder holds, judged from its layout.
    static func classify(_ path: String, root: FileSystemRoot) -> BackupKind? {
        if root.info(path + "/config")?.isRegularFile == true {
            if root.info(path + "/snapshots")?.isDirectory == true && root.info(path + "/data")?.isDirectory == true
                && root.info(path + "/keys")?.isDirectory == true {
                return .restic
            }
            if let readme = try? root.readText(path + "/README", limit: 4096), readme.hasPrefix("This is a Borg Backup repository") {
                return .borg
            }
        }
        // Only the first few thousand names: enough to recognise a layout, cheap on a huge folder.
        if BoundedWalker.names(in: path, root: root, directoriesOnly: true, limit: 4096).contains(where: Self.isRsnapshotName) {
            return .rsnapshot
        }
        if BoundedWalker.names(in: path, root: root, limit: 4096).contains(where: { $0.hasPrefix("vzdump-") }) { return .vzdump }
        return nil
    }

    /// `daily.0`, `weekly.3`, `alpha.12`: an rsnapshot snapshot folder name.
    static func isRsnapshotName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let interval = name[..<dot]
        let number = name[name.index(after: dot)...]
        return !number.isEmpty && number.allSatisfy(\.isNumber) && interval.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    func folderSets(_ report: inout Report) -> [BackupSet] {
        var sets: [BackupSet] = []
        for folder in folders {
            let info: FileInfo?
            do {
                info = try root.status(folder)
            } catch {
                report.note(error.localizedText)
                continue
            }
            guard info?.isDirectory == true else { continue }
            report.foldersLookedAt.append(folder)
            func make(_ kind: BackupKind, _ path: String, excluded: [String] = []) -> BackupSet {
                BackupSet(
                    name: path, kind: kind, path: path, origin: "folder", maximumAge: defaultMaximumAge, maximumAgeSource: "default",
                    encryption: kind == .restic ? "restic (toujours chiffré)" : nil, optional: true, excluded: excluded)
            }
            if let kind = Self.classify(folder, root: root) {
                sets.append(make(kind, folder))
                continue
            }
            var excluded: [String] = []
            for child in BoundedWalker.names(in: folder, root: root, directoriesOnly: true).sorted() {
                let path = "\(folder)/\(child)"
                guard let kind = Self.classify(path, root: root) else { continue }
                sets.append(make(kind, path))
                excluded.append(path)
            }
            sets.append(make(.files, folder, excluded: excluded))
        }
        return sets
    }

    // MARK: merging

    /// One set per location: the first found keeps its name; jobs, sources and exclusions are merged;
    /// the strictest maximum age wins. A set inside another folder set is excluded from it.
    static func merge(_ sets: [BackupSet]) -> [BackupSet] {
        var merged: [BackupSet] = []
        var index: [String: Int] = [:]
        for set in sets {
            if let position = index[set.key] {
                var existing = merged[position]
                // A job's view of a folder is richer than the usual-folder guess.
                if existing.origin == "folder" && set.origin != "folder" {
                    var replacement = set
                    replacement.excluded += existing.excluded
                    existing = replacement
                } else {
                    for job in set.jobs where !existing.jobs.contains(job) { existing.jobs.append(job) }
                    for path in set.protects where !existing.protects.contains(path) { existing.protects.append(path) }
                    if set.maximumAgeSource != "default", existing.maximumAgeSource == "default" || set.maximumAge < existing.maximumAge {
                        existing.maximumAge = set.maximumAge
                        existing.maximumAgeSource = set.maximumAgeSource
                    }
                    existing.optional = existing.optional && set.optional
                    existing.passwordFileHint = existing.passwordFileHint ?? set.passwordFileHint
                }
                merged[position] = existing
            } else {
                index[set.key] = merged.count
                merged.append(set)
            }
        }
        // Exclude from a folder set the sets that live inside it.
        for position in merged.indices where merged[position].remote == nil {
            let base = merged[position].path
            for other in merged where other.remote == nil && other.path != base && other.path.hasPrefix(base + "/") {
                if !merged[position].excluded.contains(other.path) { merged[position].excluded.append(other.path) }
            }
        }
        return merged
    }

    /// Names in a folder, sorted; empty when it does not exist. A folder that exists but cannot be
    /// listed is noted in `report.problems`: a job described there would be missed.
    func list(_ folder: String, _ report: inout Report) -> [String] {
        do {
            return try root.contents(folder) ?? []
        } catch {
            report.note(error.localizedText)
            return []
        }
    }

    /// Reads a small text file; a failure is noted, not fatal.
    func readSmall(_ path: String, _ report: inout Report) -> String? {
        do {
            return try root.readText(path, limit: Self.fileLimit)
        } catch {
            report.note(error.localizedText)
            return nil
        }
    }
}
