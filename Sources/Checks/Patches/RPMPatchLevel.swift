import FoundationEssentials

/// The RHEL family (RHEL, Rocky, Alma, CentOS, Fedora): installed packages from
/// `rpm -qa --queryformat`, pending updates from dnf's metadata cache only (`dnf -C`), never a
/// download. Programs run through the agent's `CommandRunner` (allowlisted paths, timeouts).
public enum RPMPatchLevel {
    public struct Package: Sendable, Equatable {
        public var name: String
        public var evr: RPMVersion.EVR
        public var architecture: String
    }

    /// A pending update as dnf lists it.
    public struct Update: Sendable, Equatable {
        public var name: String
        public var architecture: String
        public var available: String
        /// Advisory id (`RHSA-2024:1234`) for security updates.
        public var advisory: String?
        public var severity: String?
    }

    public static let rpmPaths = ["/usr/bin/rpm", "/bin/rpm"]
    /// Where rpm keeps its database: `/var/lib/rpm` (RHEL 7–9), `/usr/lib/sysimage/rpm` (RHEL 10, Fedora).
    static let databaseFolders = ["/var/lib/rpm", "/usr/lib/sysimage/rpm"]
    /// The database's main file by backend: SQLite (RHEL 9+), Berkeley DB (RHEL 7, 8), NDB.
    static let databaseFiles = ["rpmdb.sqlite", "Packages", "Packages.db"]

    /// The folder (inside `root`) holding an rpm database, nil when there is none.
    static func databasePath(_ root: FileSystemRoot) -> String? {
        databaseFolders.first { folder in databaseFiles.contains { root.info(folder + "/" + $0)?.isRegularFile == true } }
    }
    public static let dnfPaths = ["/usr/bin/dnf", "/usr/bin/dnf5"]
    static let queryFormat = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"

    /// `rpm -qa` output, one `name\tepoch\tversion\trelease\tarch` line per package.
    /// - Throws: `ControlFileError` (path `rpm -qa`) for a line without five fields.
    public static func parseQuery(_ output: String) throws(ControlFileError) -> [Package] {
        var packages: [Package] = []
        for (number, line) in output.split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 5, let epoch = Int(fields[1]) else {
                throw ControlFileError(
                    path: "rpm -qa", line: number + 1, fr: "nom, epoch, version, release et arch séparés par des tabulations attendus",
                    en: "expected name, epoch, version, release, arch separated by tabs")
            }
            guard fields[0] != "gpg-pubkey" else { continue }
            packages.append(Package(
                name: String(fields[0]), evr: .init(epoch: epoch, version: String(fields[2]), release: String(fields[3])),
                architecture: String(fields[4])))
        }
        return packages
    }

    /// Splits `name-[epoch:]version-release.arch` (a NEVRA as dnf prints it).
    public static func parseNEVRA(_ text: String) -> (name: String, evr: RPMVersion.EVR, architecture: String)? {
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let architecture = String(text[text.index(after: dot)...])
        let nevr = text[..<dot]
        guard let releaseHyphen = nevr.lastIndex(of: "-") else { return nil }
        let release = nevr[nevr.index(after: releaseHyphen)...]
        let nev = nevr[..<releaseHyphen]
        guard let versionHyphen = nev.lastIndex(of: "-") else { return nil }
        let name = String(nev[..<versionHyphen])
        let ev = String(nev[nev.index(after: versionHyphen)...])
        guard !name.isEmpty, !ev.isEmpty, !release.isEmpty else { return nil }
        let evr = RPMVersion.EVR(ev + "-" + release)
        return (name, evr, architecture)
    }

    /// `dnf -C -q updateinfo list --security` lines: dnf 4 prints `ADVISORY SEVERITY/Sec. NEVRA`
    /// (`RHSA-2024:1234 Important/Sec. openssl-1:3.0.7-27.el9.x86_64`); dnf 5 prints a header and
    /// `NAME TYPE SEVERITY NEVRA DATE`.
    /// - Throws: `ControlFileError` (path `dnf updateinfo`) for a line of neither form: an answer that
    ///   is not understood is not read as "no security update".
    public static func parseSecurityList(_ output: String) throws(ControlFileError) -> [Update] {
        var updates: [Update] = []
        for (number, line) in output.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            if let kind = words.firstIndex(where: { $0.hasSuffix("/Sec.") }), kind + 1 < words.count,
               let nevra = parseNEVRA(words[kind + 1]) {
                updates.append(Update(
                    name: nevra.name, architecture: nevra.architecture, available: nevra.evr.description,
                    advisory: words[0], severity: String(words[kind].dropLast(5))))
            } else if words.count >= 4, words[1] == "security", let nevra = parseNEVRA(words[3]) {
                updates.append(Update(
                    name: nevra.name, architecture: nevra.architecture, available: nevra.evr.description,
                    advisory: words[0], severity: words[2]))
            } else if words.first == "Name" && words.contains("Type") {
                continue  // dnf 5's header
            } else {
                throw ControlFileError(
                    path: "dnf updateinfo list --security", line: number + 1, fr: "ligne non reconnue « \(line.prefix(200)) »",
                    en: "unrecognised line \"\(line.prefix(200))\"")
            }
        }
        return updates
    }

    /// `dnf -C -q check-update` lines: `name.arch  [epoch:]version-release  repository`, a name too long
    /// for its column put alone on its line with the rest on the next, indented; the "Obsoleting
    /// Packages" section (indented lines name what is obsoleted) and `Security:` notes are passed over.
    /// - Throws: `ControlFileError` (path `dnf check-update`) for a line of no known form.
    public static func parseCheckUpdate(_ output: String) throws(ControlFileError) -> [Update] {
        var updates: [Update] = []
        var obsoleting = false
        var pendingName: (String, Int)?
        func add(_ words: [String], line: Int) throws(ControlFileError) {
            guard words.count == 3, let dot = words[0].lastIndex(of: "."), dot != words[0].startIndex else {
                throw ControlFileError(
                    path: "dnf check-update", line: line, fr: "« nom.arch version dépôt » attendu, trouvé « \(words.joined(separator: " ").prefix(200)) »",
                    en: "expected \"name.arch version repository\", got \"\(words.joined(separator: " ").prefix(200))\"")
            }
            updates.append(Update(
                name: String(words[0][..<dot]), architecture: String(words[0][words[0].index(after: dot)...]),
                available: words[1], advisory: nil, severity: nil))
        }
        for (index, line) in output.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let indented = line.first == " " || line.first == "\t"
            if let (name, start) = pendingName {
                pendingName = nil
                guard indented, words.count == 2 else {
                    throw ControlFileError(
                    path: "dnf check-update", line: start, fr: "« \(name) » n'est pas suivi de sa version et de son dépôt",
                    en: "\"\(name)\" is not followed by its version and repository")
                }
                try add([name] + words, line: start)
                continue
            }
            if words.isEmpty { continue }
            if line.hasPrefix("Obsoleting") { obsoleting = true; continue }
            if line.hasPrefix("Security:") || obsoleting { continue }
            if indented {
                throw ControlFileError(
                    path: "dnf check-update", line: number, fr: "ligne indentée inattendue « \(line.prefix(200)) »", en: "unexpected indented line \"\(line.prefix(200))\"")
            }
            if words.count == 1 { pendingName = (words[0], number); continue }
            try add(words, line: number)
        }
        if let (name, start) = pendingName {
            throw ControlFileError(
                    path: "dnf check-update", line: start, fr: "« \(name) » n'est pas suivi de sa version et de son dépôt",
                    en: "\"\(name)\" is not followed by its version and repository")
        }
        return updates
    }
}
