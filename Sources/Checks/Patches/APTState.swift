import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// One `Packages` index apt would read, with the `Release` file of its suite.
public struct PackageIndex: Sendable {
    /// Path inside the audited system (`/var/lib/apt/lists/…_Packages.lz4`).
    public var path: String
    public var release: APTRelease?
    public var component: String
    public var architecture: String
    public var source: APTSource
    public var modified: Date?

    var host: String? { source.host }
}

/// An installed package whose candidate version (as apt's policy picks it) differs from the installed one.
public struct PendingUpdate: Sendable, Equatable {
    public var package: String
    public var architecture: String
    public var installed: String
    public var candidate: String
    /// The candidate comes from a security suite.
    public var security: Bool
    /// Suites (archive names) that carry the candidate.
    public var suites: [String]
    public var held: Bool
}

/// One configured source and its suite's `InRelease`/`Release` file as found under `/var/lib/apt/lists`.
public struct SourceRelease: Sendable {
    public var source: APTSource
    /// Path of the Release file inside the audited system; nil when there is none (never fetched).
    public var path: String?
    /// Its parsed fields; nil when absent or unreadable.
    public var release: APTRelease?
    /// When apt last brought it: the later of the file's modification time and its `Date:` field
    /// (the archive re-signs a suite several times a day; apt keeps an unchanged file with its old
    /// time). Nil when there is no Release file or neither is known.
    public var updated: Date?
}

/// What apt knows offline: configured sources, their lists, pins, and the candidates they give
/// the installed packages. Built from files only; nothing is downloaded or written.
public struct APTState: Sendable {
    public static let listsDirectory = "/var/lib/apt/lists"

    public var sources: APTSourcesReader.Result
    public var preferences: APTPreferences
    public var indexes: [PackageIndex] = []
    /// Configured (source, component, architecture) with no list on disk (`apt-get update` not run since).
    public var missingLists: [String] = []
    /// Inputs apt itself refuses, or that could not be read: unreadable or malformed sources, pins or
    /// configuration, an unreadable lists folder or Release file, a list that cannot be read whole
    /// (I/O error, truncated or corrupt compressed data, cut in the middle of a line), a stanza without
    /// `Package` (apt stops with "Encountered a section with no Package: header"). File, line when known,
    /// what is wrong. Candidates computed despite these are not trusted.
    public var unreadable: [LocalizedText] = []
    /// Gaps apt passes over silently but that leave the candidates incomplete: a configured source that
    /// was never fetched, a list the suite's Release announces but that is missing, broken stanzas
    /// skipped. File, line when known, what is wrong.
    public var incomplete: [LocalizedText] = []
    /// Why `/var/lib/apt/lists` itself could not be listed; nil when it could (or does not exist).
    public var listsFolderProblem: LocalizedText?
    /// Every problem, unreadable inputs first.
    public var problems: [LocalizedText] { unreadable + incomplete }
    /// Broken stanzas skipped in Packages files.
    public var brokenStanzas = 0
    /// When `apt-get update` last succeeded, as well as files tell: the newest of the Release/InRelease
    /// files' modification times, of their `Date:` fields (the archive re-signs its Release several
    /// times a day, while apt keeps an unchanged file with its old time), and of apt.systemd.daily's
    /// `update-success-stamp`. Failed runs (which touch `lists/partial/`) do not count. Nil when there is none.
    public var lastUpdate: Date?
    /// The file that gave `lastUpdate`.
    public var lastUpdateSource: String?
    /// Each configured source with its Release file and when apt last brought that file, in the
    /// order of `sources.sources`: the age of one suite's lists, judged per source.
    public var releaseFiles: [SourceRelease] = []
    /// Stanzas read across all indexes.
    public var stanzasRead = 0
    public var pending: [PendingUpdate] = []
    /// Security fixes apt will not install because a pin holds them below 0 (or below the installed version's
    /// priority): a security suite carries a version newer than the installed one, yet apt's candidate is older
    /// than it (apt_preferences(5)). Not in `pending`, which is apt's own view (`apt-get -s upgrade`); `candidate`
    /// is the newest such security version.
    public var pinnedSecurity: [PendingUpdate] = []
    /// `APT::Default-Release` from apt's configuration: versions of a matching suite get priority 990.
    public var defaultRelease: String?

