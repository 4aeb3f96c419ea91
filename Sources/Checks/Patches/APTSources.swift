import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// One `deb` source as apt reads it from `/etc/apt/sources.list`, `sources.list.d/*.list`
/// (one-line style, sources.list(5)) and `sources.list.d/*.sources` (deb822 style).
public struct APTSource: Sendable, Equatable {
    public var uri: String
    /// Suite or codename (`bookworm-security`); for a flat repository, a path ending in `/`.
    public var suite: String
    public var components: [String]
    /// Architectures named by the entry (`[arch=amd64]`, `Architectures:`); empty means the system's.
    public var architectures: [String]
    /// File and line that configure it.
    public var origin: String

    public var isFlat: Bool { suite.hasSuffix("/") }

    /// The URI's host, as `origin` pins match it (apt_preferences(5)); nil for `file:`, `cdrom:` and other URIs without one.
    var host: String? {
        guard let scheme = uri.byteRange(of: "://") else { return nil }
        let rest = uri[scheme.upperBound...]
        let hostPort = rest.prefix { $0 != "/" }
        let host = hostPort.split(separator: "@").last.map(String.init) ?? String(hostPort)
        return host.split(separator: ":").first.map(String.init)
    }

    /// apt's file-name prefix for this entry's files under `/var/lib/apt/lists` (apt-pkg
    /// `URItoFileName`: scheme and credentials removed, unsafe characters `%`-quoted, `/` → `_`).
    public var listPrefix: String {
        let base = uri.hasSuffix("/") ? uri : uri + "/"
        return isFlat ? Self.fileName(base + suite) : Self.fileName(base + "dists/" + suite + "/")
    }

    /// List file of the `Packages` index of one component and architecture (without compression suffix).
    public func packagesFileName(component: String, architecture: String) -> String {
        isFlat ? listPrefix + "Packages" : listPrefix + Self.fileName(component + "/binary-\(architecture)/") + "Packages"
    }

    static func fileName(_ uri: String) -> String {
        var text = Substring(uri)
        if let scheme = text.byteRange(of: "://") {
            text = text[scheme.upperBound...]
        } else if text.hasPrefix("file:") || text.hasPrefix("copy:") || text.hasPrefix("cdrom:") {
            text = text[text.index(after: text.firstIndex(of: ":")!)...]
        }
        // Credentials before '@' in the host part are dropped.
        if let slash = text.firstIndex(of: "/"), let at = text[..<slash].lastIndex(of: "@") {
            text = text[text.index(after: at)...]
        } else if !text.contains("/"), let at = text.lastIndex(of: "@") {
            text = text[text.index(after: at)...]
        }
        let unsafe = Set(" \\|{}[]<>\"^~_=!@#$%^&*".utf8)
        var result = ""
        for byte in text.utf8 {
            if byte == UInt8(ascii: "/") {
                result.append("_")
            } else if unsafe.contains(byte) || byte <= 0x20 || byte >= 0x7F {
                result += "%" + byte.zeroPadded(2, radix: 16)
            } else {
                result.append(Character(Unicode.Scalar(byte)))
            }
        }
        return result
    }
}

/// Reads the configured sources.
public enum APTSourcesReader {
    public struct Result: Sendable {
        public var sources: [APTSource] = []
        /// Files that could not be read or parsed, with the reason (apt refuses to run on these).
        public var problems: [LocalizedText] = []
        public var files: [String] = []
    }

    static func read(_ root: FileSystemRoot) -> Result {
        var result = Result()
        var oneLineFiles = ["/etc/apt/sources.list"].filter { root.exists($0) }
        var names: [String] = []
        do {
            names = try root.entries("/etc/apt/sources.list.d") ?? []
        } catch {
            result.problems.append(
                error.localizedText + LocalizedText(fr: " : les sources configurées ne peuvent toutes être connues", en: ": the configured sources cannot all be known"))
        }
        oneLineFiles += names.filter { $0.hasSuffix(".list") }.map { "/etc/apt/sources.list.d/" + $0 }
        let deb822Files = names.filter { $0.hasSuffix(".sources") }.map { "/etc/apt/sources.list.d/" + $0 }
        for path in oneLineFiles {
            result.files.append(path)
            do {
                result.sources += parseOneLine(try root.readText(path, limit: 1 << 20), path: path)
            } catch {
                result.problems.append(error.localizedText)
            }
        }
        for path in deb822Files {
            result.files.append(path)
            do {
                result.sources += try parseDeb822(try root.readText(path, limit: 1 << 20), path: path)
            } catch let error as ControlFileError {
                result.problems.append(error.localizedText)
            } catch let error as FileAccessError {
                result.problems.append(error.localizedText)
            } catch {
                result.problems.append(.verbatim(String(describing: error)))
            }
        }
        return result
    }

