import FoundationEssentials
import Model

/// End-of-support dates of the RHEL family (RHEL, CentOS 7, Rocky, Alma), by `os-release` `ID` and
/// `VERSION_ID` major release. Debian and Ubuntu are read from distro-info-data (`DistroInfo`).
///
/// Sources (retrieved for cyberctl 0.1.0, November 2026):
/// - endoflife.date `products/{rhel,almalinux,rocky-linux}.md` (github.com/endoflife-date/endoflife.date),
///   commit a70eca3 (2026-08-22) as summarised in shared/references/agents.md §3.5 for RHEL 8–9,
///   Rocky/Alma 8–9; commit 06362a0 for RHEL 7, later rhel.md for RHEL 10, 0f7d558 for AlmaLinux 10.
/// - Rocky Linux 10: Rocky Linux wiki, "Rocky Linux release and version guide" (active support to
///   2030-05-31, end of life 2035-05-31; not in the endoflife.date snapshot read).
/// - CentOS Linux 7 ends with RHEL 7 maintenance (2024-06-30, centos.org).
///
/// `security` is the last day of Maintenance Support; `extended` the last day of ELTS (a paid add-on
/// cyberctl cannot see from disk); Rocky and Alma have no extended phase.
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
        /// RHEL ELS: a paid add-on that cyberctl cannot see from disk.
        case rhelELS = "rhel-els"
    }

    private static let eolDate = "https://endoflife.date/"

    public static let entries: [Entry] = [
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

    /// Distributions this table tracks.
    public static let trackedIDs: Set<String> = Set(entries.map(\.id))

    /// The entry for an os-release `ID` and `VERSION_ID`, by major version (`9.4` → `9`).
    public static func entry(id: String, versionID: String) -> Entry? {
        let release = String(versionID.prefix { $0 != "." })
        return entries.first { $0.id == id && $0.release == release }
    }

    /// A `YYYY-MM-DD` day as the first instant after it ends (support runs through that day, UTC).
    public static func endOfDay(_ day: String) -> Date? {
        guard let start = ISO8601.date(from: day + "T00:00:00Z") else { return nil }
        return start.addingTimeInterval(86_400)
    }
}
