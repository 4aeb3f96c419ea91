import FoundationEssentials
import Model

/// Which configured apt sources bring the security fixes of the audited release, and how fresh their
/// lists are. A host without one can never receive a security fix, whatever its lists say: no pending
/// security update is then no reassurance at all.
///
/// The suite that carries a release's security fixes:
/// - Debian 11 and later: `<codename>-security` (security.debian.org/debian-security or a mirror of it);
///   Debian 10 and earlier: `<codename>/updates` (https://www.debian.org/security/, "sources.list");
///   Freexian's Extended LTS: `deb.freexian.com/extended-lts <codename>`.
/// - Ubuntu: `<codename>-security` (security.ubuntu.com or archive.ubuntu.com, or a mirror), and Ubuntu
///   Pro's `<codename>-infra-security` / `<codename>-apps-security` (esm.ubuntu.com).
/// - The same names as unattended-upgrades' default origins (`origin=Debian,codename=${distro_codename}-security`,
///   `${distro_id}:${distro_codename}-security`, in its shipped `50unattended-upgrades`), and lynis
///   PKGS-7388 ("Can't find any security repository in /etc/apt/sources.list or sources.list.d
///   directory", include/tests_ports_packages), which greps the files for `security.debian.org`,
///   `security.ubuntu.com` or `security/`: cyberctl reads the sources as apt does instead (deb822
///   `*.sources` included, `deb-src` and `Enabled: no` stanzas left out, `[trusted=yes]` and other
///   options allowed), matches the suite name whatever the host (a local mirror counts), and also a
///   symbolic suite (`stable-security`) whose Release file names the codename.
///
/// Derived distributions that name their base release (`UBUNTU_CODENAME`, `DEBIAN_CODENAME`: Linux Mint,
/// Pop!_OS, LMDE) are held to its security suite; the others (Raspbian, Kali…) pass when any security
/// suite is configured and are otherwise not judged (cyberctl does not know their security channel).
/// Debian unstable (no `VERSION_ID`, a `sid`/`unstable` source) has no security suite.
struct SecurityCoverage: Sendable {
    enum Verdict: Sendable, Equatable {
        /// At least one enabled source is a security suite of the release.
        case covered
        /// None is: the host receives no security fix.
        case missing
        /// Not judged, and why (a derived distribution whose security suite cyberctl does not know, Debian unstable).
        case notChecked(LocalizedText)
    }

    var verdict: Verdict
    /// Codename the security suite was looked for (`bookworm`); nil when os-release does not give it.
    var codename: String?
    /// The suite names that count, the usual one first (`bookworm-security`).
    var expectedSuites: [String]
    /// The matching sources with their Release files.
    var sources: [SourceRelease]
    /// Security sources apt installs nothing from, each with the pin that holds it below 0 (`withoutPinnedAway`).
    var pinnedAway: [(entry: SourceRelease, pin: APTPreferences.Pin)] = []
    /// The sources files read.
    var files: [String]
    /// The suites a reason names: Debian's usual one (its alternative spelling is accepted, not suggested), Ubuntu's three.
    var namedSuites: [String] { isUbuntu ? expectedSuites : Array(expectedSuites.prefix(1)) }
    var isUbuntu = false
    /// The line to add, for the reason text (nil when the distribution is not Debian or Ubuntu).
    var suggestion: String?

    /// Debian releases whose security suite was `<codename>/updates`.
    static let slashUpdatesReleases: Set<String> = ["squeeze", "wheezy", "jessie", "stretch", "buster"]

