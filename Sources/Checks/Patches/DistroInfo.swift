import FoundationEssentials
import FoundationGaps
import Model
internal import ShippedData

/// The release tables of distro-info-data, Debian's own record of Debian and Ubuntu releases and their
/// support milestones: `/usr/share/distro-info/debian.csv` and `ubuntu.csv` (package `distro-info-data`,
/// https://salsa.debian.org/debian/distro-info-data; read by `debian-distro-info` and `ubuntu-distro-info`).
///
/// Columns are found by their header name. debian.csv: `version,codename,series,created,release,eol,
/// eol-lts,eol-elts`; ubuntu.csv: `version,codename,series,created,release,eol,eol-server,eol-esm`
/// (and `eol-legacy` in recent versions). Trailing empty cells may be left out; a milestone not yet
/// decided is empty. Each date is the first day of the next phase, as distro-info counts it (`eol`
/// 2026-07-11: supported up to 2026-07-10 included).
struct DistroInfo: Sendable {
    enum Distribution: String, Sendable {
        case debian, ubuntu
        var fileName: String { rawValue + ".csv" }
    }

    /// One row.
    struct Release: Sendable, Equatable {
        /// `12`, `22.04 LTS`, empty for sid and experimental.
        var version: String
        /// `Bookworm`, `Jammy Jellyfish`.
        var codename: String
        /// `bookworm`, `jammy`.
        var series: String
        var created: Date?
        var release: Date?
        var eol: Date?
        /// Debian: end of Debian LTS (free, through the security archive).
        var eolLTS: Date?
        /// Debian: end of Freexian's Extended LTS (paid, its own archive).
        var eolELTS: Date?
        /// Ubuntu: end of server support where it differed from the desktop's (LTS up to 10.04).
        var eolServer: Date?
        /// Ubuntu: end of Expanded Security Maintenance (Ubuntu Pro).
        var eolESM: Date?
        /// Ubuntu: end of the Legacy support add-on (Ubuntu Pro).
        var eolLegacy: Date?
        /// Line in the file, from 1.
        var line: Int

        /// The milestone columns, by their CSV header name.
        static var milestones: [(name: String, keyPath: WritableKeyPath<Release, Date?>)] { return [
            ("release", \.release), ("eol", \.eol), ("eol-lts", \.eolLTS), ("eol-elts", \.eolELTS),
            ("eol-server", \.eolServer), ("eol-esm", \.eolESM), ("eol-legacy", \.eolLegacy),
        ] }

        /// The row of the audited system's table (`self`) completed with the same release's row in cyberctl's copy,
        /// milestone by milestone, so that a stale host table cannot hide an end of support it did not know yet
        /// (an old Debian 10 image's `10,Buster,buster,2017-06-17,2019-07-06,` has no end at all):
        /// - a date only one table has is taken from it (the other did not know it yet);
        /// - when both have a date and they differ, the more recent table's (`DistroInfo.isNewer`) wins: dates are
        ///   moved by later versions of distro-info-data (an extended programme announced), not by older ones;
        /// - when neither table is more recent, the earlier end (and the later `release`): never a phase longer
        ///   than one of the two sources says.
        /// - Returns: the merged row (line of `self`) and the names of the milestones taken from `shipped`.
        func completed(with shipped: Release, shippedIsNewer: Bool, hostIsNewer: Bool) -> (Release, [String]) {
            var merged = self
            var taken: [String] = []
            for (name, keyPath) in Self.milestones {
                let mine = self[keyPath: keyPath]
                guard let theirs = shipped[keyPath: keyPath], theirs != mine else { continue }
                let useTheirs: Bool
                if let mine {
                    if shippedIsNewer {
                        useTheirs = true
                    } else if hostIsNewer {
                        useTheirs = false
                    } else {
                        useTheirs = name == "release" ? theirs > mine : theirs < mine
                    }
                } else {
                    useTheirs = true
                }
                if useTheirs {
                    merged[keyPath: keyPath] = theirs
                    taken.append(name)
                }
            }
            return (merged, taken)
        }
    }

