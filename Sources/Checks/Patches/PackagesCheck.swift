import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `patch.packages`: the patch level of the host, from what is on disk, offline and read-only
/// (nothing downloaded, nothing written, no `apt-get update`).
///
/// Debian and Ubuntu: installed packages from dpkg's status file; candidate versions from the
/// `Packages` lists of the configured sources under `/var/lib/apt/lists`, with their `Release` files
/// and the pins of `/etc/apt/preferences*`, chosen as apt's policy chooses them; versions ordered as
/// dpkg orders them. RHEL family: `rpm -qa` and dnf's metadata cache (`dnf -C`), through the
/// allowlisted command runner, on the live system only.
///
/// Rules: `patch.security-updates`, `patch.pending-updates`, `patch.lists-age`, `patch.auto-updates`,
/// `patch.reboot-required`, `patch.held-packages`, `patch.os-eol`, `patch.package-lists`. What cannot be
/// read gives `error` results naming the file and line; the other rules go on.
public struct PackagesCheck: ConfigurableCheck {
    public static let id = "patch.packages"
    public static let domain = Domain.patches

    /// `patch.pending-updates` warns above this many pending updates. Default 20, the "fixed" warning
    /// threshold of the Nagios `check_debsecan` plugin (shared/references/agents.md §3.3).
    public var pendingThreshold = 20
    /// `patch.lists-age` warns when the newest Release file is older than this, in days (issue 5).
    public var listsMaximumAgeDays = 7
    /// `patch.os-eol` warns this many days before the end of security support (issue 5).
    public var eolWarningDays = 180
    /// Timeout of each rpm/dnf run, seconds.
    public var commandTimeout = 120.0
    /// The running kernel release; nil reads it with uname(2) on the live system. Tests set it.
    var runningKernel: String?
    /// Arguments put before dnf's own on an image, for tests only (`--installroot DIR --releasever 9`):
    /// dnf writes its logs into the install root, so images are not given to dnf otherwise.
    var dnfImageArguments: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pendingThreshold = "pending_threshold"
        case listsMaximumAgeDays = "lists_max_age_days"
        case eolWarningDays = "eol_warning_days"
        case commandTimeout = "command_timeout_seconds"
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pendingThreshold = try container.decodeIfPresent(Int.self, forKey: .pendingThreshold) ?? 20
        listsMaximumAgeDays = try container.decodeIfPresent(Int.self, forKey: .listsMaximumAgeDays) ?? 7
        eolWarningDays = try container.decodeIfPresent(Int.self, forKey: .eolWarningDays) ?? 180
        commandTimeout = try container.decodeIfPresent(Double.self, forKey: .commandTimeout) ?? 120
        for (key, value) in [(CodingKeys.pendingThreshold, pendingThreshold), (.listsMaximumAgeDays, listsMaximumAgeDays), (.eolWarningDays, eolWarningDays)]
        where value < 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a number >= 0, got \(value)")
        }
        guard commandTimeout > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .commandTimeout, in: container, debugDescription: "expected a positive number of seconds")
        }
    }

    public func run(_ context: CheckContext) async -> [CheckResult] {
        let stopwatch = Stopwatch()
        let root = context.root
        let os = OSRelease.read(root)
        var results: [CheckResult] = []
        if root.exists(DpkgDatabase.statusPath) {
            results += debian(context, os: os)
        } else if os.isRHELFamily || root.exists("/var/lib/rpm") || root.exists("/usr/lib/sysimage/rpm") {
            results += await redHat(context)
        } else {
            for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
                results.append(result(code, target: "/", .skip, reason: "neither a dpkg nor an rpm package database was found"))
            }
        }
        results.append(endOfLife(os, now: context.clock.now(), sources: root.exists(DpkgDatabase.statusPath) ? APTSourcesReader.read(root).sources : []))
        let elapsed = stopwatch.elapsedMs
        return results.map { var copy = $0; copy.durationMs = elapsed; return copy }
    }

    func result(
        _ code: String, target: String, _ status: Status, severity: Severity? = nil, evidence: [String: JSONValue] = [:],
        reason: String? = nil
    ) -> CheckResult {
        let rule = Catalogue.rule(code)
        return CheckResult(
            check: Self.id, target: target, code: code, status: status, severity: severity ?? rule?.severity ?? .medium,
            evidence: evidence, references: rule?.references ?? [], reason: reason)
    }

    // MARK: Debian and Ubuntu

    func debian(_ context: CheckContext, os: OSRelease) -> [CheckResult] {
        let root = context.root
        let now = context.clock.now()
        let statusTarget = DpkgDatabase.statusPath
        var results: [CheckResult] = []
        let database: DpkgDatabase
        do {
            database = try DpkgDatabase.read(root)
        } catch {
            let reason = "dpkg database unreadable: \(error)"
            for code in ["patch.security-updates", "patch.pending-updates", "patch.held-packages", "patch.auto-updates"] {
                results.append(result(code, target: statusTarget, .error, reason: reason))
            }
            // The lists are still read: their age and their own problems do not depend on dpkg's database.
            let state = APTState.load(root, database: DpkgDatabase(packages: [], nativeArchitecture: nil))
            results += packageLists(state)
            results.append(listsAge(state, now: now))
            results.append(rebootRequired(root, kernels: nil, unreadable: reason))
            return results
        }
        let foreign = ((try? root.readText("/var/lib/dpkg/arch", limit: 4096)) ?? "")
            .split(whereSeparator: \.isNewline).map(String.init)
        let state = APTState.load(root, database: database, dpkgForeignArchitectures: foreign)
        results += packageLists(state)
        if state.indexes.isEmpty {
            let reason = state.sources.sources.isEmpty
                ? "no deb source is configured in /etc/apt/sources.list or /etc/apt/sources.list.d: candidate versions cannot be known"
                : "no package list under \(APTState.listsDirectory) for the configured sources (apt-get update has not run): candidate versions cannot be known offline"
            results.append(result("patch.security-updates", target: statusTarget, .error, reason: reason))
            results.append(result("patch.pending-updates", target: statusTarget, .error, reason: reason))
        } else {
            results.append(securityUpdates(state.pending, target: statusTarget, incomplete: !state.problems.isEmpty))
            results.append(pendingUpdates(state.pending, target: statusTarget, installedCount: database.packages.count))
        }
        results.append(heldPackages(database, pending: state.pending))
        results.append(listsAge(state, now: now))
        results.append(autoUpdatesDebian(root, database: database))
        let kernels = database.packages.filter { $0.name.hasPrefix("linux-image-") && $0.name.dropFirst(12).first?.isNumber == true }
        results.append(rebootRequired(root, kernels: kernels.map { (String($0.name.dropFirst(12)), $0.version) }, unreadable: nil))
        return results
    }

    func packageLists(_ state: APTState) -> [CheckResult] {
        let target = APTState.listsDirectory
        var evidence: [String: JSONValue] = [
            "sources": .int(state.sources.sources.count), "lists": .strings(state.indexes.map(\.path)),
            "stanzas": .int(state.stanzasRead),
        ]
        if !state.missingLists.isEmpty { evidence["missing"] = .strings(state.missingLists) }
        if !state.problems.isEmpty {
            evidence["problems"] = .strings(state.problems)
            evidence["brokenStanzas"] = .int(state.brokenStanzas)
            return [result("patch.package-lists", target: target, .error, evidence: evidence, reason: state.problems.prefix(3).joined(separator: "; "))]
        }
        if state.indexes.isEmpty { return [] }
        return [result("patch.package-lists", target: target, .pass, evidence: evidence)]
    }

    static func updateList(_ updates: [PendingUpdate]) -> JSONValue {
        .array(updates.map { update in
            .object([
                "package": .string(update.package), "architecture": .string(update.architecture),
                "installed": .string(update.installed), "candidate": .string(update.candidate),
                "suites": .strings(update.suites),
            ])
        })
    }

    func securityUpdates(_ pending: [PendingUpdate], target: String, incomplete: Bool) -> CheckResult {
        let security = pending.filter(\.security)
        var evidence: [String: JSONValue] = ["count": .int(security.count), "updates": Self.updateList(security)]
        if incomplete { evidence["note"] = "some package lists could not be read completely (see patch.package-lists)" }
        return result("patch.security-updates", target: target, security.isEmpty ? .pass : .fail, evidence: evidence)
    }

    func pendingUpdates(_ pending: [PendingUpdate], target: String, installedCount: Int) -> CheckResult {
        let evidence: [String: JSONValue] = [
            "count": .int(pending.count), "threshold": .int(pendingThreshold), "installed": .int(installedCount),
            "security": .int(pending.filter(\.security).count), "updates": Self.updateList(pending),
        ]
        return result("patch.pending-updates", target: target, pending.count > pendingThreshold ? .warn : .pass, evidence: evidence)
    }

    func heldPackages(_ database: DpkgDatabase, pending: [PendingUpdate]) -> CheckResult {
        let held = database.packages.filter(\.held)
        let blocked = Set(pending.filter(\.held).map(\.package))
        let evidence: [String: JSONValue] = [
            "count": .int(held.count), "packages": .strings(held.map { "\($0.name):\($0.architecture)" }.sorted()),
            "withPendingUpdate": .strings(blocked.sorted()),
        ]
        return result("patch.held-packages", target: DpkgDatabase.statusPath, held.isEmpty ? .pass : .warn, evidence: evidence)
    }

    func listsAge(_ state: APTState, now: Date) -> CheckResult {
        let target = APTState.listsDirectory
        guard let last = state.lastUpdate else {
            return result(
                "patch.lists-age", target: target, .warn,
                evidence: ["maximumDays": .int(listsMaximumAgeDays), "lists": .int(state.indexes.count)],
                reason: "no Release file of a configured source under \(target): apt-get update has never run")
        }
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        let evidence: [String: JSONValue] = [
            "lastUpdate": .time(last), "ageDays": .int(days), "maximumDays": .int(listsMaximumAgeDays),
            "basis": .string(state.lastUpdateSource ?? ""),
        ]
        return result("patch.lists-age", target: target, days > listsMaximumAgeDays ? .warn : .pass, evidence: evidence)
    }

    /// apt reads `apt.conf.d` files whose names have only letters, digits, `_`, `-` and `.`, with no
    /// extension or `.conf` (apt.conf(5)), in lexical order, then `/etc/apt/apt.conf`; a later value wins.
    static func aptConfigurationFiles(_ root: FileSystemRoot) -> [String] {
        let names = root.list("/etc/apt/apt.conf.d").filter { name in
            name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
                && (!name.contains(".") || name.hasSuffix(".conf"))
        }
        return names.map { "/etc/apt/apt.conf.d/" + $0 } + ["/etc/apt/apt.conf"].filter { root.exists($0) }
    }

    /// The last value given to `option` (flat `A::B::C "value";` syntax) in apt's configuration.
    static func aptOption(_ option: String, root: FileSystemRoot) -> (value: String, file: String)? {
        var found: (String, String)?
        for path in aptConfigurationFiles(root) {
            guard let text = try? root.readText(path, limit: 1 << 20) else { continue }
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.hasPrefix("//"), !trimmed.hasPrefix("#"), trimmed.lowercased().hasPrefix(option.lowercased()) else { continue }
                let rest = trimmed.dropFirst(option.count)
                guard rest.first == " " || rest.first == "\t" || rest.first == "\"" else { continue }
                let parts = rest.split(separator: "\"")
                if let value = parts.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    found = (String(value), path)
                }
            }
        }
        return found
    }

    /// True when a systemd unit is masked (linked to /dev/null) in /etc.
    static func isMasked(_ unit: String, root: FileSystemRoot) -> Bool {
        (try? root.resolve("/etc/systemd/system/" + unit)) == "/dev/null"
    }

    func autoUpdatesDebian(_ root: FileSystemRoot, database: DpkgDatabase) -> CheckResult {
        let target = "unattended-upgrades"
        let installed = database.packages.contains { $0.name == "unattended-upgrades" && $0.state == "installed" }
        var evidence: [String: JSONValue] = ["installed": .bool(installed)]
        var missing: [String] = []
        if !installed { missing.append("the unattended-upgrades package is not installed") }
        for option in ["APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"] {
            let found = Self.aptOption(option, root: root)
            evidence[option] = found.map { .string("\($0.value) (\($0.file))") } ?? .null
            if (found?.value).flatMap({ Int($0) }).map({ $0 == 0 }) ?? true { missing.append("\(option) is not set to a non-zero value") }
        }
        for timer in ["apt-daily.timer", "apt-daily-upgrade.timer"] {
            let masked = Self.isMasked(timer, root: root)
            let enabled = root.exists("/etc/systemd/system/timers.target.wants/" + timer)
            evidence[timer] = .string(masked ? "masked" : (enabled ? "enabled" : "not enabled"))
            if masked || !enabled { missing.append("\(timer) is \(masked ? "masked" : "not enabled")") }
        }
        if !missing.isEmpty { evidence["missing"] = .strings(missing) }
        return result("patch.auto-updates", target: target, missing.isEmpty ? .pass : .warn, evidence: evidence)
    }

    /// The running kernel release: the override, else uname(2) on the live system, else nil.
    func runningKernelRelease(_ root: FileSystemRoot) -> String? {
        if let runningKernel { return runningKernel }
        guard root.isSystemRoot else { return nil }
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// `patch.reboot-required`: `/run/reboot-required` (written by Debian/Ubuntu maintainer scripts),
    /// else a newer kernel image installed than the one running (Lynis KRNL-5830's comparison).
    /// - Parameter kernels: installed kernel images as (release, package version); nil when unknown.
    func rebootRequired(_ root: FileSystemRoot, kernels: [(String, String)]?, unreadable: String?) -> CheckResult {
        let flag = "/run/reboot-required"
        if root.exists(flag) {
            let packages = ((try? root.readText(flag + ".pkgs", limit: 1 << 20)) ?? "")
                .split(whereSeparator: \.isNewline).map(String.init)
            return result("patch.reboot-required", target: flag, .fail, evidence: ["flagFile": .string(flag), "packages": .strings(packages)])
        }
        guard let kernels else {
            return result("patch.reboot-required", target: "kernel", .error, reason: unreadable)
        }
        guard let running = runningKernelRelease(root) else {
            return result(
                "patch.reboot-required", target: "kernel", .skip,
                evidence: ["installedKernels": .strings(kernels.map(\.0).sorted())],
                reason: "the running kernel is known only on the live system; \(flag) is absent in this image (it lives in a tmpfs)")
        }
        var evidence: [String: JSONValue] = ["runningKernel": .string(running), "flagFile": "absent"]
        guard !kernels.isEmpty else {
            evidence["installedKernels"] = .array([])
            evidence["basis"] = "no kernel image package installed (container or custom kernel): only the flag file is checked"
            return result("patch.reboot-required", target: "kernel", .pass, evidence: evidence)
        }
        let newest = kernels.max { (DebianVersion.compare($0.1, $1.1) ?? 0) < 0 }!
        evidence["installedKernels"] = .strings(kernels.map(\.0).sorted())
        evidence["newestKernel"] = .string(newest.0)
        if let current = kernels.first(where: { $0.0 == running }) {
            let newer = (DebianVersion.compare(newest.1, current.1) ?? 0) > 0 && newest.0 != running
            return result("patch.reboot-required", target: "kernel", newer ? .fail : .pass, evidence: evidence)
        }
        // The running kernel's package is gone (removed after an upgrade) or it never was a package.
        let newer = (DebianVersion.compare(newest.0, running) ?? 0) > 0
        evidence["basis"] = "the running kernel has no installed package; releases compared"
        return result("patch.reboot-required", target: "kernel", newer ? .fail : .pass, evidence: evidence)
    }

    // MARK: RHEL family

    func redHat(_ context: CheckContext) async -> [CheckResult] {
        let root = context.root
        var results: [CheckResult] = []
        guard let rpm = RPMPatchLevel.rpmPaths.first(where: { context.commands.allowlist.contains($0) && FileManager.default.isExecutableFile(atPath: $0) }) else {
            for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
                results.append(result(code, target: "rpm", .skip, reason: "rpm database found but the rpm program is not installed on this machine"))
            }
            return results
        }
        var arguments = ["-qa", "--queryformat", RPMPatchLevel.queryFormat]
        if !root.isSystemRoot { arguments = ["--root", root.path] + arguments }
        let packages: [RPMPatchLevel.Package]
        do {
            let output = try await context.commands.run(rpm, arguments, timeout: commandTimeout, outputLimit: 64 << 20)
            guard output.exitCode == 0 else {
                throw ControlFileError(path: "rpm -qa", line: 0, problem: "exit \(output.exitCode): \(output.standardError.prefix(300))")
            }
            packages = try RPMPatchLevel.parseQuery(output.standardOutput)
        } catch {
            for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
                results.append(result(code, target: "rpm", .error, reason: "rpm -qa: \(error)"))
            }
            return results
        }
        let dnf = RPMPatchLevel.dnfPaths.first { context.commands.allowlist.contains($0) && FileManager.default.isExecutableFile(atPath: $0) }
        let dnfPrefix = root.isSystemRoot ? [] : (dnfImageArguments ?? [])
        if (!root.isSystemRoot && dnfImageArguments == nil) || dnf == nil {
            let reason = dnf == nil ? "dnf is not installed: pending updates cannot be listed" : "dnf's cache is read only on the live system, not in an image"
            results.append(result("patch.security-updates", target: "dnf", .skip, reason: reason))
            results.append(result("patch.pending-updates", target: "dnf", .skip, reason: reason))
        } else if let dnf {
            do {
                let security = try await context.commands.run(dnf, dnfPrefix + ["-C", "-q", "updateinfo", "list", "--security"], timeout: commandTimeout)
                guard security.exitCode == 0 else {
                    throw ControlFileError(path: "dnf -C updateinfo", line: 0, problem: "exit \(security.exitCode): \(security.standardError.prefix(300))")
                }
                let updates = RPMPatchLevel.parseSecurityList(security.standardOutput)
                let list: JSONValue = .array(updates.map { update in
                    let installed = packages.first { $0.name == update.name && $0.architecture == update.architecture }
                    return .object([
                        "package": .string(update.name), "architecture": .string(update.architecture),
                        "installed": installed.map { .string($0.evr.description) } ?? .null, "candidate": .string(update.available),
                        "advisory": update.advisory.map { .string($0) } ?? .null, "severity": update.severity.map { .string($0) } ?? .null,
                    ])
                })
                results.append(result("patch.security-updates", target: "dnf", updates.isEmpty ? .pass : .fail, evidence: ["count": .int(updates.count), "updates": list]))
                let check = try await context.commands.run(dnf, dnfPrefix + ["-C", "-q", "check-update"], timeout: commandTimeout)
                guard check.exitCode == 0 || check.exitCode == 100 else {
                    throw ControlFileError(path: "dnf -C check-update", line: 0, problem: "exit \(check.exitCode): \(check.standardError.prefix(300))")
                }
                let pending = RPMPatchLevel.parseCheckUpdate(check.standardOutput)
                results.append(result(
                    "patch.pending-updates", target: "dnf", pending.count > pendingThreshold ? .warn : .pass,
                    evidence: ["count": .int(pending.count), "threshold": .int(pendingThreshold),
                               "updates": .strings(pending.map { "\($0.name).\($0.architecture) \($0.available)" })]))
            } catch {
                results.append(result("patch.security-updates", target: "dnf", .error, reason: "\(error) (has dnf makecache run?)"))
                results.append(result("patch.pending-updates", target: "dnf", .error, reason: "\(error) (has dnf makecache run?)"))
            }
        }
        results.append(dnfMetadataAge(root, now: context.clock.now()))
        // Held packages: the versionlock plugin's list (`dnf versionlock add`); `!` lines exclude, not hold.
        let lockPath = "/etc/dnf/plugins/versionlock.list"
        if root.exists(lockPath) {
            do {
                let locks = try root.readText(lockPath, limit: 1 << 20).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("!") }
                results.append(result(
                    "patch.held-packages", target: lockPath, locks.isEmpty ? .pass : .warn,
                    evidence: ["count": .int(locks.count), "packages": .strings(locks)]))
            } catch {
                results.append(result("patch.held-packages", target: lockPath, .error, reason: error.description))
            }
        } else {
            results.append(result("patch.held-packages", target: lockPath, .pass, evidence: ["count": 0, "packages": .array([])]))
        }
        // dnf-automatic: the package and one of its timers enabled.
        let automatic = packages.contains { $0.name == "dnf-automatic" || $0.name == "dnf5-plugin-automatic" }
        let timers = ["dnf-automatic.timer", "dnf-automatic-install.timer", "dnf5-automatic.timer"]
            .filter { root.exists("/etc/systemd/system/timers.target.wants/" + $0) }
        results.append(result(
            "patch.auto-updates", target: "dnf-automatic", automatic && !timers.isEmpty ? .pass : .warn,
            evidence: ["installed": .bool(automatic), "enabledTimers": .strings(timers)]))
        // Kernel: the newest installed kernel package against the running release, which uname
        // prints as the package's version-release.arch (`5.14.0-427.13.1.el9_4.x86_64`).
        let kernels = packages.filter { $0.name == "kernel-core" || $0.name == "kernel" }
        if let running = runningKernelRelease(root), let newest = kernels.max(by: { $0.evr < $1.evr }) {
            let release = { (package: RPMPatchLevel.Package) in "\(package.evr.version)-\(package.evr.release ?? "").\(package.architecture)" }
            let runningPackage = kernels.first { release($0) == running }
            var evidence: [String: JSONValue] = [
                "runningKernel": .string(running), "newestKernel": .string(release(newest)),
                "installedKernels": .strings(kernels.map(release).sorted()),
            ]
            let newer: Bool
            if let runningPackage {
                newer = newest.evr > runningPackage.evr
            } else {
                // Not an installed package any more: compare the release texts as rpm versions.
                evidence["basis"] = "the running kernel has no installed package; releases compared"
                newer = RPMVersion.compare(release(newest), running) > 0
            }
            results.append(result("patch.reboot-required", target: "kernel", newer ? .fail : .pass, evidence: evidence))
        } else {
            results.append(result(
                "patch.reboot-required", target: "kernel", .skip,
                reason: runningKernelRelease(root) == nil ? "the running kernel is known only on the live system" : "no kernel package installed"))
        }
        return results
    }

    /// `patch.lists-age` for dnf: the newest of the cached `repomd.xml` files and of `last_makecache`
    /// (touched by every `dnf makecache`, as dnf keeps unchanged metadata with its old time).
    func dnfMetadataAge(_ root: FileSystemRoot, now: Date) -> CheckResult {
        let target = "/var/cache/dnf"
        var newest: (Date, String)?
        let candidates = root.glob("/var/cache/dnf/*/repodata/repomd.xml") + root.glob("/var/cache/libdnf5/*/repodata/repomd.xml")
            + ["/var/cache/dnf/last_makecache"].filter { root.exists($0) }
        for path in candidates {
            if let modified = root.info(path)?.modified, modified > (newest?.0 ?? .distantPast) { newest = (modified, path) }
        }
        guard let (last, path) = newest else {
            return result(
                "patch.lists-age", target: target, .warn, evidence: ["maximumDays": .int(listsMaximumAgeDays)],
                reason: "no dnf metadata in the cache: dnf makecache has never run")
        }
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        return result(
            "patch.lists-age", target: target, days > listsMaximumAgeDays ? .warn : .pass,
            evidence: ["lastUpdate": .time(last), "ageDays": .int(days), "maximumDays": .int(listsMaximumAgeDays), "basis": .string(path)])
    }

    // MARK: End of life

    func endOfLife(_ os: OSRelease, now: Date, sources: [APTSource]) -> CheckResult {
        let target = os.path ?? "/etc/os-release"
        guard let id = os.id else {
            return result("patch.os-eol", target: target, .error, reason: os.problem ?? "os-release has no ID field: the distribution is unknown")
        }
        var evidence: [String: JSONValue] = ["id": .string(id), "versionID": os.versionID.map { .string($0) } ?? .null]
        guard OSEndOfLife.trackedIDs.contains(id) else {
            return result(
                "patch.os-eol", target: target, .error, evidence: evidence,
                reason: "unknown distribution ID=\(id): cyberctl has end-of-life dates for \(OSEndOfLife.trackedIDs.sorted().joined(separator: ", ")) only")
        }
        guard let versionID = os.versionID, let entry = OSEndOfLife.entry(id: id, versionID: versionID),
              let securityEnd = OSEndOfLife.endOfDay(entry.security) else {
            return result(
                "patch.os-eol", target: target, .error, evidence: evidence,
                reason: "no end-of-life data for \(id) \(os.versionID ?? "(no VERSION_ID: testing, unstable or a non-LTS release)")")
        }
        evidence["release"] = .string(entry.name)
        evidence["securitySupportEnds"] = .string(entry.security)
        evidence["extendedSupportEnds"] = entry.extended.map { .string($0) } ?? .null
        evidence["extendedKind"] = entry.extendedKind.map { .string($0.rawValue) } ?? .null
        evidence["source"] = .string(entry.source)
        evidence["warningDays"] = .int(eolWarningDays)
        // The end that applies: the extended phase counts only when this host gets it.
        var end = securityEnd
        var basis = "security"
        if let extended = entry.extended, let extendedEnd = OSEndOfLife.endOfDay(extended), now >= securityEnd {
            switch entry.extendedKind {
            case .debianLTS:
                end = extendedEnd
                basis = "debian-lts"
            case .ubuntuESM where sources.contains(where: { $0.uri.contains("esm.ubuntu.com") }):
                end = extendedEnd
                basis = "ubuntu-esm"
            default: break
            }
        }
        evidence["dateUsed"] = .string(basis)
        let daysLeft = Int((end.timeIntervalSince(now) / 86_400).rounded(.down))
        evidence["daysLeft"] = .int(daysLeft)
        if now >= end { return result("patch.os-eol", target: target, .fail, severity: .high, evidence: evidence) }
        if basis != "security" || daysLeft < eolWarningDays {
            // Inside an extended phase (fewer packages, or paid) or close to the end.
            return result("patch.os-eol", target: target, .warn, severity: .medium, evidence: evidence)
        }
        return result("patch.os-eol", target: target, .pass, evidence: evidence)
    }
}

