import Foundation
import Model

/// Debian packaging files of this machine, read independently of cyberctl's parsers: dpkg's status
/// stanzas and apt's lists (decompressed with the reference command of each format when apt keeps them compressed).
public enum DebianFiles {
    /// One stanza as text, with the few fields tests need.
    public struct Stanza: Sendable {
        public let text: String
        public let fields: [String: String]
        public var package: String { fields["Package"] ?? "" }
        public var version: String { fields["Version"] ?? "" }
        public var architecture: String { fields["Architecture"] ?? "all" }
    }

    /// A `Packages` list of this machine with the Release file of its suite.
    public struct List: Sendable {
        public let fileName: String
        public let releaseFileName: String?
        public let suite: String
        public let codename: String
        public let label: String
        public let stanzas: [Stanza]
    }

    public static let listsDirectory = "/var/lib/apt/lists"

    public static func stanzas(_ text: String) -> [Stanza] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let trimmed = block.trimmingCharacters(in: .newlines)
            guard !trimmed.isEmpty else { return nil }
            var fields: [String: String] = [:]
            for line in trimmed.split(separator: "\n") where !line.hasPrefix(" ") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Stanza(text: trimmed, fields: fields)
        }
    }

    public static func installed() throws -> [Stanza] {
        stanzas(try String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8))
    }

    /// The text of a list file, decompressed.
    public static func read(_ path: String) throws -> String {
        guard let command = decompressor(path) else { return try String(contentsOfFile: path, encoding: .utf8) }
        let output = try Command.run("/bin/sh", ["-c", "\(command) < \"$1\"", "sh", path])
        guard output.exitCode == 0 else { throw TestSupportError("\(command) \(path): \(output.stderr)") }
        return output.stdout
    }

    /// The command that decompresses a list file to stdout, by its suffix (nil for a plain file).
    static func decompressor(_ path: String) -> String? {
        let commands = [".lz4": "lz4 -dc", ".gz": "gzip -dc", ".xz": "xz -dc", ".lzma": "xz --format=lzma -dc", ".zst": "zstd -q -dc", ".bz2": "bzip2 -dc"]
        return commands.first { path.hasSuffix($0.key) }?.value
    }

    /// The compression suffixes apt reads, with the command that writes each (file given last, replaced
    /// by `file+suffix`).
    public static let compressors: [(suffix: String, command: [String])] = [
        (".lz4", ["lz4", "-q", "--rm"]), (".zst", ["zstd", "-q", "--rm"]), (".gz", ["gzip", "-n"]), (".xz", ["xz"]),
        (".bz2", ["bzip2"]), (".lzma", ["xz", "--format=lzma"]),
    ]

    /// Rewrites every `Packages` list under `root`'s lists folder in one compression (`""`: plain), as
    /// apt would keep it with `Acquire::GzipIndexes`; returns the new file names.
    public static func recompressLists(root: String, suffix: String) throws -> [String] {
        let folder = root + listsDirectory
        var written: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.contains("_Packages") {
            let path = folder + "/" + name
            let text = try read(path)
            let base = compressors.first { path.hasSuffix($0.suffix) }.map { String(path.dropLast($0.suffix.count)) } ?? path
            try FileManager.default.removeItem(atPath: path)
            try text.write(toFile: base, atomically: false, encoding: .utf8)
            if let compressor = compressors.first(where: { $0.suffix == suffix }) {
                let output = try Command.run("/bin/sh", ["-c", "exec \"$@\"", "sh"] + compressor.command + (compressor.command[0] == "lz4" ? [base, base + suffix] : [base]))
                guard output.exitCode == 0, FileManager.default.fileExists(atPath: base + suffix) else {
                    throw TestSupportError("\(compressor.command) \(base): \(output.stderr)")
                }
            }
            written.append((base as NSString).lastPathComponent + suffix)
        }
        return written
    }

    /// The release fields of a clear-signed or plain Release file.
    public static func releaseFields(_ path: String) throws -> [String: String] {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if let start = text.range(of: "\n\n"), text.hasPrefix("-----BEGIN PGP") { text = String(text[start.upperBound...]) }
        return stanzas(text).first?.fields ?? [:]
    }

    /// The stanzas of a list file whose package is in `names` (all when nil), filtered by awk in
    /// paragraph mode so a 50 MB list costs no Swift string work.
    public static func read(_ path: String, names: Set<String>?) throws -> String {
        guard let names else { return try read(path) }
        let directory = try TemporaryDirectory(prefix: "cyberctl-names")
        let namesFile = try directory.write("names", names.sorted().joined(separator: "\n") + "\n")
        let script = """
            BEGIN { while ((getline line < names) > 0) want[line] = 1; RS = ""; ORS = "\\n\\n" }
            { n = split($0, lines, "\\n"); for (i = 1; i <= n; i++) if (substr(lines[i], 1, 9) == "Package: ") { if (substr(lines[i], 10) in want) print; break } }
            """
        let decompress = (decompressor(path) ?? "cat") + " < \"$1\""
        let output = try Command.run("/bin/sh", ["-c", "\(decompress) | awk -v names=\"$2\" '\(script)'", "sh", path, namesFile])
        guard output.exitCode == 0 else { throw TestSupportError("filtering \(path): \(output.stderr)") }
        return output.stdout
    }

    /// Every `Packages` list of this machine (only the stanzas of `names` when given); empty when
    /// `apt-get update` never ran.
    public static func lists(names: Set<String>? = nil, securityOnly: Bool = false) throws -> [List] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: listsDirectory)) ?? []
        let releases = files.filter { $0.hasSuffix("_InRelease") || $0.hasSuffix("_Release") }
        return try files.filter { $0.contains("_Packages") }.sorted().compactMap { name -> List? in
            let release = releases.filter { name.hasPrefix($0.replacingOccurrences(of: "InRelease", with: "").replacingOccurrences(of: "_Release", with: "_")) }
                .max { $0.count < $1.count }
            let fields = try release.map { try releaseFields(listsDirectory + "/" + $0) } ?? [:]
            let isSecurity = (fields["Suite"] ?? "").hasSuffix("-security") || fields["Label"] == "Debian-Security"
            if securityOnly && !isSecurity { return nil }
            return List(
                fileName: name, releaseFileName: release, suite: fields["Suite"] ?? "", codename: fields["Codename"] ?? "",
                label: fields["Label"] ?? "", stanzas: stanzas(try read(listsDirectory + "/" + name, names: names)))
        }
    }

    /// True when `dpkg --compare-versions a op b` holds.
    public static func dpkgCompare(_ a: String, _ op: String, _ b: String) throws -> Bool {
        try Command.run("/usr/bin/dpkg", ["--compare-versions", a, op, b]).exitCode == 0
    }
}