    /// One-line style: `deb [options] uri suite [component…]`; `deb-src` and comments ignored.
    static func parseOneLine(_ text: String, path: String) -> [APTSource] {
        var sources: [APTSource] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard words.first == "deb" else { continue }
            words.removeFirst()
            var architectures: [String] = []
            if let first = words.first, first.hasPrefix("[") {
                var options: [String] = []
                while !words.isEmpty {
                    let word = words.removeFirst()
                    options.append(word)
                    if word.hasSuffix("]") { break }
                }
                let joined = options.joined(separator: " ").trimming(TrimmedScalars(charactersIn: "[]"))
                for option in joined.split(separator: " ") where option.hasPrefix("arch=") {
                    architectures = option.dropFirst(5).split(separator: ",").map(String.init)
                }
            }
            guard words.count >= 2 else { continue }
            sources.append(APTSource(
                uri: words[0], suite: words[1], components: Array(words.dropFirst(2)), architectures: architectures,
                origin: "\(path):\(index + 1)"))
        }
        return sources
    }

    /// apt's reading of a deb822 `Enabled:` value (apt-pkg `StringToBool`, default true): `no`, `false`,
    /// `without`, `off`, `disable` (any case) and the number 0 disable the stanza; anything else keeps it.
    /// The one-line style has no such option (apt 2.6 reads `[enabled=no]` lines as enabled).
    static func isEnabled(_ value: String?) -> Bool {
        guard let value = value?.trimming(.whitespaces).lowercased(), !value.isEmpty else { return true }
        if ["no", "false", "without", "off", "disable"].contains(value) { return false }
        if let number = Int(value) { return number != 0 }
        return true
    }

    /// deb822 style: stanzas with `Types`, `URIs`, `Suites`, `Components`, `Architectures`, `Enabled`.
    static func parseDeb822(_ text: String, path: String) throws(ControlFileError) -> [APTSource] {
        var sources: [APTSource] = []
        for stanza in try ControlStanza.parseAll(text, path: path) {
            func words(_ name: String) -> [String] {
                (stanza[name] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            }
            guard words("Types").contains("deb"), isEnabled(stanza["Enabled"]) else { continue }
            let suites = words("Suites")
            guard !words("URIs").isEmpty, !suites.isEmpty else {
                throw ControlFileError(path: path, line: stanza.startLine, fr: "une strophe deb demande URIs et Suites", en: "a deb stanza needs URIs and Suites")
            }
            for uri in words("URIs") {
                for suite in suites {
                    sources.append(APTSource(
                        uri: uri, suite: suite, components: words("Components"), architectures: words("Architectures"),
                        origin: "\(path):\(stanza.startLine)"))
                }
            }
        }
        return sources
    }
}

/// What a `Release`/`InRelease` file says about a suite (the fields apt pins on).
public struct APTRelease: Sendable, Equatable {
    public var origin: String?
    public var label: String?
    /// Archive (`a=`), e.g. `oldstable-security`.
    public var suite: String?
    /// `n=`, e.g. `bookworm-security`.
    public var codename: String?
    public var version: String?
    /// `Date:` as written (RFC 2822).
    public var date: String?
    public var notAutomatic = false
    public var butAutomaticUpgrades = false
    /// `Components:` and `Architectures:`: the lists the archive announces for this suite (empty when not said).
    public var components: [String] = []
    public var architectures: [String] = []
    /// The file it was read from.
    public var path: String

    /// Whether the suite announces `component`, as apt's `debReleaseIndex::HasSupportForComponent` decides:
    /// a `Components:` entry matches whole, or by its part after the last `/` (debian-security's Release says
    /// `updates/main updates/contrib …` for the `main`, `contrib` … of a sources entry; apt-pkg/deb/debmetaindex.cc).
    /// False when the Release file gives no `Components:` (apt then assumes every component; cyberctl does not call
    /// a list announced on that silence).
    public func announces(component: String) -> Bool {
        components.contains { $0 == component || $0.split(separator: "/").last.map(String.init) == component }
    }