    /// Judges `releases` (every configured, enabled `deb` source with its Release file) for `os`.
    static func judge(_ os: OSRelease, releases: [SourceRelease], files: [String]) -> SecurityCoverage {
        let id = os.id ?? ""
        let isDebian = id == "debian" || (id != "ubuntu" && os.ubuntuCodename == nil && os.debianCodename != nil)
        let isUbuntu = id == "ubuntu" || (id != "debian" && os.ubuntuCodename != nil)
        let known = id == "debian" || id == "ubuntu"
        let codename = (known ? os.codename : (os.ubuntuCodename ?? os.debianCodename))?.lowercased()
        var coverage = SecurityCoverage(verdict: .missing, codename: codename, expectedSuites: [], sources: [], files: files)

        if id == "debian", os.versionID == nil,
           releases.contains(where: { ["sid", "unstable"].contains($0.source.suite.lowercased()) }) {
            coverage.verdict = .notChecked(LocalizedText(
                fr: "Debian unstable (sid) n'a pas de suite de sécurité : ses correctifs arrivent par les envois ordinaires",
                en: "Debian unstable (sid) has no security suite: its fixes come through ordinary uploads"))
            return coverage
        }
        if let codename {
            coverage.isUbuntu = isUbuntu
            if isUbuntu {
                coverage.expectedSuites = ["\(codename)-security", "\(codename)-infra-security", "\(codename)-apps-security"]
                coverage.suggestion = "deb http://security.ubuntu.com/ubuntu \(codename)-security main restricted universe multiverse"
            } else {
                let old = slashUpdatesReleases.contains(codename)
                coverage.expectedSuites = old ? ["\(codename)/updates", "\(codename)-security"] : ["\(codename)-security", "\(codename)/updates"]
                coverage.suggestion = "deb http://security.debian.org/debian-security \(coverage.expectedSuites[0]) main"
            }
            let expected = Set(coverage.expectedSuites)
            coverage.sources = releases.filter { entry in
                let suite = entry.source.suite.lowercased()
                if expected.contains(suite) { return true }
                // A symbolic suite (`stable-security`) whose Release file names this release's security codename.
                if let release = entry.release, release.isSecurity, let named = release.codename?.lowercased(), expected.contains(named) { return true }
                // Freexian's Extended LTS archive names the release itself.
                if isDebian, entry.source.uri.contains(PackagesCheck.freexianELTS), suite == codename || suite.hasPrefix(codename + "-") { return true }
                return false
            }
        } else {
            // No codename to match: any security suite counts.
            coverage.sources = releases.filter { entry in
                let suite = entry.source.suite.lowercased()
                return suite.hasSuffix("-security") || suite.hasSuffix("/updates") || entry.release?.isSecurity == true
            }
            if coverage.sources.isEmpty && !known {
                let base = os.idLike.joined(separator: " ")
                coverage.verdict = .notChecked(LocalizedText(
                    fr: "\(id) (dérivée de \(base)) ne nomme pas sa version de base (UBUNTU_CODENAME, DEBIAN_CODENAME) et aucune suite *-security n'est configurée : cyberctl ne connaît pas la source de sécurité de cette distribution",
                    en: "\(id) (derived from \(base)) names no base release (UBUNTU_CODENAME, DEBIAN_CODENAME) and no *-security suite is configured: cyberctl does not know this distribution's security source"))
                return coverage
            }
        }
        coverage.verdict = coverage.sources.isEmpty ? .missing : .covered
        return coverage
    }

    /// This coverage without the security sources that a general pin holds below 0 for every component: apt installs
    /// no version from them (apt_preferences(5): "P < 0 prevents the version from being installed"), so they bring no
    /// fix. When none is left, the verdict becomes `missing`: a pin such as `Package: *`, `Pin: release
    /// l=Debian-Security`, `Pin-Priority: -1` cuts the host off its security fixes as surely as a missing source.
    /// Each source is judged on the lists apt reads from it (`indexes`: component and architecture, so that `c=` and
    /// `b=` pins match as apt matches them), or on its components when none is on disk.
    func withoutPinnedAway(_ preferences: APTPreferences, indexes: [PackageIndex] = []) -> SecurityCoverage {
        var coverage = self
        coverage.sources = []
        for entry in sources {
            let lists = indexes.filter { $0.source.uri == entry.source.uri && $0.source.suite == entry.source.suite }
            let places: [(component: String?, architecture: String?)] = !lists.isEmpty
                ? lists.map { ($0.component, $0.architecture) }
                : (entry.source.components.isEmpty ? [nil] : entry.source.components.map(Optional.some)).map { ($0, nil) }
            let pins = places.map { place in
                preferences.generalPin(source: .init(
                    release: entry.release, component: place.component, architecture: place.architecture, host: entry.source.host))
            }
            if let pin = pins.first ?? nil, pins.allSatisfy({ ($0?.priority ?? 0) < 0 }) {
                coverage.pinnedAway.append((entry, pin))
            } else {
                coverage.sources.append(entry)
            }
        }
        if coverage.verdict == .covered && coverage.sources.isEmpty { coverage.verdict = .missing }
        return coverage
    }

    /// Security suites whose freshest list is older than `maximumDays` on `now`: for each suite (mirrors
    /// of one suite grouped), the source whose Release file is the newest, with its age in whole days.
    /// Sources without a Release file are left out: they are gaps already (never fetched).
    func stale(now: Date, maximumDays: Int) -> [(entry: SourceRelease, days: Int)] {
        var newest: [String: SourceRelease] = [:]
        for entry in sources {
            guard let updated = entry.updated else { continue }
            let suite = (entry.release?.codename ?? entry.source.suite).lowercased()
            if let current = newest[suite]?.updated, current >= updated { continue }
            newest[suite] = entry
        }
        return newest.values.compactMap { entry in
            let days = Int((now.timeIntervalSince(entry.updated!) / 86_400).rounded(.down))
            return days > maximumDays ? (entry, days) : nil
        }.sorted { $0.entry.source.origin < $1.entry.source.origin }
    }

    /// `uri suite (file:line)` of a source, as the reasons name it.
    static func describe(_ source: APTSource) -> String {
        "\(source.uri) \(source.suite) (\(source.origin))"
    }

    /// The security sources as evidence: `uri suite`, origin, Release file and its last update.
    var evidence: JSONValue {
        .array(sources.map { entry in
            .object([
                "source": .string("\(entry.source.uri) \(entry.source.suite)"), "origin": .string(entry.source.origin),
                "release": entry.path.map { .string($0) } ?? .null, "updated": entry.updated.map { .time($0) } ?? .null,
            ])
        })
    }
}