/// A root tree built from this machine's real dpkg status and apt lists, then altered: some installed
/// versions made older (plain pending updates), some set to the version a security suite replaces
/// (pending security updates), one of them held, one pinned back by `/etc/apt/preferences.d`.
public struct DebianFixture: Sendable {
    public let root: String
    /// `name:arch` of packages made older whose candidate is in a non-security suite, with their candidate.
    public let olderNonSecurity: [String: String]
    /// `name:arch` of packages set to the version a security suite replaces, with the security candidate.
    public let security: [String: String]
    /// A package (in `olderNonSecurity`) marked `hold`.
    public let held: String
    /// A package whose security update is pinned away: installed = main version, pin 990 on the main suite.
    public let pinned: String
    /// `name:arch` → installed version written into the fixture's status.
    public let installed: [String: String]
    /// The Packages list written lz4-compressed, the others plain.
    public let compressedList: String
    /// Codename of the main (non-security, non-updates) suite, `bookworm`.
    public let mainCodename: String

    /// Builds the tree under `directory/name`. Requires apt lists (`apt-get update` has run).
    public static func make(in directory: TemporaryDirectory, name: String = "image", statusCount: Int = 40) throws -> DebianFixture {
        let root = try directory.makeDirectory(name)
        // Names of interest: what is installed here, and what the security suites carry.
        let securityNames = try DebianFiles.lists(securityOnly: true)
            .flatMap { $0.stanzas.map(\.package) }
        let installedStanzas = try DebianFiles.installed()
        let lists = try DebianFiles.lists(names: Set(securityNames + installedStanzas.map(\.package)))
        guard let main = lists.first(where: { !$0.suite.hasSuffix("-security") && !$0.codename.hasSuffix("-updates") && !$0.suite.hasSuffix("-updates") && !$0.stanzas.isEmpty }),
              let securityList = lists.first(where: { $0.suite.hasSuffix("-security") || $0.label == "Debian-Security" })
        else { throw TestSupportError("this machine has no main and security apt lists: run apt-get update") }
        let native = try Command.run("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func key(_ stanza: DebianFiles.Stanza) -> String { stanza.package + ":" + (stanza.architecture == "all" ? native : stanza.architecture) }
        var byList: [String: [String: DebianFiles.Stanza]] = [:]
        for list in lists { byList[list.fileName] = Dictionary(list.stanzas.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first }) }
        let mainIndex = byList[main.fileName]!
        let otherLists = lists.filter { $0.fileName != main.fileName }
        func onlyInMain(_ k: String) -> Bool { otherLists.allSatisfy { byList[$0.fileName]![k] == nil } }

        // Security: packages whose security version is newer than the main one (checked with dpkg).
        var securityPicks: [(String, DebianFiles.Stanza, DebianFiles.Stanza)] = []
        for stanza in securityList.stanzas.sorted(by: { $0.package < $1.package }) where securityPicks.count < 4 {
            let k = key(stanza)
            guard let mainStanza = mainIndex[k], stanza.architecture == native || stanza.architecture == "all",
                  !securityPicks.contains(where: { $0.0 == k }),
                  try DebianFiles.dpkgCompare(stanza.version, "gt", mainStanza.version) else { continue }
            // The newest version across all lists must be the security one.
            let newest = try otherLists.compactMap { byList[$0.fileName]![k] }.allSatisfy { try !DebianFiles.dpkgCompare($0.version, "gt", stanza.version) }
            if newest { securityPicks.append((k, mainStanza, stanza)) }
        }
        guard securityPicks.count >= 2 else { throw TestSupportError("the security list has too few packages newer than the main list") }
        let pinnedPick = securityPicks.removeLast()

        // Installed packages copied from this machine's status, native or all, present in the main list only.
        let status = installedStanzas.filter { $0.fields["Status"] == "install ok installed" }
        let taken = Set(securityPicks.map(\.0) + [pinnedPick.0])
        let copied = status.filter { ($0.architecture == native || $0.architecture == "all") && mainIndex[key($0)] != nil && !taken.contains(key($0)) }
        var chosen = Array(copied.filter { onlyInMain(key($0)) && mainIndex[key($0)]!.version == $0.version }.prefix(statusCount))
        guard chosen.count >= 6 else { throw TestSupportError("too few installed packages found in the main list") }
        // A few more installed packages as they are, whatever their state in the lists (apt is the oracle for them).
        chosen += copied.filter { !onlyInMain(key($0)) }.prefix(5)

        var statusText = ""
        var installed: [String: String] = [:]
        var older: [String: String] = [:]
        var heldName = ""
        for (index, stanza) in chosen.enumerated() {
            var text = stanza.text
            if index < 3 && onlyInMain(key(stanza)) {
                // Made older: "~cyberctl1" sorts before the end of a version.
                let olderVersion = stanza.version + "~cyberctl1"
                text = text.replacingOccurrences(of: "\nVersion: \(stanza.version)\n", with: "\nVersion: \(olderVersion)\n")
                older[key(stanza)] = stanza.version
                installed[key(stanza)] = olderVersion
                if index == 0 {
                    text = text.replacingOccurrences(of: "Status: install ok installed", with: "Status: hold ok installed")
                    heldName = stanza.package
                }
            } else {
                installed[key(stanza)] = stanza.version
            }
            statusText += text + "\n\n"
        }
        // Security picks and the pinned one: installed at the main version, from the main list's stanza.
        for (k, mainStanza, _) in securityPicks + [pinnedPick] {
            var lines = mainStanza.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.insert("Status: install ok installed", at: 1)
            statusText += lines.filter { !$0.hasPrefix("Filename:") && !$0.hasPrefix("Size:") && !$0.hasPrefix("SHA256:") && !$0.hasPrefix("MD5sum:") && !$0.hasPrefix("Description-md5:") }
                .joined(separator: "\n") + "\n\n"
            installed[k] = mainStanza.version
        }
        try directory.write("\(name)/var/lib/dpkg/status", statusText)

        // Lists: the stanzas of the fixture's packages, from every list; Release files copied as they are.
        let wanted = Set(installed.keys)
        var compressed = ""
        for list in lists {
            let kept = list.stanzas.filter { wanted.contains(key($0)) }
            // apt rejects a list made of a blank line only; an empty file is a valid empty list.
            let text = kept.isEmpty ? "" : kept.map(\.text).joined(separator: "\n\n") + "\n"
            let plainName = DebianFiles.compressors.first { list.fileName.hasSuffix($0.suffix) }.map { String(list.fileName.dropLast($0.suffix.count)) } ?? list.fileName
            let path = try directory.write("\(name)/var/lib/apt/lists/\(plainName)", text)
            if list.fileName == main.fileName {
                let output = try Command.run("lz4", ["-q", "-f", "--rm", path, path + ".lz4"])
                guard output.exitCode == 0 else { throw TestSupportError("lz4: \(output.stderr)") }
                compressed = plainName + ".lz4"
            }
            if let release = list.releaseFileName {
                try directory.write("\(name)/var/lib/apt/lists/\(release)", try Data(contentsOf: URL(fileURLWithPath: DebianFiles.listsDirectory + "/" + release)))
            }
        }
        // Sources as configured on this machine.
        for path in ["/etc/apt/sources.list"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/etc/apt/sources.list.d")) ?? []).map({ "/etc/apt/sources.list.d/" + $0 })
        where FileManager.default.fileExists(atPath: path) {
            try directory.write(name + path, try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        try directory.write("\(name)/etc/apt/preferences.d/cyberctl-test", """
            Explanation: keep \(pinnedPick.1.package) on the main suite's version
            Package: \(pinnedPick.1.package)
            Pin: release n=\(main.codename)
            Pin-Priority: 990

            """)
        try directory.write("\(name)/etc/os-release", try String(contentsOfFile: "/etc/os-release", encoding: .utf8))
        try directory.makeDirectory("\(name)/var/cache/apt/archives/partial")
        try directory.makeDirectory("\(name)/var/lib/apt/lists/partial")
        return DebianFixture(
            root: root, olderNonSecurity: older, security: Dictionary(uniqueKeysWithValues: securityPicks.map { ($0.0, $0.2.version) }),
            held: heldName, pinned: pinnedPick.1.package, installed: installed, compressedList: compressed,
            mainCodename: main.codename)
    }

    /// A copy of this fixture's tree under `directory/name` (`cp -a`), for a test that alters it.
    public func copy(into directory: TemporaryDirectory, name: String = "image") throws -> DebianFixture {
        let target = directory.url(name)
        let output = try Command.run("/bin/cp", ["-a", root, target])
        guard output.exitCode == 0 else { throw TestSupportError("cp -a: \(output.stderr)") }
        return DebianFixture(
            root: target, olderNonSecurity: olderNonSecurity, security: security, held: held, pinned: pinned,
            installed: installed, compressedList: compressedList, mainCodename: mainCodename)
    }

    /// What real apt says is upgradable in the fixture (`apt list --upgradable` with `Dir` set to it):
    /// `name:arch` → candidate.
    public func aptUpgradable(options: [String] = []) throws -> [String: String] {
        try Self.aptUpgradable(arguments: options.flatMap { ["-o", $0] } + [
            "-o", "Dir=\(root)/", "-o", "Dir::State::status=\(root)/var/lib/dpkg/status",
            "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
        ])
    }

    /// What real apt says of the fixture, refusal included: `refused` when apt stops with an error
    /// (exit code not 0, `E:` lines in `errors`), else the upgradable table.
    public func aptAnswer(options: [String] = []) throws -> (refused: Bool, errors: String, upgradable: [String: String]) {
        let output = try Command.run("/usr/bin/apt", ["list", "--upgradable"] + options.flatMap { ["-o", $0] } + [
            "-o", "Dir=\(root)/", "-o", "Dir::State::status=\(root)/var/lib/dpkg/status",
            "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
        ], environment: ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        let errors = output.stderr.split(separator: "\n").filter { $0.hasPrefix("E:") }.joined(separator: "\n")
        if output.exitCode != 0 { return (true, errors.isEmpty ? output.stderr : errors, [:]) }
        return (false, errors, Self.parseUpgradable(output.stdout))
    }

    /// `apt list --upgradable` parsed: `name:arch` → candidate version.
    public static func aptUpgradable(arguments: [String] = []) throws -> [String: String] {
        let output = try Command.run("/usr/bin/apt", ["list", "--upgradable"] + arguments, environment: ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        guard output.exitCode == 0 else { throw TestSupportError("apt list --upgradable: \(output.stderr)") }
        return parseUpgradable(output.stdout)
    }

    /// The `[upgradable from: …]` lines of `apt list --upgradable`: `name:arch` → candidate version.
    public static func parseUpgradable(_ stdout: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n") where line.contains("[upgradable from:") {
            let words = line.split(separator: " ")
            guard words.count >= 3, let slash = words[0].firstIndex(of: "/") else { continue }
            let name = words[0][..<slash]
            let bareName = name.split(separator: ":").first.map(String.init) ?? String(name)
            result["\(bareName):\(words[2])"] = String(words[1])
        }
        return result
    }
}