    /// A security suite: `*-security` suite or codename (Debian, Ubuntu pockets), `*/updates`
    /// (Debian ≤ 10), or the `Debian-Security` label.
    public var isSecurity: Bool {
        let names = [suite, codename].compactMap { $0?.lowercased() }
        return names.contains { $0.hasSuffix("-security") || $0.hasSuffix("/updates") }
            || label?.lowercased() == "debian-security"
    }

    /// Parses a Release `Date:` (RFC 2822 as apt writes it: `Sat, 28 Nov 2026 08:21:13 UTC`); nil otherwise.
    public static func parseDate(_ text: String) -> Date? {
        InternetDate.parse(text.trimming(.whitespaces))
    }

    /// apt's default pin priority for this file: 1 for `NotAutomatic`, 100 with `ButAutomaticUpgrades`, else 500.
    public var defaultPriority: Int { notAutomatic ? (butAutomaticUpgrades ? 100 : 1) : 500 }

    /// Parses a Release file, or an InRelease file (clear-signed: the armour header is skipped and
    /// only the first stanza, before the signature, is read). Works on bytes: an InRelease file of the
    /// main Debian suite is 150 KB of hash lines this check does not need.
    static func parse(_ bytes: [UInt8], path: String) throws(ControlFileError) -> APTRelease {
        var start = 0
        var lineOffset = 0
        let armour = Array("-----BEGIN PGP SIGNED MESSAGE-----".utf8)
        if bytes.starts(with: armour) {
            // Armour header lines (Hash: …) end at the first blank line.
            var index = 0
            var previousNewline = -2
            while index < bytes.count {
                if bytes[index] == 10 {
                    lineOffset += 1
                    if index == previousNewline + 1 { break }
                    previousNewline = index
                }
                index += 1
            }
            guard index < bytes.count else {
                throw ControlFileError(path: path, line: 1, fr: "fichier signé en clair sans contenu", en: "clear-signed file without a body")
            }
            start = index + 1
        }
        var scanner = ControlFileScanner()
        var fields: [String: String] = [:]
        var firstLine: Int?
        var done = false
        var problem: ControlFileError?
        let wanted = ["origin", "label", "suite", "codename", "version", "date", "notautomatic", "butautomaticupgrades", "components", "architectures"]
        // The signed text ends where the signature armour begins.
        var end = bytes.count
        if start > 0 {
            let signature = Array("\n-----BEGIN PGP SIGNATURE-----".utf8)
            var index = start
            while index + signature.count <= bytes.count {
                if bytes[index] == 10 && bytes[index..<(index + signature.count)].elementsEqual(signature) {
                    end = index + 1
                    break
                }
                index += 1
            }
        }
        bytes.withUnsafeBufferPointer { buffer in
            let body = UnsafeBufferPointer(rebasing: buffer[start..<end])
            let handle: (ControlFileScanner.Event) -> Void = { event in
                guard !done else { return }
                switch event {
                case .field(let name, let value, let line):
                    if firstLine == nil { firstLine = line }
                    let lowered = name.string.lowercased()
                    if wanted.contains(lowered) { fields[lowered] = value.string }
                case .malformed(let line, let message):
                    problem = ControlFileError(path: path, line: line + lineOffset, text: message)
                    done = true
                case .endOfStanza:
                    done = true
                }
            }
            scanner.feed(body, handle)
            scanner.finish(handle)
        }
        if let problem { throw problem }
        guard firstLine != nil else { throw ControlFileError(path: path, line: 1, fr: "fichier Release vide", en: "empty Release file") }
        var release = APTRelease(path: path)
        release.origin = fields["origin"]
        release.label = fields["label"]
        release.suite = fields["suite"]
        release.codename = fields["codename"]
        release.version = fields["version"]
        release.date = fields["date"]
        release.notAutomatic = fields["notautomatic"]?.lowercased() == "yes"
        release.butAutomaticUpgrades = fields["butautomaticupgrades"]?.lowercased() == "yes"
        release.components = (fields["components"] ?? "").split(separator: " ").map(String.init)
        release.architectures = (fields["architectures"] ?? "").split(separator: " ").map(String.init)
        guard release.suite != nil || release.codename != nil else {
            throw ControlFileError(
                path: path, line: (firstLine ?? 1) + lineOffset, fr: "le fichier Release ne nomme ni Suite ni Codename",
                en: "Release file names neither Suite nor Codename")
        }
        return release
    }
}