    /// Reads sources, preferences, Release files and the Packages lists, and computes the pending
    /// updates of `database`'s packages.
    /// - Parameter configuration: apt's configuration files (`APT::Default-Release`); its problems count as unreadable inputs.
    static func load(
        _ root: FileSystemRoot, database: DpkgDatabase, configuration: APTConfiguration, dpkgForeignArchitectures: [String] = []
    ) -> APTState {
        var state = APTState(sources: APTSourcesReader.read(root), preferences: APTPreferences.read(root, configuration: configuration))
        state.defaultRelease = configuration.value("APT::Default-Release")?.value
        state.unreadable += configuration.problems + state.sources.problems + state.preferences.problems
        var listNames = Set<String>()
        do {
            listNames = Set(try root.entries(listsDirectory) ?? [])
        } catch {
            let problem = error.localizedText + LocalizedText(fr: " : les listes d'apt ne peuvent être lues", en: ": apt's lists cannot be read")
            state.listsFolderProblem = problem
            state.unreadable.append(problem)
        }
        let native = database.nativeArchitecture ?? "amd64"
        let systemArchitectures = [native] + dpkgForeignArchitectures.filter { $0 != native }
        var releases: [String: APTRelease?] = [:]
        var seenPaths = Set<String>()
        for source in state.sources.sources {
            // The suite's Release file (InRelease preferred, as apt does).
            let releaseName = ["InRelease", "Release"].map { source.listPrefix + $0 }.first { listNames.contains($0) }
            var release: APTRelease?
            if let releaseName {
                let path = listsDirectory + "/" + releaseName
                if let cached = releases[path] {
                    release = cached
                } else {
                    do {
                        release = try APTRelease.parse(try IndexFile.readAll(root, path, limit: 32 << 20), path: path)
                    } catch let error as ControlFileError {
                        state.unreadable.append(error.localizedText)
                    } catch let error as IndexFile.ReadError {
                        state.unreadable.append(error.localizedText)
                    } catch {
                        state.unreadable.append(.verbatim(String(describing: error)))
                    }
                    releases[path] = release
                }
                var updated: Date?
                if let modified = root.info(path)?.modified {
                    state.noteUpdate(modified, from: path)
                    updated = modified
                }
                // The archive signs a new Release several times a day: its Date says how fresh the copy is,
                // even when apt kept an unchanged file with its old modification time.
                if let written = release?.date, let date = APTRelease.parseDate(written) {
                    state.noteUpdate(date, from: path + " (Date)")
                    updated = max(updated ?? date, date)
                }
                state.releaseFiles.append(SourceRelease(source: source, path: path, release: release, updated: updated))
            } else {
                state.releaseFiles.append(SourceRelease(source: source, path: nil, release: nil, updated: nil))
            }
            if releaseName == nil && !source.isFlat {
                // Never fetched: whatever this source offers (security fixes included) is unknown.
                state.incomplete.append(LocalizedText(
                    fr: "\(source.origin) : \(source.uri) \(source.suite) n'a pas de fichier Release sous \(listsDirectory) : apt-get update n'a pas tourné depuis que la source est configurée, ou a échoué pour elle",
                    en: "\(source.origin): \(source.uri) \(source.suite) has no Release file under \(listsDirectory): apt-get update has not run since it was configured, or failed for it"))
            }
            // apt also asks for the optional binary-all index (Debian's archive announces it has none).
            let architectures = (source.architectures.isEmpty ? systemArchitectures : source.architectures) + ["all"]
            let components = source.isFlat ? [""] : source.components
            let gapsBefore = state.incomplete.count
            var listsFound = false
            for component in components {
                for architecture in Set(architectures).sorted() {
                    let base = source.packagesFileName(component: component, architecture: architecture)
                    guard let name = ListCompression.suffixes.map({ base + $0 }).first(where: { listNames.contains($0) }) else {
                        guard architecture != "all" else { continue }
                        state.missingLists.append("\(source.uri) \(source.suite) \(component) \(architecture)")
                        // A list the suite announces but that is not on disk: apt-get update failed for it, or lists were removed.
                        if let release, release.announces(component: component), release.architectures.contains(architecture) {
                            state.incomplete.append(LocalizedText(
                                fr: "\(listsDirectory)/\(base) : absente, alors que \(release.path) annonce \(component) pour \(architecture)",
                                en: "\(listsDirectory)/\(base): missing, although \(release.path) announces \(component) for \(architecture)"))
                        }
                        continue
                    }
                    let path = listsDirectory + "/" + name
                    listsFound = true
                    guard seenPaths.insert(path).inserted else { continue }
                    state.indexes.append(PackageIndex(
                        path: path, release: release, component: component, architecture: architecture, source: source,
                        modified: root.info(path)?.modified))
                }
            }
            // A suite apt fetched whose lists are all absent, though its Release announces none of them (a
            // component the suite does not have, a Release without Components): apt reads nothing from this
            // source, and says so only during apt-get update. Whatever it should bring is unknown.
            if let release, !source.isFlat, !listsFound, state.incomplete.count == gapsBefore {
                state.incomplete.append(LocalizedText(
                    fr: "\(source.origin) : \(source.uri) \(source.suite) \(source.components.joined(separator: " ")) : aucune liste de paquets sous \(listsDirectory), et \(release.path) ne les annonce pas (Components: \(release.components.joined(separator: " ")) ; Architectures: \(release.architectures.joined(separator: " "))) : apt ne lit rien de cette source",
                    en: "\(source.origin): \(source.uri) \(source.suite) \(source.components.joined(separator: " ")): no package list under \(listsDirectory), and \(release.path) does not announce them (Components: \(release.components.joined(separator: " ")); Architectures: \(release.architectures.joined(separator: " "))): apt reads nothing from this source"))
            }
        }
        // Other witnesses of a run count only when apt has lists for configured sources.
        if state.lastUpdate != nil {
            // Only a *successful* update counts: `lists/partial/` and `update-stamp` change on failed runs too.
            for path in ["/var/lib/apt/periodic/update-success-stamp"] {
                if let modified = root.info(path)?.modified { state.noteUpdate(modified, from: path) }
            }
        }
        state.computePending(root, database: database, native: native)
        return state
    }

