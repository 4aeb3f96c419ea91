import Foundation

/// End-of-support dates of the server distributions communes run, by `os-release` `ID` and
/// `VERSION_ID` major release.
///
/// Sources (retrieved for cyberctl 0.1.0, November 2026):
/// - endoflife.date `products/{debian,ubuntu,rhel,almalinux,rocky-linux}.md`
///   (github.com/endoflife-date/endoflife.date), commit a70eca3 (2026-08-22) as summarised in
///   shared/references/agents.md §3.5 for Debian 10–13, Ubuntu 18.04–24.04, RHEL 8–9, Rocky/Alma 8–9;
///   commit 007fc5a for Debian 9, 021ca13 for Ubuntu 16.04, 06362a0 for RHEL 7, later rhel.md for RHEL 10,
///   0f7d558 for AlmaLinux 10.
/// - Rocky Linux 10: Rocky Linux wiki, "Rocky Linux release and version guide" (active support to
///   2030-05-31, end of life 2035-05-31; not in the endoflife.date snapshot read).
/// - CentOS Linux 7 ends with RHEL 7 maintenance (2024-06-30, centos.org).
///
/// Column meaning differs by distribution (endoflife.date `eol`/`eoes`): for Debian, `security` is the
/// end of Debian Security Team support and `extended` the end of Debian LTS (delivered through the same
/// security archive); for Ubuntu, `security` is the end of standard security maintenance and
/// `extended` the end of ESM (Ubuntu Pro); for RHEL, `security` is the end of Maintenance Support and
/// `extended` the end of ELS (paid add-on); Rocky and Alma have no extended phase.
public enum OSEndOfLife {
    public struct Entry: Sendable, Equatable {
        /// `os-release` `ID`.
        public let id: String
        /// Release as matched against `VERSION_ID` (`12`, `22.04`, `9`).
        public let release: String
        public let name: String
        /// End of regular security support (day, UTC).
        public let security: String
        /// End of extended security support, when there is one.
        public let extended: String?
        /// How the extended phase is obtained.
        public let extendedKind: ExtendedKind?
        public let source: String
    }

    public enum ExtendedKind: String, Sendable {
        /// Debian LTS: free, automatic through the `-security` suite, fewer packages and architectures.
        case debianLTS = "debian-lts"
        /// Ubuntu ESM: needs Ubuntu Pro and the `esm` sources.
        case ubuntuESM = "ubuntu-esm"
        /// RHEL ELS: a paid add-on that cyberctl cannot see from disk.
        case rhelELS = "rhel-els"
    }

    private static let eolDate = "https://endoflife.date/"