/// The fields of os-release(5) the patch check needs.
struct OSRelease {
    var id: String?
    var versionID: String?
    var idLike: [String] = []
    var path: String?
    var problem: String?

    var isRHELFamily: Bool {
        guard let id else { return false }
        return ["rhel", "rocky", "almalinux", "centos", "fedora", "ol"].contains(id)
            || idLike.contains { ["rhel", "fedora", "centos"].contains($0) }
    }

    static func read(_ root: FileSystemRoot) -> OSRelease {
        var release = OSRelease()
        for path in ["/etc/os-release", "/usr/lib/os-release"] where root.exists(path) {
            release.path = path
            do {
                let text = try root.readText(path, limit: 65536)
                var fields: [String: String] = [:]
                for line in text.split(whereSeparator: \.isNewline) {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
                    var value = String(trimmed[trimmed.index(after: equals)...])
                    if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                        value = String(value.dropFirst().dropLast())
                    }
                    fields[String(trimmed[..<equals])] = value
                }
                release.id = fields["ID"].map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
                release.versionID = fields["VERSION_ID"]
                release.idLike = (fields["ID_LIKE"] ?? "").split(separator: " ").map { String($0).lowercased() }
                if release.id == nil { release.problem = "\(path) has no ID field: the distribution is unknown" }
            } catch {
                release.problem = error.description
            }
            return release
        }
        release.problem = "neither /etc/os-release nor /usr/lib/os-release exists: the distribution is unknown"
        return release
    }
}
