import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
import Model
import NIS2
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
/// read, parsed or trusted gives `error` results naming the file and line, never an empty list read as
/// "nothing pending"; `skip` only where a rule does not apply (docs/patches.md, "error ou skip"); the
/// other rules go on.
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
    /// Folders searched for cyberctl's copy of distro-info-data instead of the shipped data folders (tests).
    var distroInfoFolders: [String]?

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
        let codes = ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"]
        var coverage: SecurityCoverage?
        if root.exists(DpkgDatabase.statusPath) {
            let (found, judged) = debian(context, os: os)
            results += found
            coverage = judged
        } else if os.isRHELFamily || root.exists("/var/lib/rpm") || root.exists("/usr/lib/sysimage/rpm") {
            results += await redHat(context, os: os)
        } else if os.isDebianFamily {
            // os-release says dpkg manages this system: its database is missing, not inapplicable.
            for code in codes {
                results.append(result(
                    code, target: DpkgDatabase.statusPath, .error,
                    reason: LocalizedText(
                        fr: "base des paquets absente : \(DpkgDatabase.statusPath) n'existe pas sur un système de la famille Debian (\(os.path ?? "os-release") : ID=\(os.id ?? "")) : les paquets installés ne peuvent être connus",
                        en: "package database missing: \(DpkgDatabase.statusPath) does not exist on a Debian-family system (\(os.path ?? "os-release"): ID=\(os.id ?? "")): the installed packages cannot be known")))
            }
        } else if let problem = os.problem, os.path != nil {
            // os-release exists but cannot be read: whether the rules apply is unknown.
            for code in codes {
                results.append(result(
                    code, target: "/", .error,
                    reason: LocalizedText(
                        fr: "aucune base de paquets dpkg ou rpm trouvée, et le système ne peut être identifié : \(problem.fr)",
                        en: "no dpkg or rpm package database found, and the system cannot be identified: \(problem.en)")))
            }
        } else {
            let what = os.id.map { LocalizedText(fr: "os-release donne ID=\($0), ni de la famille Debian ni de la famille RHEL", en: "os-release names ID=\($0), neither Debian-family nor RHEL-family") }
                ?? LocalizedText(fr: "il n'y a pas de fichier os-release", en: "there is no os-release file")
            for code in codes {
                results.append(result(
                    code, target: "/", .skip,
                    reason: LocalizedText(
                        fr: "pas un système de la famille Debian ou RHEL : aucune base de paquets dpkg ni rpm, et \(what.fr)",
                        en: "not a Debian or RHEL-family system: neither a dpkg nor an rpm package database exists, and \(what.en)")))
            }
        }
        results.append(endOfLife(
            os, root: root, now: context.clock.now(), sources: root.exists(DpkgDatabase.statusPath) ? APTSourcesReader.read(root).sources : [],
            securityCoverage: coverage))
        let elapsed = stopwatch.elapsedMs
        return results.map { var copy = $0; copy.durationMs = elapsed; return copy }
    }

    func result(
        _ code: String, target: String, _ status: Status, severity: Severity? = nil, evidence: [String: JSONValue] = [:],
        reason: LocalizedText? = nil
    ) -> CheckResult {
        let rule = Catalogue.rule(code)
        return CheckResult(
            check: Self.id, target: target, code: code, status: status, severity: severity ?? rule?.severity ?? .medium,
            evidence: evidence, references: rule?.references ?? [], reason: reason)
    }

    // MARK: Debian and Ubuntu

    /// The Debian/Ubuntu rules, and which sources bring the release's security fixes (nil when the
    /// sources could not all be read).
    func debian(_ context: CheckContext, os: OSRelease) -> ([CheckResult], SecurityCoverage?) {
        let root = context.root
        let now = context.clock.now()
        let statusTarget = DpkgDatabase.statusPath
        var results: [CheckResult] = []
        let configuration = APTConfiguration.read(root)
        let database: DpkgDatabase
        do {
            database = try DpkgDatabase.read(root)
            // dpkg itself is always installed: an empty database was not read, whatever the file holds.
            guard !database.packages.isEmpty else {
                throw ControlFileError(
                    path: statusTarget, line: 0, fr: "ne liste aucun paquet installé (pas même dpkg)", en: "lists no installed package (not even dpkg)")
            }
        } catch {
            let why = (error as? ControlFileError)?.localizedText ?? .verbatim("\(error)")
            let reason = LocalizedText(fr: "base dpkg illisible : ", en: "dpkg database unreadable: ") + why
            for code in ["patch.security-updates", "patch.pending-updates", "patch.held-packages", "patch.auto-updates"] {
                results.append(result(code, target: statusTarget, .error, reason: reason))
            }
            // The lists are still read: their age and their own problems do not depend on dpkg's database.
            let state = APTState.load(root, database: DpkgDatabase(packages: [], nativeArchitecture: nil), configuration: configuration)
            let coverage = Self.coverage(os, state: state)
            results += packageLists(state)
            results.append(listsAge(state, now: now, coverage: coverage))
            results.append(rebootRequired(root, kernels: nil, unreadable: reason))
            return (results, coverage)
        }
        // dpkg's foreign architectures (`dpkg --add-architecture`): apt reads their lists too.
        var foreign: [String] = []
        var archProblem: LocalizedText?
        if root.exists("/var/lib/dpkg/arch") {
            do {
                foreign = try root.readText("/var/lib/dpkg/arch", limit: 4096).split(whereSeparator: \.isNewline).map(String.init)
            } catch {
                archProblem = error.localizedText
                    + LocalizedText(fr: " : les architectures étrangères de dpkg ne peuvent être connues", en: ": dpkg's foreign architectures cannot be known")
            }
        }
        var state = APTState.load(root, database: database, configuration: configuration, dpkgForeignArchitectures: foreign)
        if let archProblem { state.unreadable.insert(archProblem, at: 0) }
        let coverage = Self.coverage(os, state: state)
        results += packageLists(state)
        if state.indexes.isEmpty && state.unreadable.isEmpty {
            let reason = state.sources.sources.isEmpty
                ? LocalizedText(
                    fr: "aucune source deb configurée dans /etc/apt/sources.list ou /etc/apt/sources.list.d : les versions candidates ne peuvent être connues",
                    en: "no deb source is configured in /etc/apt/sources.list or /etc/apt/sources.list.d: candidate versions cannot be known")
                : LocalizedText(
                    fr: "aucune liste de paquets sous \(APTState.listsDirectory) pour les sources configurées (apt-get update n'a pas tourné) : les versions candidates ne peuvent être connues hors ligne",
                    en: "no package list under \(APTState.listsDirectory) for the configured sources (apt-get update has not run): candidate versions cannot be known offline")
            results.append(result("patch.security-updates", target: statusTarget, .error, reason: reason))
            results.append(result("patch.pending-updates", target: statusTarget, .error, reason: reason))
        } else {
            results.append(securityUpdates(state, target: statusTarget, coverage: coverage, now: now))
            results.append(pendingUpdates(state, target: statusTarget, installedCount: database.packages.count))
        }
        results.append(heldPackages(database, pending: state.pending))
        results.append(listsAge(state, now: now, coverage: coverage))
        results.append(autoUpdatesDebian(root, database: database, configuration: configuration))
        let kernels = database.packages.filter { $0.name.hasPrefix("linux-image-") && $0.name.dropFirst(12).first?.isNumber == true }
        results.append(rebootRequired(root, kernels: kernels.map { (String($0.name.dropFirst(12)), $0.version) }, unreadable: nil))
        return (results, coverage)
    }

    /// Which sources of `state` bring `os`'s security fixes; nil when the sources could not all be read
    /// (a security source may be in the file that was not).
    static func coverage(_ os: OSRelease, state: APTState) -> SecurityCoverage? {
        guard state.sources.problems.isEmpty else { return nil }
        return SecurityCoverage.judge(os, releases: state.releaseFiles, files: state.sources.files).withoutPinnedAway(state.preferences, indexes: state.indexes)
    }

    func packageLists(_ state: APTState) -> [CheckResult] {
        let target = APTState.listsDirectory
        var evidence: [String: JSONValue] = [
            "sources": .int(state.sources.sources.count), "lists": .strings(state.indexes.map(\.path)),
            "stanzas": .int(state.stanzasRead),
        ]
        if !state.missingLists.isEmpty { evidence["missing"] = .strings(state.missingLists) }
        if !state.problems.isEmpty {
            evidence["problems"] = .strings(state.problems.map(\.en))
            evidence["brokenStanzas"] = .int(state.brokenStanzas)
            return [result(
                "patch.package-lists", target: target, .error, evidence: evidence,
                reason: LocalizedText(fr: "listes de paquets illisibles ou abîmées : ", en: "package lists unreadable or damaged: ")
                    + state.problems.prefix(3).joined())]
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

    /// Why candidates computed from `state` cannot be trusted at all (apt itself would refuse these
    /// inputs, or they could not be read); nil when they can.
    static func untrusted(_ state: APTState) -> LocalizedText? {
        guard !state.unreadable.isEmpty else { return nil }
        let listed = state.unreadable.prefix(3).joined()
        let extra = state.unreadable.count - 3
        return LocalizedText(
            fr: "les entrées d'apt n'ont pas toutes pu être lues, les versions candidates sont donc inconnues : \(listed.fr)" + (extra > 0 ? " (et \(extra) problème(s) de plus)" : ""),
            en: "apt's inputs could not all be read, so candidate versions are unknown: \(listed.en)" + (extra > 0 ? " (and \(extra) more problems)" : ""))
    }

    /// Why a result found in `state` may miss updates (sources never fetched, missing lists, skipped
    /// stanzas); nil when nothing is missing.
    static func gaps(_ state: APTState) -> LocalizedText? {
        guard !state.incomplete.isEmpty else { return nil }
        let extra = state.incomplete.count - 3
        return state.incomplete.prefix(3).joined()
            + (extra > 0 ? LocalizedText(fr: " (et \(extra) de plus)", en: " (and \(extra) more)") : .verbatim(""))
    }

    /// `patch.security-updates`: `fail` when a candidate is a security fix, or when no configured source
    /// brings the release's security fixes (`SecurityCoverage`: the host can receive none); `error` when
    /// the inputs cannot be trusted, when nothing was found but some lists are missing, or when the
    /// security suite's list is older than `listsMaximumAgeDays` (a pass would be unverified).
    func securityUpdates(_ state: APTState, target: String, coverage: SecurityCoverage?, now: Date) -> CheckResult {
        if let reason = Self.untrusted(state) {
            return result("patch.security-updates", target: target, .error, evidence: ["problems": .strings(state.unreadable.map(\.en))], reason: reason)
        }
        let security = state.pending.filter(\.security)
        var evidence: [String: JSONValue] = ["count": .int(security.count), "updates": Self.updateList(security)]
        // Security fixes a pin keeps apt from installing: published, not installed, and never will be as configured.
        let pinned = state.pinnedSecurity
        if !pinned.isEmpty { evidence["pinnedBack"] = Self.updateList(pinned) }
        if let coverage {
            evidence["securitySources"] = coverage.evidence
            evidence["expectedSuites"] = .strings(coverage.expectedSuites)
            if let suggestion = coverage.suggestion { evidence["suggestedSource"] = .string(suggestion) }
            switch coverage.verdict {
            case .missing:
                let expected = coverage.namedSuites.isEmpty ? "*-security" : coverage.namedSuites.joined(separator: ", ")
                let release = coverage.codename ?? "cette version"
                let files = coverage.files.isEmpty ? "/etc/apt/sources.list" : coverage.files.joined(separator: ", ")
                let add = coverage.suggestion.map { (fr: " ; ajouter par exemple « \($0) »", en: "; add for instance \"\($0)\"") }
                // Sources that are configured but held below 0 by a pin: name them and the pin, they are the fix.
                let pinned = coverage.pinnedAway.map { (source: SecurityCoverage.describe($0.entry.source), pin: "Pin-Priority \($0.pin.priority), \($0.pin.origin)") }
                if !pinned.isEmpty {
                    evidence["pinnedAwaySecuritySources"] = .strings(pinned.map { "\($0.source): \($0.pin)" })
                    if security.isEmpty { evidence["count"] = nil }
                    return result(
                        "patch.security-updates", target: target, .fail, evidence: evidence,
                        reason: LocalizedText(
                            fr: "les sources de sécurité configurées sont bloquées par un pin apt de priorité négative : \(pinned.map { "\($0.source) (\($0.pin))" }.joined(separator: " ; ")) ; apt n'installe rien depuis ces sources, ce serveur ne peut recevoir aucun correctif de sécurité : retirer ce pin",
                            en: "the configured security sources are held back by an apt pin with a negative priority: \(pinned.map { "\($0.source) (\($0.pin))" }.joined(separator: "; ")); apt installs nothing from them, this server cannot receive any security fix: remove the pin"))
                }
                // Zero pending out of no security suite is no figure: monitoring (ReportFigures, the
                // security_updates metric and gauge) shows a gap, not a reassuring 0.
                if security.isEmpty { evidence["count"] = nil }
                return result(
                    "patch.security-updates", target: target, .fail, evidence: evidence,
                    reason: LocalizedText(
                        fr: "aucune source de mises à jour de sécurité configurée pour \(release) : aucune source deb active ne donne \(expected) (lu : \(files)) ; ce serveur ne peut recevoir aucun correctif de sécurité\(add?.fr ?? "")",
                        en: "no security update source configured for \(coverage.codename ?? "this release"): no enabled deb source gives \(expected) (read: \(files)); this server cannot receive any security fix\(add?.en ?? "")"))
            case .notChecked(let why):
                evidence["securitySourcesNotChecked"] = .string(why.en)
            case .covered:
                let stale = coverage.stale(now: now, maximumDays: listsMaximumAgeDays)
                if !stale.isEmpty {
                    let named = stale.map { ($0.entry, $0.days) }
                    let fr = named.map { "liste de sécurité du \(EndOfSupportText.day(Self.dayText($0.0.updated!), .fr) ?? "") (\(SecurityCoverage.describe($0.0.source)), \($0.0.path ?? "") : \($0.1) jours)" }.joined(separator: " ; ")
                    let en = named.map { "security list of \(Self.dayText($0.0.updated!)) (\(SecurityCoverage.describe($0.0.source)), \($0.0.path ?? ""): \($0.1) days)" }.joined(separator: "; ")
                    evidence["staleSecurityLists"] = .strings(named.map { "\($0.0.source.uri) \($0.0.source.suite): \($0.1) days" })
                    guard !security.isEmpty || !pinned.isEmpty else {
                        return result(
                            "patch.security-updates", target: target, .error, evidence: evidence,
                            reason: LocalizedText(
                                fr: "\(fr) : trop ancienne pour conclure (plus de \(listsMaximumAgeDays) jours) : les correctifs publiés depuis n'y sont pas",
                                en: "\(en): too old to conclude (more than \(listsMaximumAgeDays) days): fixes published since are not in it"))
                    }
                    evidence["note"] = .string("more security updates may be pending: \(en)")
                }
            }
        }
        if let gaps = Self.gaps(state) {
            guard !security.isEmpty || !pinned.isEmpty else {
                return result(
                    "patch.security-updates", target: target, .error, evidence: evidence,
                    reason: LocalizedText(
                        fr: "aucune mise à jour de sécurité dans les listes lisibles, mais certaines manquent ou sont abîmées : \(gaps.fr)",
                        en: "no security update in the lists that could be read, but some are missing or damaged: \(gaps.en)"))
            }
            evidence["note"] = .string("more updates may be pending: \(gaps.en)")
        }
        if !pinned.isEmpty {
            // Where the pins come from: the pin files read (where apt's configuration puts them), and the default release.
            let sources = state.preferences.files + (state.defaultRelease == nil ? [] : ["APT::Default-Release"])
            let pinSources = sources.isEmpty ? "/etc/apt/preferences*, APT::Default-Release" : sources.prefix(5).joined(separator: ", ")
                + (sources.count > 5 ? " (+\(sources.count - 5))" : "")
            let named = pinned.prefix(5).map { "\($0.package) \($0.candidate) (\($0.suites.joined(separator: ", ")))" }.joined(separator: ", ")
                + (pinned.count > 5 ? " (+\(pinned.count - 5))" : "")
            return result(
                "patch.security-updates", target: target, .fail, evidence: evidence,
                reason: LocalizedText(
                    fr: "\(pinned.count) correctif(s) de sécurité publié(s) qu'apt n'installera pas à cause d'un pin (\(pinSources)) : \(named)"
                        + (security.isEmpty ? "" : " ; et \(security.count) mise(s) à jour de sécurité en attente"),
                    en: "\(pinned.count) published security fix(es) apt will not install because of a pin (\(pinSources)): \(named)"
                        + (security.isEmpty ? "" : "; and \(security.count) security update(s) pending")))
        }
        return result("patch.security-updates", target: target, security.isEmpty ? .pass : .fail, evidence: evidence)
    }

    /// `patch.pending-updates`: `warn` above `pendingThreshold`; `error` as `securityUpdates` says.
    func pendingUpdates(_ state: APTState, target: String, installedCount: Int) -> CheckResult {
        if let reason = Self.untrusted(state) {
            return result("patch.pending-updates", target: target, .error, evidence: ["problems": .strings(state.unreadable.map(\.en))], reason: reason)
        }
        let pending = state.pending
        var evidence: [String: JSONValue] = [
            "count": .int(pending.count), "threshold": .int(pendingThreshold), "installed": .int(installedCount),
            "security": .int(pending.filter(\.security).count), "updates": Self.updateList(pending),
        ]
        if let gaps = Self.gaps(state) {
            guard pending.count > pendingThreshold else {
                return result(
                    "patch.pending-updates", target: target, .error, evidence: evidence,
                    reason: LocalizedText(
                        fr: "\(pending.count) mises à jour en attente dans les listes lisibles, mais certaines manquent ou sont abîmées : \(gaps.fr)",
                        en: "\(pending.count) pending updates in the lists that could be read, but some are missing or damaged: \(gaps.en)"))
            }
            evidence["note"] = .string("more updates may be pending: \(gaps.en)")
        }
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

    /// `patch.lists-age`: `warn` when no Release file of a configured source exists, when the newest is
    /// older than `listsMaximumAgeDays`, or when the release's security suite's is (judged per source:
    /// a fresh main list does not make a stale security list fresh); `error` when the lists folder
    /// cannot be listed.
    func listsAge(_ state: APTState, now: Date, coverage: SecurityCoverage?) -> CheckResult {
        let target = APTState.listsDirectory
        if let problem = state.listsFolderProblem {
            return result("patch.lists-age", target: target, .error, reason: problem)
        }
        guard let last = state.lastUpdate else {
            return result(
                "patch.lists-age", target: target, .warn,
                evidence: ["maximumDays": .int(listsMaximumAgeDays), "lists": .int(state.indexes.count)],
                reason: LocalizedText(
                    fr: "aucun fichier Release d'une source configurée sous \(target) : apt-get update n'a jamais tourné",
                    en: "no Release file of a configured source under \(target): apt-get update has never run"))
        }
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        var evidence: [String: JSONValue] = [
            "lastUpdate": .time(last), "ageDays": .int(days), "maximumDays": .int(listsMaximumAgeDays),
            "basis": .string(state.lastUpdateSource ?? ""),
        ]
        evidence["sources"] = .array(state.releaseFiles.map { entry in
            .object([
                "source": .string("\(entry.source.uri) \(entry.source.suite)"), "release": entry.path.map { .string($0) } ?? .null,
                "updated": entry.updated.map { .time($0) } ?? .null,
                "ageDays": entry.updated.map { .int(Int((now.timeIntervalSince($0) / 86_400).rounded(.down))) } ?? .null,
            ])
        })
        let stale = coverage?.verdict == .covered ? coverage!.stale(now: now, maximumDays: listsMaximumAgeDays) : []
        if !stale.isEmpty {
            evidence["staleSecurityLists"] = .strings(stale.map { "\($0.entry.source.uri) \($0.entry.source.suite): \($0.days) days" })
            let fr = stale.map { "\(SecurityCoverage.describe($0.entry.source)) : \($0.entry.path ?? "") date du \(EndOfSupportText.day(Self.dayText($0.entry.updated!), .fr) ?? "") (\($0.days) jours)" }.joined(separator: " ; ")
            let en = stale.map { "\(SecurityCoverage.describe($0.entry.source)): \($0.entry.path ?? "") dates from \(Self.dayText($0.entry.updated!)) (\($0.days) days)" }.joined(separator: "; ")
            return result(
                "patch.lists-age", target: target, .warn, evidence: evidence,
                reason: LocalizedText(
                    fr: "liste de la suite de sécurité plus ancienne que \(listsMaximumAgeDays) jours : \(fr)" + (days <= listsMaximumAgeDays ? " (les autres listes sont à jour : apt-get update échoue pour cette source ?)" : ""),
                    en: "security suite list older than \(listsMaximumAgeDays) days: \(en)" + (days <= listsMaximumAgeDays ? " (the other lists are fresh: does apt-get update fail for this source?)" : "")))
        }
        return result("patch.lists-age", target: target, days > listsMaximumAgeDays ? .warn : .pass, evidence: evidence)
    }

    /// Whether an `APT::Periodic` interval makes apt.systemd.daily run the job, as its `check_stamp` decides:
    /// `always` runs; exactly `0` never does; otherwise a whole number with an optional unit (`s`, `m`, `h`, `d`;
    /// days without one) runs once that much time has passed (`0d` therefore runs every time). Unset or anything
    /// else (the script's shell arithmetic fails on it): it does not.
    static func periodicIntervalRuns(_ value: String?) -> Bool {
        guard var text = value, !text.isEmpty, text != "0" else { return false }
        if text == "always" { return true }
        if let unit = text.last, "smhd".contains(unit) { text.removeLast() }
        return Int(text) != nil
    }

    /// True when a systemd unit is masked (linked to /dev/null) in /etc.
    static func isMasked(_ unit: String, root: FileSystemRoot) -> Bool {
        (try? root.resolve("/etc/systemd/system/" + unit)) == "/dev/null"
    }

    func autoUpdatesDebian(_ root: FileSystemRoot, database: DpkgDatabase, configuration: APTConfiguration) -> CheckResult {
        let target = "unattended-upgrades"
        guard configuration.problems.isEmpty else {
            return result(
                "patch.auto-updates", target: target, .error, evidence: ["problems": .strings(configuration.problems.map(\.en))],
                reason: configuration.problems.prefix(3).joined())
        }
        let installed = database.packages.contains { $0.name == "unattended-upgrades" && $0.state == "installed" }
        var evidence: [String: JSONValue] = ["installed": .bool(installed)]
        var missing: [String] = []
        if !installed { missing.append("the unattended-upgrades package is not installed") }
        for option in ["APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"] {
            let found = configuration.value(option)
            evidence[option] = found.map { .string("\($0.value) (\($0.file))") } ?? .null
            if !Self.periodicIntervalRuns(found?.value) { missing.append("\(option) is not set to a non-zero value") }
        }
        // apt.systemd.daily does nothing at all when APT::Periodic::Enable is 0 (its default is 1).
        if let enable = configuration.value("APT::Periodic::Enable") {
            evidence["APT::Periodic::Enable"] = .string("\(enable.value) (\(enable.file))")
            if Int(enable.value) == 0 { missing.append("APT::Periodic::Enable is 0: apt.systemd.daily does nothing") }
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
    func rebootRequired(_ root: FileSystemRoot, kernels: [(String, String)]?, unreadable: LocalizedText?) -> CheckResult {
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
                reason: LocalizedText(
                    fr: "le noyau en cours n'est connu que sur le système vivant ; \(flag) est absent de cette image (il vit dans un tmpfs)",
                    en: "the running kernel is known only on the live system; \(flag) is absent in this image (it lives in a tmpfs)"))
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

    func redHat(_ context: CheckContext, os: OSRelease) async -> [CheckResult] {
        let root = context.root
        var results: [CheckResult] = []
        let codes = ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"]
        guard let database = RPMPatchLevel.databasePath(root) else {
            for code in codes {
                results.append(result(
                    code, target: "rpm", .error,
                    reason: LocalizedText(
                        fr: "base des paquets absente : pas de base rpm (\(RPMPatchLevel.databaseFiles.joined(separator: ", "))) sur un système de la famille RHEL (\(os.path ?? "os-release") : ID=\(os.id ?? "")) : les paquets installés ne peuvent être connus",
                        en: "package database missing: no rpm database (\(RPMPatchLevel.databaseFiles.joined(separator: ", "))) on a RHEL-family system (\(os.path ?? "os-release"): ID=\(os.id ?? "")): the installed packages cannot be known")))
            }
            return results
        }
        guard let rpm = RPMPatchLevel.rpmPaths.first(where: { context.commands.allowlist.contains($0) && FileManager.default.isExecutableFile(atPath: $0) }) else {
            for code in codes {
                results.append(result(
                    code, target: "rpm", .error,
                    reason: LocalizedText(
                        fr: "la base rpm \(database) ne peut être lue : le programme rpm n'est pas installé sur cette machine (ou pas permis)",
                        en: "the rpm database \(database) cannot be read: the rpm program is not installed on this machine (or not allowed)")))
            }
            return results
        }
        var arguments = ["-qa", "--queryformat", RPMPatchLevel.queryFormat]
        // On an image, the image's own database: rpm's default path is the running system's (Debian's rpm
        // keeps it in ~/.rpmdb), and --dbpath is taken inside --root.
        if !root.isSystemRoot { arguments = ["--root", root.path, "--dbpath", database] + arguments }
        let packages: [RPMPatchLevel.Package]
        do {
            let output = try await context.commands.run(rpm, arguments, timeout: commandTimeout, outputLimit: 64 << 20)
            guard output.exitCode == 0 else {
                // rpm's own error output, quoted as is.
                throw ControlFileError(
                    path: "rpm -qa", line: 0, fr: "code de sortie \(output.exitCode) : \(output.standardError.prefix(300))",
                    en: "exit \(output.exitCode): \(output.standardError.prefix(300))")
            }
            packages = try RPMPatchLevel.parseQuery(output.standardOutput)
            // rpm itself is always installed: an empty answer means the database was not read.
            guard !packages.isEmpty else {
                throw ControlFileError(
                    path: "rpm -qa", line: 0, fr: "n'a listé aucun paquet installé depuis \(database) (base vide ou illisible)",
                    en: "listed no installed package from \(database) (empty or unreadable database)")
            }
        } catch {
            for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
                results.append(result(code, target: "rpm", .error, reason: LocalizedText(fr: "rpm -qa : ", en: "rpm -qa: ") + Self.text(of: error)))
            }
            return results
        }
        let dnf = RPMPatchLevel.dnfPaths.first { context.commands.allowlist.contains($0) && FileManager.default.isExecutableFile(atPath: $0) }
        let dnfPrefix = root.isSystemRoot ? [] : (dnfImageArguments ?? [])
        if (!root.isSystemRoot && dnfImageArguments == nil) || dnf == nil {
            let reason = dnf == nil
                ? LocalizedText(
                    fr: "dnf n'est pas installé sur cette machine (ou pas permis) : les mises à jour en attente ne peuvent être listées",
                    en: "dnf is not installed on this machine (or not allowed): pending updates cannot be listed")
                : LocalizedText(
                    fr: "les mises à jour en attente d'une image ne peuvent être listées : cyberctl ne lit le cache de dnf que sur le système vivant (dnf écrit dans la racine qu'on lui donne)",
                    en: "pending updates of an image cannot be listed: cyberctl reads dnf's cache only on the live system (dnf writes into the root it is given)")
            results.append(result("patch.security-updates", target: "dnf", .error, reason: reason))
            results.append(result("patch.pending-updates", target: "dnf", .error, reason: reason))
        } else if let dnf {
            do {
                // A repository without cache is skipped silently by default (skip_if_unavailable): its
                // updates would be missing from an answer that looks complete, so dnf is told to fail instead.
                let strict = ["-C", "-q", "--setopt=skip_if_unavailable=False"]
                let security = try await context.commands.run(dnf, dnfPrefix + strict + ["updateinfo", "list", "--security"], timeout: commandTimeout)
                guard security.exitCode == 0 else {
                    throw ControlFileError(
                        path: "dnf -C updateinfo", line: 0, fr: "code de sortie \(security.exitCode) : \(security.standardError.prefix(300))",
                        en: "exit \(security.exitCode): \(security.standardError.prefix(300))")
                }
                let updates = try RPMPatchLevel.parseSecurityList(security.standardOutput)
                let list: JSONValue = .array(updates.map { update in
                    let installed = packages.first { $0.name == update.name && $0.architecture == update.architecture }
                    return .object([
                        "package": .string(update.name), "architecture": .string(update.architecture),
                        "installed": installed.map { .string($0.evr.description) } ?? .null, "candidate": .string(update.available),
                        "advisory": update.advisory.map { .string($0) } ?? .null, "severity": update.severity.map { .string($0) } ?? .null,
                    ])
                })
                results.append(result("patch.security-updates", target: "dnf", updates.isEmpty ? .pass : .fail, evidence: ["count": .int(updates.count), "updates": list]))
                let check = try await context.commands.run(dnf, dnfPrefix + strict + ["check-update"], timeout: commandTimeout)
                guard check.exitCode == 0 || check.exitCode == 100 else {
                    throw ControlFileError(
                        path: "dnf -C check-update", line: 0, fr: "code de sortie \(check.exitCode) : \(check.standardError.prefix(300))",
                        en: "exit \(check.exitCode): \(check.standardError.prefix(300))")
                }
                let pending = try RPMPatchLevel.parseCheckUpdate(check.standardOutput)
                results.append(result(
                    "patch.pending-updates", target: "dnf", pending.count > pendingThreshold ? .warn : .pass,
                    evidence: ["count": .int(pending.count), "threshold": .int(pendingThreshold),
                               "updates": .strings(pending.map { "\($0.name).\($0.architecture) \($0.available)" })]))
            } catch {
                let reason = Self.text(of: error) + LocalizedText(fr: " (dnf makecache a-t-il tourné ?)", en: " (has dnf makecache run?)")
                results.append(result("patch.security-updates", target: "dnf", .error, reason: reason))
                results.append(result("patch.pending-updates", target: "dnf", .error, reason: reason))
            }
        }
        results.append(dnfMetadataAge(root, now: context.clock.now()))
        // Held packages: the versionlock plugin's list (`dnf versionlock add`); `!` lines exclude, not hold.
        let lockPath = "/etc/dnf/plugins/versionlock.list"
        if root.exists(lockPath) {
            do {
                let locks = try root.readText(lockPath, limit: 1 << 20).split(whereSeparator: \.isNewline)
                    .map { $0.trimming(.whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("!") }
                results.append(result(
                    "patch.held-packages", target: lockPath, locks.isEmpty ? .pass : .warn,
                    evidence: ["count": .int(locks.count), "packages": .strings(locks)]))
            } catch {
                results.append(result("patch.held-packages", target: lockPath, .error, reason: error.localizedText))
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
                reason: runningKernelRelease(root) == nil
                    ? LocalizedText(fr: "le noyau en cours n'est connu que sur le système vivant", en: "the running kernel is known only on the live system")
                    : LocalizedText(fr: "aucun paquet de noyau installé", en: "no kernel package installed")))
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
                reason: LocalizedText(
                    fr: "pas de métadonnées dnf dans le cache : dnf makecache n'a jamais tourné", en: "no dnf metadata in the cache: dnf makecache has never run"))
        }
        let days = Int((now.timeIntervalSince(last) / 86_400).rounded(.down))
        return result(
            "patch.lists-age", target: target, days > listsMaximumAgeDays ? .warn : .pass,
            evidence: ["lastUpdate": .time(last), "ageDays": .int(days), "maximumDays": .int(listsMaximumAgeDays), "basis": .string(path)])
    }
}

extension PackagesCheck {
    /// A nested failure in both languages: a control-file or command error, or another error's own text.
    static func text(of error: any Error) -> LocalizedText {
        if let error = error as? ControlFileError { return error.localizedText }
        if let error = error as? CommandError { return error.localizedText }
        if let error = error as? FileAccessError { return error.localizedText }
        return .verbatim(String(describing: error))
    }
}