    mutating func noteUpdate(_ date: Date, from path: String) {
        if date > (lastUpdate ?? .distantPast) {
            lastUpdate = date
            lastUpdateSource = path
        }
    }

    /// One version of one package as the indexes give it.
    struct Offer {
        var version: String
        var indexes: [Int]
    }

    /// Reads every index (streaming) for the versions of the installed packages, then applies apt's policy.
    mutating func computePending(_ root: FileSystemRoot, database: DpkgDatabase, native: String) {
        func key(_ name: String, _ architecture: String) -> String {
            name + ":" + (architecture == "all" ? native : architecture)
        }
        var installedByKey: [String: InstalledPackage] = [:]
        var installedNames = Set<String>()
        for package in database.packages {
            installedByKey[key(package.name, package.architecture)] = package
            installedNames.insert(package.name)
        }
        var offers: [String: [Offer]] = [:]
        for (indexNumber, index) in indexes.enumerated() {
            let outcome = Self.readIndex(root, index.path, wanted: installedNames)
            stanzasRead += outcome.stanzas
            brokenStanzas += outcome.broken.count
            incomplete += outcome.broken.prefix(5)
            if outcome.broken.count > 5 {
                incomplete.append(LocalizedText(
                    fr: "\(index.path) : \(outcome.broken.count - 5) autres strophes abîmées", en: "\(index.path): \(outcome.broken.count - 5) more broken stanzas"))
            }
            unreadable += outcome.refused.prefix(5)
            if let failure = outcome.failure { unreadable.append(failure) }
            for (name, version, architecture) in outcome.entries {
                let packageKey = key(name, architecture)
                guard installedByKey[packageKey] != nil else { continue }
                if let existing = offers[packageKey]?.firstIndex(where: { $0.version == version }) {
                    offers[packageKey]![existing].indexes.append(indexNumber)
                } else {
                    offers[packageKey, default: []].append(Offer(version: version, indexes: [indexNumber]))
                }
            }
        }
        var pending: [PendingUpdate] = []
        var pinnedSecurity: [PendingUpdate] = []
        for (packageKey, installed) in installedByKey {
            guard let available = offers[packageKey] else { continue }
            let candidate = candidate(for: installed, offers: available)
            // The newest security version that apt's policy passes over.
            let passedOver = available.filter { offer in
                (DebianVersion.compare(offer.version, candidate?.version ?? installed.version) ?? 0) > 0
                    && (DebianVersion.compare(offer.version, installed.version) ?? 0) > 0
                    && offer.indexes.contains { indexes[$0].release?.isSecurity == true }
            }.max { (DebianVersion.compare($0.version, $1.version) ?? 0) < 0 }
            if let passedOver {
                let releases = passedOver.indexes.compactMap { indexes[$0].release }.filter(\.isSecurity)
                pinnedSecurity.append(PendingUpdate(
                    package: installed.name, architecture: installed.architecture, installed: installed.version, candidate: passedOver.version,
                    security: true, suites: Array(Set(releases.compactMap { $0.suite ?? $0.codename })).sorted(), held: installed.held))
            }
            guard let candidate, DebianVersion.compare(candidate.version, installed.version) != 0 else { continue }
            let releases = candidate.indexes.compactMap { indexes[$0].release }
            // A security fix also counts when the candidate comes from another suite (-updates, a point
            // release) but a security suite carries a version between the installed one and the
            // candidate: the candidate supersedes that fix (update-notifier's apt_check does the same).
            let superseded = available.contains { offer in
                (DebianVersion.compare(offer.version, installed.version) ?? 0) > 0
                    && (DebianVersion.compare(offer.version, candidate.version) ?? 0) <= 0
                    && offer.indexes.contains { indexes[$0].release?.isSecurity == true }
            }
            pending.append(PendingUpdate(
                package: installed.name, architecture: installed.architecture, installed: installed.version,
                candidate: candidate.version, security: releases.contains { $0.isSecurity } || superseded,
                suites: Array(Set(releases.compactMap { $0.suite ?? $0.codename })).sorted(), held: installed.held))
        }
        self.pending = pending.sorted { ($0.package, $0.architecture) < ($1.package, $1.architecture) }
        self.pinnedSecurity = pinnedSecurity.sorted { ($0.package, $0.architecture) < ($1.package, $1.architecture) }
    }