    /// Folder of the files on a Debian or Ubuntu system.
    static let hostFolder = "/usr/share/distro-info"

    let distribution: Distribution
    /// The file read: a path inside the audited system, or the shipped copy's path on this machine.
    let path: String
    let releases: [Release]

    /// Parses one CSV file.
    /// - Throws: `ControlFileError` naming `path` and the line: missing header columns, a row with too
    ///   many or too few cells, a date that is not `YYYY-MM-DD`, a row without series.
    static func parse(_ text: String, distribution: Distribution, path: String) throws(ControlFileError) -> DistroInfo {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first else { throw ControlFileError(path: path, line: 1, fr: "fichier vide : une ligne d'en-tête est attendue", en: "empty file: expected a header line") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
        let required = ["version", "codename", "series", "created", "release", "eol"]
        for name in required where !header.contains(name) {
            throw ControlFileError(
                path: path, line: 1, fr: "l'en-tête n'a pas de colonne « \(name) » (attendu : \(required.joined(separator: ",")),…)",
                en: "header has no \"\(name)\" column (expected \(required.joined(separator: ",")),…)")
        }
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // Every row has at least the columns up to `created` (distro-info's own minimum).
        let minimumCells = (column["created"] ?? 3) + 1
        var releases: [Release] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let number = offset + 1
            guard !line.trimming(.whitespaces).isEmpty else {
                throw ControlFileError(path: path, line: number, fr: "ligne vide", en: "empty line")
            }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
            guard cells.count >= minimumCells, cells.count <= header.count else {
                throw ControlFileError(
                    path: path, line: number,
                    fr: "\(cells.count) cellules, \(minimumCells) à \(header.count) attendues (\(header.joined(separator: ",")))",
                    en: "\(cells.count) cells, expected \(minimumCells) to \(header.count) (\(header.joined(separator: ",")))")
            }
            func text(_ name: String) -> String { column[name].flatMap { $0 < cells.count ? cells[$0] : nil } ?? "" }
            func date(_ name: String) throws(ControlFileError) -> Date? {
                let value = text(name)
                if value.isEmpty { return nil }
                guard let day = Self.day(value) else {
                    throw ControlFileError(
                        path: path, line: number, fr: "\(name) « \(value) » n'est pas une date AAAA-MM-JJ", en: "\(name) \"\(value)\" is not a YYYY-MM-DD date")
                }
                return day
            }
            let series = text("series")
            guard !series.isEmpty, series.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw ControlFileError(path: path, line: number, fr: "la série « \(series) » n'est pas un nom de version", en: "series \"\(series)\" is not a release name")
            }
            releases.append(Release(
                version: text("version"), codename: text("codename"), series: series, created: try date("created"),
                release: try date("release"), eol: try date("eol"), eolLTS: try date("eol-lts"), eolELTS: try date("eol-elts"),
                eolServer: try date("eol-server"), eolESM: try date("eol-esm"), eolLegacy: try date("eol-legacy"), line: number))
        }
        return DistroInfo(distribution: distribution, path: path, releases: releases)
    }

    /// `YYYY-MM-DD` as the first instant of that day, UTC; nil otherwise.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day),
              let date = ISO8601.date(from: text + "T00:00:00Z") else { return nil }
        // Foundation rolls 2026-02-30 over to March: keep only real days.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard calendar.component(.day, from: date) == day, calendar.component(.year, from: date) == year else { return nil }
        return date
    }

    /// The row of the release `os-release` names: by `VERSION_ID` (Debian by major number, `12.4` →
    /// `12`; Ubuntu `22.04` → `22.04 LTS`), else by `VERSION_CODENAME` (Debian testing and unstable
    /// have no `VERSION_ID`).
    func release(versionID: String?, codename: String?) -> Release? {
        if let versionID, !versionID.isEmpty {
            func bare(_ row: Release) -> String { row.version.hasSuffix(" LTS") ? String(row.version.dropLast(4)) : row.version }
            if let exact = releases.first(where: { bare($0) == versionID }) { return exact }
            // Debian's VERSION_ID is the major number (`12`); a point release (`12.4`) or `6.0` match by it.
            if distribution == .debian, let found = releases.first(where: { !bare($0).isEmpty && Self.major(bare($0)) == Self.major(versionID) }) {
                return found
            }
            return nil
        }
        if let codename, !codename.isEmpty {
            return releases.first { $0.series == codename.lowercased() }
        }
        return nil
    }

    private static func major(_ version: String) -> String { String(version.prefix { $0 != "." }) }

    /// How much the table knows, to tell the more recent of two copies by their content: distro-info-data only
    /// adds rows (a new release's row, with its `created` date) and fills empty milestones, so a later version has
    /// a later newest `created` date, or the same and more dates. File times say nothing (an image copies files).
    var knowledge: (newestCreated: Date, dates: Int) {
        var newest = Date.distantPast
        var dates = 0
        for row in releases {
            if let created = row.created { newest = max(newest, created) }
            dates += Release.milestones.filter { row[keyPath: $0.keyPath] != nil }.count
        }
        return (newest, dates)
    }

    /// True when `self` is a later version of the table than `other` (by `knowledge`); false when it is older or the same.
    func isNewer(than other: DistroInfo) -> Bool {
        let (mine, theirs) = (knowledge, other.knowledge)
        return mine.newestCreated != theirs.newestCreated ? mine.newestCreated > theirs.newestCreated : mine.dates > theirs.dates
    }

    /// Where the table of `distribution` is read from: the audited system's copy when it has one (the
    /// distribution updates it with each point release), else the copy shipped with cyberctl
    /// (`Profiles/distro-info/`, installed as `<prefix>/share/cyberctl/profiles/distro-info/`; made from
    /// the distro-info-data package by `scripts/update-distro-info.sh`).
    enum Location: Equatable {
        case host(String)
        case shipped(String)
        case none
    }

    /// The host's file when it exists (even unreadable: that is an error, not a reason to use another copy), else the shipped one.
    static func location(_ distribution: Distribution, root: FileSystemRoot, shippedFolders: [String]? = nil) -> Location {
        let hostPath = hostFolder + "/" + distribution.fileName
        if root.isPresent(hostPath) { return .host(hostPath) }
        return shippedLocation(distribution, folders: shippedFolders)
    }

    /// cyberctl's own copy; `folders` replaces the shipped data folders (tests).
    static func shippedLocation(_ distribution: Distribution, folders: [String]? = nil) -> Location {
        for folder in folders ?? ShippedData.folders(relative: "distro-info") {
            let path = folder + "/" + distribution.fileName
            if FileManager.default.fileExists(atPath: path) { return .shipped(path) }
        }
        return .none
    }

    /// Reads the table from `location`.
    /// - Throws: `ControlFileError` naming the file and line when it cannot be parsed; with line 0 (its
    ///   `problem` then names the file) when it cannot be read or found.
    static func read(_ location: Location, distribution: Distribution, root: FileSystemRoot) throws(ControlFileError) -> DistroInfo {
        switch location {
        case .host(let path):
            let text: String
            do { text = try root.readText(path, limit: 1 << 20) } catch {
                throw ControlFileError(path: path, line: 0, text: error.localizedText)
            }
            return try parse(text, distribution: distribution, path: path)
        case .shipped(let path):
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ControlFileError(
                    path: path, line: 0, fr: "\(path) : lecture impossible : \(ErrorText.reason(error))",
                    en: "\(path): cannot be read: \(ErrorText.reason(error))")
            }
            return try parse(text, distribution: distribution, path: path)
        case .none:
            throw ControlFileError(
                path: hostFolder + "/" + distribution.fileName, line: 0,
                fr: "\(hostFolder)/\(distribution.fileName) n'est pas sur le système audité, et la copie de cyberctl (dossier des profils distro-info/) est introuvable",
                en: "\(hostFolder)/\(distribution.fileName) is not on the audited system, and cyberctl's own copy (profiles folder distro-info/) was not found")
        }
    }
}
