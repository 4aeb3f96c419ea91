import FoundationEssentials
import FoundationGaps
import NIS2

#if canImport(Glibc)
import Glibc
import Model
#endif

/// Pin records from `/etc/apt/preferences` and `/etc/apt/preferences.d/*` (apt_preferences(5)).
///
/// Supported: `Package:` names, globs and `/regex/` (or `*` for the general form), and `Pin:` of the
/// forms `release a=,n=,v=,o=,l=,c=,b=` (values may be globs or `/regex/`), `origin "host"` and
/// `version 1.2*`. The most specific form wins: a record naming the package comes before a general
/// (`Package: *`) record; within a form the first matching record wins.
public struct APTPreferences: Sendable {
    public struct Pin: Sendable, Equatable {
        public enum Target: Sendable, Equatable {
            case release([String: String])
            case origin(String)
            case version(String)
        }
        /// Package patterns; `["*"]` for the general form.
        public var packages: [String]
        public var target: Target
        public var priority: Int
        public var origin: String

        var isGeneral: Bool { packages == ["*"] }
    }

    public var pins: [Pin] = []
    /// Files read, and problems met.
    public var files: [String] = []
    /// What could not be read or understood, French and English.
    public var problems: [LocalizedText] = []

    /// Reads the pin file and the parts folder where apt's configuration puts them (apt-pkg/policy.cc `ReadPinFile`,
    /// `ReadPinDir`): `Dir::Etc::Preferences` (default `/etc/apt/preferences`), then the files of
    /// `Dir::Etc::PreferencesParts` (default `/etc/apt/preferences.d`) that apt's `GetListOfFilesInDir(dir, "pref")`
    /// keeps, in lexical order.
    ///
    /// A missing file or folder is no pin, as for apt. Stricter than apt, which passes over a folder where a file is
    /// expected, anything present that cannot be read (permission, link loop, a folder) is a problem: the pins, and
    /// so apt's candidates, are then not known.
    static func read(_ root: FileSystemRoot, configuration: APTConfiguration = APTConfiguration()) -> APTPreferences {
        var preferences = APTPreferences()
        var paths: [String] = []
        switch configuration.resolvedPath("Dir::Etc::Preferences") {
        case .path(let file):
            if root.exists(file) { paths.append(file) }
        case .none:
            break
        case .unresolvable(let problem):
            preferences.problems.append(problem + LocalizedText(fr: " : les pins ne peuvent tous être connus", en: ": the pins cannot all be known"))
        }
        switch configuration.resolvedPath("Dir::Etc::PreferencesParts") {
        case .path(let directory):
            var names: [String] = []
            do {
                names = try root.entries(directory) ?? []
            } catch {
                preferences.problems.append(error.localizedText + LocalizedText(fr: " : les pins ne peuvent tous être connus", en: ": the pins cannot all be known"))
            }
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            paths += names.filter(isPinFileName).map { base + "/" + $0 }
        case .none:
            break
        case .unresolvable(let problem):
            preferences.problems.append(problem + LocalizedText(fr: " : les pins ne peuvent tous être connus", en: ": the pins cannot all be known"))
        }
        for path in paths {
            preferences.files.append(path)
            do {
                let text = try root.readText(path, limit: 1 << 20)
                for stanza in try ControlStanza.parseAll(text, path: path) {
                    guard let package = stanza["Package"], let pin = stanza["Pin"], let priorityText = stanza["Pin-Priority"] else {
                        // A stanza with only Explanation lines is a comment.
                        if stanza.fields.allSatisfy({ $0.name.lowercased() == "explanation" }) { continue }
                        throw ControlFileError(
                            path: path, line: stanza.startLine, fr: "un pin demande Package, Pin et Pin-Priority", en: "a pin needs Package, Pin and Pin-Priority")
                    }
                    guard let priority = Int(priorityText.trimming(.whitespaces)) else {
                        throw ControlFileError(
                            path: path, line: stanza.startLine, fr: "Pin-Priority « \(priorityText) » n'est pas un nombre",
                            en: "Pin-Priority \"\(priorityText)\" is not a number")
                    }
                    guard let target = parseTarget(pin) else {
                        throw ControlFileError(path: path, line: stanza.startLine, fr: "Pin « \(pin) » non pris en charge", en: "unsupported Pin \"\(pin)\"")
                    }
                    preferences.pins.append(Pin(
                        packages: package.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init),
                        target: target, priority: priority, origin: "\(path):\(stanza.startLine)"))
                }
            } catch let error as ControlFileError {
                preferences.problems.append(error.localizedText)
            } catch let error as FileAccessError {
                preferences.problems.append(error.localizedText)
            } catch {
                preferences.problems.append(.verbatim(String(describing: error)))
            }
        }
        return preferences
    }

    /// Whether apt reads a file of the parts folder, as apt-pkg's `GetListOfFilesInDir(dir, {"pref", ""})` decides:
    /// not hidden (`.x`); no extension or the extension `pref` (after the last `.`, case-sensitive); only ASCII
    /// letters, digits, `_`, `-`, `:` and `.`; not ending with `.`. Others (`foo.disabled`, `foo.pref.bak`,
    /// `foo~`, `foo bar`) apt passes over, some with a notice.
    static func isPinFileName(_ name: String) -> Bool {
        guard let first = name.first, first != ".", name.last != "." else { return false }
        if let dot = name.lastIndex(of: "."), name[name.index(after: dot)...] != "pref" { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-:.".contains($0)) }
    }

    static func parseTarget(_ text: String) -> Pin.Target? {
        let trimmed = text.trimming(.whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return trimmed == "release" ? .release([:]) : nil }
        let kind = trimmed[..<space]
        let rest = trimmed[trimmed.index(after: space)...].trimming(.whitespaces)
        switch kind {
        case "version": return .version(rest)
        case "origin": return .origin(rest.trimming(TrimmedScalars(charactersIn: "\"")))
        case "release":
            var fields: [String: String] = [:]
            if !rest.contains("=") {
                fields["a"] = rest  // "release stable" is shorthand for the archive
            } else {
                for pair in rest.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimming(.whitespaces) }
                    guard parts.count == 2 else { return nil }
                    fields[parts[0]] = parts[1].trimming(TrimmedScalars(charactersIn: "\""))
                }
            }
            return .release(fields)
        default: return nil
        }
    }

    /// apt's match of a pattern: `/regex/`, a glob, or a literal.
    /// As apt-pkg's `pkgVersionMatch::ExpressionMatches`: `/regex/` searched anywhere, ignoring case (`REG_ICASE`);
    /// anything else a shell pattern matched whole, ignoring case (`fnmatch` with `FNM_CASEFOLD`): `l=debian-security`
    /// matches the label `Debian-Security`.
    static func matches(_ pattern: String, _ value: String) -> Bool {
        if pattern.count >= 2 && pattern.hasPrefix("/") && pattern.hasSuffix("/") {
            let expression = String(pattern.dropFirst().dropLast())
            guard let regex = try? Regex(expression) else { return false }
            return value.contains(regex.ignoresCase())
        }
        // glibc's FNM_CASEFOLD (fnmatch.h: 1 << 4), not imported into Swift.
        return fnmatch(pattern, value, 1 << 4) == 0
    }

    /// Where a version comes from, for pin matching.
    struct VersionSource {
        /// nil for dpkg's status file (the installed version).
        var release: APTRelease?
        var component: String?
        var architecture: String?
        /// Host of the source URI, for `origin` pins.
        var host: String?
    }

    /// The priority of `version` of `package` from `source`, or nil when no pin applies.
    func pinnedPriority(package: String, version: String, source: VersionSource) -> Int? {
        for general in [false, true] {
            for pin in pins where pin.isGeneral == general {
                if !general && !pin.packages.contains(where: { Self.matches($0, package) }) { continue }
                if pinMatches(pin.target, version: version, source: source) { return pin.priority }
            }
        }
        return nil
    }

    /// The general pin (`Package: *`) that applies to every package of `source`, whatever its version: the first one
    /// whose target is the release or the origin host (a `version` pin depends on the package). Nil when none does.
    func generalPin(source: VersionSource) -> Pin? {
        pins.first { pin in
            guard pin.isGeneral else { return false }
            if case .version = pin.target { return false }
            return pinMatches(pin.target, version: "", source: source)
        }
    }

    private func pinMatches(_ target: Pin.Target, version: String, source: VersionSource) -> Bool {
        switch target {
        case .version(let pattern):
            return Self.matches(pattern, version)
        case .origin(let host):
            guard source.release != nil else { return false }
            return host.isEmpty ? source.host == nil : source.host == host
        case .release(let fields):
            guard let release = source.release else { return false }
            for (key, pattern) in fields {
                let value: String?
                switch key {
                case "a": value = release.suite
                case "n": value = release.codename
                case "v": value = release.version
                case "o": value = release.origin
                case "l": value = release.label
                case "c": value = source.component
                case "b": value = source.architecture
                default: return false
                }
                guard let value, Self.matches(pattern, value) else { return false }
            }
            return true
        }
    }
}