    /// apt's candidate (apt-pkg `pkgPolicy::GetCandidateVer`): versions from newest to oldest, the
    /// first with the highest priority wins; below the installed version only a priority of 1000 or
    /// more may win (a downgrade); negative priorities never win.
    func candidate(for installed: InstalledPackage, offers: [Offer]) -> Offer? {
        var versions = offers
        if !versions.contains(where: { DebianVersion.compare($0.version, installed.version) == 0 }) {
            versions.append(Offer(version: installed.version, indexes: []))
        }
        versions.sort { (DebianVersion.compare($0.version, $1.version) ?? 0) > 0 }
        var best: Offer?
        var bestPriority = Int.min
        for offer in versions {
            let isInstalled = DebianVersion.compare(offer.version, installed.version) == 0
            var priority = Int.min
            for indexNumber in offer.indexes {
                let index = indexes[indexNumber]
                let source = APTPreferences.VersionSource(
                    release: index.release, component: index.component, architecture: index.architecture, host: index.host)
                let value = preferences.pinnedPriority(package: installed.name, version: offer.version, source: source)
                    ?? defaultPriority(index.release)
                priority = max(priority, value)
            }
            if isInstalled {
                let statusPriority = preferences.pinnedPriority(
                    package: installed.name, version: offer.version, source: .init(release: nil)) ?? 100
                priority = max(priority, statusPriority)
            }
            if priority >= 0 || isInstalled, priority > bestPriority {
                best = offer
                bestPriority = priority
            }
            if isInstalled && bestPriority < 1000 { break }
        }
        return best
    }

