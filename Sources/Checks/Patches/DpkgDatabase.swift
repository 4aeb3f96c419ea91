import FoundationEssentials
import Model

/// A package dpkg considers installed (it has a current version).
public struct InstalledPackage: Sendable, Equatable {
    public var name: String
    /// `amd64`, `all`, …
    public var architecture: String
    public var version: String
    /// Selection `hold` (`apt-mark hold`, `dpkg --set-selections`).
    public var held: Bool
    /// The state word of `Status:` (`installed`, `half-configured`, …).
    public var state: String
}

/// dpkg's database of installed packages, read from `/var/lib/dpkg/status` (dpkg(1) "FILES").
public struct DpkgDatabase: Sendable {
    public static let statusPath = "/var/lib/dpkg/status"

    public var packages: [InstalledPackage]
    /// The architecture of the `dpkg` package itself, which is dpkg's native architecture; nil when absent.
    public var nativeArchitecture: String?

    /// States in which apt sees a current version (apt-pkg `pkgCache::State`): everything from
    /// `unpacked` on; `config-files` and `not-installed` have none.
    static let currentStates: Set<String> = [
        "installed", "unpacked", "half-configured", "half-installed", "triggers-awaited", "triggers-pending",
    ]

    /// Parses the status file.
    /// - Throws: `ControlFileError` naming the file and line when a line is malformed, a stanza lacks
    ///   `Package`, `Status` or (for an installed package) `Version`, or the file ends mid-line (truncated).
    public static func read(_ root: FileSystemRoot, path: String = statusPath) throws(ControlFileError) -> DpkgDatabase {
        let bytes: [UInt8]
        do {
            bytes = try root.read(path, limit: 256 << 20)
        } catch {
            throw ControlFileError(path: path, line: 0, text: error.localizedText)
        }
        return try parse(bytes, path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(ControlFileError) -> DpkgDatabase {
        var scanner = ControlFileScanner()
        scanner.allowsComments = false
        var packages: [InstalledPackage] = []
        var native: String?
        var name: String?
        var status: String?
        var version: String?
        var architecture: String?
        var problem: ControlFileError?
        scanner.scan(bytes) { event in
            guard problem == nil else { return }
            switch event {
            case .field(let field, let value, _):
                if field.isField("Package") { name = value.string }
                else if field.isField("Status") { status = value.string }
                else if field.isField("Version") { version = value.string }
                else if field.isField("Architecture") { architecture = value.string }
            case .malformed(let line, let message):
                problem = ControlFileError(path: path, line: line, text: message)
            case .endOfStanza(let start):
                defer { name = nil; status = nil; version = nil; architecture = nil }
                guard let package = name, !package.isEmpty else {
                    problem = ControlFileError(path: path, line: start, fr: "strophe sans champ Package", en: "stanza without a Package field")
                    return
                }
                guard let status else {
                    problem = ControlFileError(path: path, line: start, fr: "le paquet \(package) n'a pas de champ Status", en: "package \(package) has no Status field")
                    return
                }
                let words = status.split(separator: " ")
                guard words.count == 3 else {
                    problem = ControlFileError(
                        path: path, line: start, fr: "paquet \(package) : Status « \(status) » n'est pas de la forme « souhait drapeau état »",
                        en: "package \(package): Status \"\(status)\" is not \"want flag state\"")
                    return
                }
                let state = String(words[2])
                guard currentStates.contains(state) else { return }
                guard let version, DebianVersion(version) != nil else {
                    problem = ControlFileError(
                        path: path, line: start, fr: "le paquet installé \(package) n'a pas de champ Version valide", en: "installed package \(package) has no valid Version field")
                    return
                }
                let arch = architecture ?? "all"
                if package == "dpkg" { native = arch }
                packages.append(InstalledPackage(
                    name: package, architecture: arch, version: version, held: words[0] == "hold", state: state))
            }
        }
        // A file that ends mid-line was cut: say so first, whatever the cut made of the last line.
        if scanner.endedMidLine {
            throw ControlFileError(
                path: path, line: scanner.line,
                fr: "le fichier s'arrête au milieu d'une ligne : il est tronqué\(problem.map { " (\($0.problemFr) à la ligne \($0.line))" } ?? "")",
                en: "file ends in the middle of a line: it is truncated\(problem.map { " (\($0.problem) at line \($0.line))" } ?? "")")
        }
        // dpkg ends every stanza it writes with a blank line (`writedb`): a missing one means the file was
        // cut, which also explains a last stanza missing its Version: the truncation is named first.
        if !bytes.isEmpty && !(bytes.count >= 2 && bytes[bytes.count - 1] == 10 && bytes[bytes.count - 2] == 10) {
            throw ControlFileError(
                path: path, line: scanner.line,
                fr: "la dernière strophe n'est pas suivie de la ligne vide que dpkg écrit toujours : le fichier est tronqué\(problem.map { " (\($0.problemFr) à la ligne \($0.line))" } ?? "")",
                en: "the last stanza is not followed by the blank line dpkg always writes: the file is truncated\(problem.map { " (\($0.problem) at line \($0.line))" } ?? "")")
        }
        if let problem { throw problem }
        return DpkgDatabase(packages: packages, nativeArchitecture: native)
    }
}