    public static let entries: [Entry] = [
        Entry(id: "debian", release: "9", name: "Debian 9 stretch", security: "2020-07-18", extended: "2022-07-01", extendedKind: .debianLTS, source: eolDate + "debian"),
        Entry(id: "debian", release: "10", name: "Debian 10 buster", security: "2022-09-10", extended: "2024-06-30", extendedKind: .debianLTS, source: eolDate + "debian"),
        Entry(id: "debian", release: "11", name: "Debian 11 bullseye", security: "2024-08-14", extended: "2026-08-31", extendedKind: .debianLTS, source: eolDate + "debian"),
        Entry(id: "debian", release: "12", name: "Debian 12 bookworm", security: "2026-07-11", extended: "2028-06-30", extendedKind: .debianLTS, source: eolDate + "debian"),
        Entry(id: "debian", release: "13", name: "Debian 13 trixie", security: "2028-08-09", extended: "2030-06-30", extendedKind: .debianLTS, source: eolDate + "debian"),
        Entry(id: "ubuntu", release: "16.04", name: "Ubuntu 16.04 LTS", security: "2021-04-02", extended: "2026-04-02", extendedKind: .ubuntuESM, source: eolDate + "ubuntu"),
        Entry(id: "ubuntu", release: "18.04", name: "Ubuntu 18.04 LTS", security: "2023-05-31", extended: "2028-04-01", extendedKind: .ubuntuESM, source: eolDate + "ubuntu"),
        Entry(id: "ubuntu", release: "20.04", name: "Ubuntu 20.04 LTS", security: "2025-05-31", extended: "2030-04-02", extendedKind: .ubuntuESM, source: eolDate + "ubuntu"),
        Entry(id: "ubuntu", release: "22.04", name: "Ubuntu 22.04 LTS", security: "2027-04-01", extended: "2032-04-09", extendedKind: .ubuntuESM, source: eolDate + "ubuntu"),
        Entry(id: "ubuntu", release: "24.04", name: "Ubuntu 24.04 LTS", security: "2029-05-31", extended: "2036-05-31", extendedKind: .ubuntuESM, source: eolDate + "ubuntu"),
        Entry(id: "rhel", release: "7", name: "Red Hat Enterprise Linux 7", security: "2024-06-30", extended: "2028-06-30", extendedKind: .rhelELS, source: eolDate + "rhel"),
        Entry(id: "rhel", release: "8", name: "Red Hat Enterprise Linux 8", security: "2029-05-31", extended: "2033-05-31", extendedKind: .rhelELS, source: eolDate + "rhel"),
        Entry(id: "rhel", release: "9", name: "Red Hat Enterprise Linux 9", security: "2032-05-31", extended: "2036-05-31", extendedKind: .rhelELS, source: eolDate + "rhel"),
        Entry(id: "rhel", release: "10", name: "Red Hat Enterprise Linux 10", security: "2035-05-31", extended: "2039-05-31", extendedKind: .rhelELS, source: eolDate + "rhel"),
        Entry(id: "centos", release: "7", name: "CentOS Linux 7", security: "2024-06-30", extended: nil, extendedKind: nil, source: "https://www.centos.org/centos-linux-eol/"),
        Entry(id: "rocky", release: "8", name: "Rocky Linux 8", security: "2029-05-31", extended: nil, extendedKind: nil, source: eolDate + "rocky-linux"),
        Entry(id: "rocky", release: "9", name: "Rocky Linux 9", security: "2032-05-31", extended: nil, extendedKind: nil, source: eolDate + "rocky-linux"),
        Entry(id: "rocky", release: "10", name: "Rocky Linux 10", security: "2035-05-31", extended: nil, extendedKind: nil, source: "https://wiki.rockylinux.org/rocky/version/"),
        Entry(id: "almalinux", release: "8", name: "AlmaLinux 8", security: "2029-05-31", extended: nil, extendedKind: nil, source: eolDate + "almalinux"),
        Entry(id: "almalinux", release: "9", name: "AlmaLinux 9", security: "2032-05-31", extended: nil, extendedKind: nil, source: eolDate + "almalinux"),
        Entry(id: "almalinux", release: "10", name: "AlmaLinux 10", security: "2035-05-31", extended: nil, extendedKind: nil, source: eolDate + "almalinux"),
    ]

    /// Distributions this table tracks; another `ID` is skipped, not an error.
    public static let trackedIDs: Set<String> = Set(entries.map(\.id))

    /// The entry for an os-release `ID` and `VERSION_ID`: Debian, RHEL and its rebuilds by major
    /// version (`12`, `9.4` → `9`), Ubuntu by `YY.MM`.
    public static func entry(id: String, versionID: String) -> Entry? {
        let release = id == "ubuntu" ? versionID : String(versionID.prefix { $0 != "." })
        return entries.first { $0.id == id && $0.release == release }
    }

    /// A `YYYY-MM-DD` day as the first instant after it ends (support runs through that day, UTC).
    public static func endOfDay(_ day: String) -> Date? {
        guard let start = ISO8601.date(from: day + "T00:00:00Z") else { return nil }
        return start.addingTimeInterval(86_400)
    }
}