    /// apt's priority for a suite no pin names: 990 for the target release (`APT::Default-Release`,
    /// matched against archive and codename), else 1 / 100 / 500 from NotAutomatic and ButAutomaticUpgrades.
    func defaultPriority(_ release: APTRelease?) -> Int {
        guard let release else { return 500 }
        if let target = defaultRelease, !release.notAutomatic,
           [release.suite, release.codename].compactMap({ $0 }).contains(where: { APTPreferences.matches(target, $0) }) {
            return 990
        }
        return release.defaultPriority
    }

    struct IndexOutcome {
        var entries: [(String, String, String)] = []
        var stanzas = 0
        /// Broken stanzas apt skips too (a line that is not `Field: value`, no valid Version).
        var broken: [LocalizedText] = []
        /// Stanzas for which apt refuses the whole list (no Package field).
        var refused: [LocalizedText] = []
        /// Why the file could not be read whole.
        var failure: LocalizedText?
    }

    /// The per-stanza state of `readIndex`, a value mutated in place (no boxed captures, so no
    /// dynamic exclusivity checks per field).
    struct IndexCollector {
        let path: String
        let wanted: Set<String>
        var outcome = IndexOutcome()
        var name: String?
        var version: String?
        var architecture: String?
        var skip = false
        var hasVersion = false
        var malformed: LocalizedText?

        mutating func handle(_ event: ControlFileScanner.Event) {
            switch event {
            case .field(let field, let value, _):
                if skip {
                    if !hasVersion && field.isField("Version") { hasVersion = true }
                    return
                }
                if field.isField("Package") {
                    let text = value.string
                    name = text
                    if !wanted.contains(text) { skip = true }
                } else if field.isField("Version") {
                    version = value.string
                    hasVersion = true
                } else if field.isField("Architecture") {
                    architecture = value.string
                }
            case .malformed(let line, let problem):
                if malformed == nil { malformed = LocalizedText(fr: "\(path):\(line) : ", en: "\(path):\(line): ") + problem }
            case .endOfStanza(let start):
                outcome.stanzas += 1
                defer { name = nil; version = nil; architecture = nil; skip = false; hasVersion = false; malformed = nil }
                guard let package = name, !package.isEmpty else {
                    // apt's own message is quoted in English only (French readers get its meaning).
                    outcome.refused.append(LocalizedText(
                        fr: "\(path):\(start) : strophe sans champ Package (apt refuse alors la liste entière)",
                        en: "\(path):\(start): stanza without a Package field (apt refuses the list: \"Encountered a section with no Package: header\")"))
                    return
                }
                if let malformed {
                    outcome.broken.append(malformed + LocalizedText(fr: " (strophe ignorée)", en: " (stanza skipped)"))
                    return
                }
                if skip && hasVersion { return }
                guard let version = skip ? nil : version, DebianVersion(version) != nil else {
                    outcome.broken.append(LocalizedText(
                        fr: "\(path):\(start) : le paquet \(package) n'a pas de champ Version valide (strophe ignorée)",
                        en: "\(path):\(start): package \(package) has no valid Version field (stanza skipped)"))
                    return
                }
                outcome.entries.append((package, version, architecture ?? "all"))
            }
        }
    }

    /// Streams one Packages file, keeping (name, version, architecture) of the wanted names; every
    /// stanza is still checked for a well-formed Package and Version.
    static func readIndex(_ root: FileSystemRoot, _ path: String, wanted: Set<String>) -> IndexOutcome {
        var collector = IndexCollector(path: path, wanted: wanted)
        var scanner = ControlFileScanner()
        do {
            try IndexFile.stream(root, path) { chunk in scanner.feed(chunk) { collector.handle($0) } }
            scanner.finish { collector.handle($0) }
            // apt writes every list line with its newline: a last line without one was cut.
            if scanner.endedMidLine {
                collector.outcome.failure = LocalizedText(
                    fr: "\(path):\(scanner.line) : la liste s'arrête au milieu d'une ligne : elle est tronquée",
                    en: "\(path):\(scanner.line): the list ends in the middle of a line: it is truncated")
            }
        } catch {
            collector.outcome.failure = error.localizedText
        }
        return collector.outcome
    }
}
