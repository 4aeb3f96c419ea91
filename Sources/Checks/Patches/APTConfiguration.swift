import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// apt's configuration as files give it, parsed as apt parses it, for the few options the patch check reads
/// (`APT::Default-Release`, `APT::Periodic::*`).
///
/// apt reads `/etc/apt/apt.conf.d` files whose names have only letters, digits, `_`, `-` and `.`, with no
/// extension or `.conf` (apt.conf(5)), in lexical order, then `/etc/apt/apt.conf`; a later value wins. Each file
/// is read as apt-pkg's `ReadConfigFile` reads it (apt-pkg/contrib/configuration.cc; apt.conf(5)):
/// - `A::B::C "value";` and nested scopes `A { B { C "value"; }; };` name the same option; names are
///   case-insensitive; a value is one or more quoted strings (joined with a space) or one unquoted word;
/// - `//` and `#` start a comment (not inside quotes), `/* … */` spans lines;
/// - `#clear A::B;` removes `A::B`'s value and everything below it, set by earlier files;
/// - `#include "/path";` reads a file, `#include "/dir/";` a folder (paths inside the audited root), at most
///   10 levels deep;
/// - `A::B:: "x";` and `A::B { "x"; "y"; };` add list items.
///
/// What apt refuses (a syntax error: a block with no name, extra junk after a value, a directive inside a
/// scope, an unknown directive, an unterminated statement at the end of a file, too many nested includes),
/// and a file, folder or include that exists but cannot be read, are `problems` (apt itself stops with
/// "E: Syntax error …" or "E: Opening configuration file … Permission denied"): options read from the rest
/// may be wrong, and the rules that depend on them say `error`. `AptConfigurationTests` compares the values
/// with `apt-config dump` on the same files.
struct APTConfiguration: Sendable {
    static let directory = "/etc/apt/apt.conf.d"
    static let mainFile = "/etc/apt/apt.conf"
    /// apt's limit on nested `#include` (configuration.cc: "Too many nested includes").
    static let maximumIncludeDepth = 10

    /// One set option: its value, the file and line that set it last.
    struct Entry: Sendable, Equatable {
        var name: String
        var value: String
        var file: String
        var line: Int
    }

    /// Files read, in apt's order (included files where their `#include` is).
    private(set) var files: [String] = []
    /// What could not be read or understood: file, line when known, and reason.
    private(set) var problems: [LocalizedText] = []
    /// Options by lowercased full name (`apt::periodic::enable`); list items have a generated last part.
    private var entries: [String: Entry] = [:]
    /// Lowercased names `#clear` emptied (with everything below them): apt's defaults no longer apply there.
    private var cleared: Set<String> = []
    private var listItems = 0

    /// Reads apt's configuration files from `root` in apt's order.
    static func read(_ root: FileSystemRoot) -> APTConfiguration {
        var configuration = APTConfiguration()
        configuration.readDirectory(root, directory, depth: 0)
        if root.isPresent(mainFile) {
            configuration.readFile(root, mainFile, depth: 0)
        }
        return configuration
    }

    /// Parses configuration text (tests, and the files `read` finds).
    static func parse(_ text: String, path: String) -> APTConfiguration {
        var configuration = APTConfiguration()
        configuration.parse(text, path: path, root: nil, depth: 0)
        return configuration
    }

    /// The last value given to `option` (any case), with the file that gives it; nil when it is not set
    /// or was cleared (`#clear`).
    func value(_ option: String) -> (value: String, file: String)? {
        entries[option.lowercased()].map { ($0.value, $0.file) }
    }

    // MARK: Paths (apt's FindFile / FindDir)

    /// apt's defaults (apt-pkg/init.cc `pkgInitConfig`) for the path options cyberctl resolves, lowercased.
    static let pathDefaults: [String: String] = [
        "dir": "/",
        "dir::etc": "etc/apt",
        "dir::etc::preferences": "preferences",
        "dir::etc::preferencesparts": "preferences.d",
    ]

    /// Where a path option leads, as apt's `Configuration::FindFile` computes it.
    enum ResolvedPath: Sendable, Equatable {
        /// An absolute path (inside the audited root), normalised as apt's `flNormalize` does.
        case path(String)
        /// Nothing: the option is empty (set to `""` or cleared) or `/dev/null`; apt reads no file.
        case none
        /// A path relative to apt's working directory (`./x`, `~/x`, `../x`, or a relative `Dir`), which
        /// cyberctl cannot resolve as apt would; the text to report says why.
        case unresolvable(LocalizedText)
    }

    /// The value apt would give `option` (lowercased): the files' value, else "" when `#clear` removed it (or a
    /// parent of it), else apt's default (`pathDefaults`), else "".
    private func effectiveValue(_ key: String) -> String {
        if let entry = entries[key] { return entry.value }
        if cleared.contains(where: { key == $0 || key.hasPrefix($0 + "::") }) { return "" }
        return Self.pathDefaults[key] ?? ""
    }

    /// apt-pkg's `Configuration::FindFile` (apt-pkg/contrib/configuration.cc): the option's value, prefixed by each
    /// non-empty parent's value (`Dir::Etc::Preferences` "preferences" under `Dir::Etc` "etc/apt" under `Dir` "/")
    /// until a value is absolute (`/…`) or explicitly relative (`./`, `~/`, `../`); then `RootDir` in front, and
    /// `//` and `/./` collapsed. An empty value is no file (apt's `ReadPinFile` passes no default).
    /// Sources: apt 2.6 `FindFile`, `FindDir` (a trailing `/`), `flNormalize`; apt.conf(5) "DIRECTORIES".
    func resolvedPath(_ option: String) -> ResolvedPath {
        let key = option.lowercased()
        var value = effectiveValue(key)
        guard !value.isEmpty else { return .none }
        var parts = key.components(separatedBy: "::")
        while parts.count > 1 {
            parts.removeLast()
            let parent = effectiveValue(parts.joined(separator: "::"))
            if parent.isEmpty { continue }
            if value.hasPrefix("/") {
                if value.hasPrefix("/dev/null") { value = "/dev/null" }
                break
            }
            if value.hasPrefix("./") || value.hasPrefix("~/") || value.hasPrefix("../") { break }
            if !parent.hasSuffix("/") { value = "/" + value }
            value = parent + value
        }
        let rootDir = effectiveValue("rootdir")
        if !rootDir.isEmpty { value = (rootDir.hasSuffix("/") ? rootDir : rootDir + "/") + value }
        while value.contains("/./") { value = value.replacing("/./", with: "/") }
        while value.contains("//") { value = value.replacing("//", with: "/") }
        if value.hasPrefix("/dev/null") { return .none }
        guard value.hasPrefix("/") else {
            return .unresolvable(LocalizedText(
                fr: "\(option) « \(value) » : chemin relatif au dossier courant d'apt, que cyberctl ne sait pas résoudre",
                en: "\(option) \"\(value)\": a path relative to apt's working directory, which cyberctl cannot resolve"))
        }
        return .path(value)
    }

    /// Every set option, sorted by name (tests compare it with `apt-config dump`).
    var allEntries: [Entry] { entries.values.sorted { $0.name.lowercased() < $1.name.lowercased() } }

    // MARK: Reading files

    private static func cannotRead(_ error: FileAccessError) -> LocalizedText {
        error.localizedText + LocalizedText(fr: " : la configuration d'apt ne peut être lue", en: ": apt's configuration cannot be read")
    }

    /// apt's `ReadConfigDir`: files with allowed names, in lexical order.
    private mutating func readDirectory(_ root: FileSystemRoot, _ directory: String, depth: Int) {
        let names: [String]
        do {
            names = try root.entries(directory) ?? []
        } catch {
            problems.append(Self.cannotRead(error))
            return
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for name in names where name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
            && (!name.contains(".") || name.hasSuffix(".conf")) {
            // apt passes over a folder with a notice; cyberctl, stricter, calls it unreadable (a configuration
            // file replaced by a folder is a broken system, whose settings are not known).
            readFile(root, base + "/" + name, depth: depth)
        }
    }

    private mutating func readFile(_ root: FileSystemRoot, _ path: String, depth: Int) {
        let text: String
        do {
            text = try root.readText(path, limit: 1 << 20)
        } catch {
            problems.append(Self.cannotRead(error))
            return
        }
        parse(text, path: path, root: root, depth: depth)
    }

    // MARK: apt's parser

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || (9...13).contains(byte) }

    private static func strip(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }

    /// Number of `"` in `bytes` before `index`.
    private static func quotes(_ bytes: ArraySlice<UInt8>, before index: Int) -> Int {
        bytes[bytes.startIndex..<index].reduce(0) { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }
    }

    /// apt's `ParseQuoteWord`: a word up to whitespace, where `"…"` and `[…]` may hold spaces; quotes are
    /// removed and `%xx` decoded; trailing whitespace skipped. Nil at the end of the text or on an unclosed quote.
    private static func parseQuoteWord(_ text: [UInt8], _ position: inout Int) -> [UInt8]? {
        var index = position
        while index < text.count && text[index] == 32 { index += 1 }
        guard index < text.count else { return nil }
        let start = position
        while index < text.count && !isSpace(text[index]) {
            if text[index] == UInt8(ascii: "\"") {
                guard let close = text[(index + 1)...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                index = close
            }
            if text[index] == UInt8(ascii: "[") {
                guard let close = text[(index + 1)...].firstIndex(of: UInt8(ascii: "]")) else { return nil }
                index = close
            }
            index += 1
        }
        var word: [UInt8] = []
        var cursor = start
        while cursor < index {
            if text[cursor] == UInt8(ascii: "%"), cursor + 2 < index,
               let value = UInt8(String(decoding: text[(cursor + 1)...(cursor + 2)], as: UTF8.self), radix: 16) {
                word.append(value)
                cursor += 3
                continue
            }
            if text[cursor] != UInt8(ascii: "\"") { word.append(text[cursor]) }
            cursor += 1
        }
        while index < text.count && isSpace(text[index]) { index += 1 }
        position = index
        return word
    }

    /// apt's `ParseCWord`: one or more quoted strings separated by whitespace (joined with one space); nil,
    /// position unchanged, when an unquoted character comes or a quote is not closed.
    private static func parseCWord(_ text: [UInt8], _ position: inout Int) -> [UInt8]? {
        var index = position
        while index < text.count && text[index] == 32 { index += 1 }
        guard index < text.count else { return nil }
        var word: [UInt8] = []
        while index < text.count {
            if text[index] == UInt8(ascii: "\"") {
                index += 1
                while index < text.count && text[index] != UInt8(ascii: "\"") {
                    word.append(text[index])
                    index += 1
                }
                guard index < text.count else { return nil }
                index += 1
                continue
            }
            if index != position && isSpace(text[index]) && isSpace(text[index - 1]) {
                index += 1
                continue
            }
            guard isSpace(text[index]) else { return nil }
            word.append(32)
            index += 1
        }
        position = index
        return word
    }

    private mutating func problem(_ path: String, _ line: Int, fr: String, en: String) {
        problems.append(LocalizedText(
            fr: "\(path):\(line) : \(fr) (apt refuse alors toute sa configuration)",
            en: "\(path):\(line): \(en) (apt then refuses its whole configuration)"))
    }

    /// apt's `Configuration::Set`: a name ending in `::` adds a list item.
    private mutating func set(_ name: String, _ value: String, path: String, line: Int) {
        var key = name.lowercased()
        if key.hasSuffix("::") || key.isEmpty {
            listItems += 1
            key += "\u{0}\(listItems)"
        }
        entries[key] = Entry(name: name, value: value, file: path, line: line)
    }

    /// apt's `Configuration::Clear(Name)`: the value and everything below.
    private mutating func clear(_ name: String) {
        let key = name.lowercased()
        entries = entries.filter { $0.key != key && !$0.key.hasPrefix(key + "::") }
        cleared.insert(key)
    }

    /// apt-pkg's `ReadConfigFile` (not sectional), statement by statement. Stops at the first syntax error, as apt does.
    private mutating func parse(_ text: String, path: String, root: FileSystemRoot?, depth: Int) {
        files.append(path)
        var lineBuffer: [UInt8] = []
        var stack: [String] = []
        var parentTag = ""
        var inComment = false
        var lineNumber = 0
        let semicolon = UInt8(ascii: ";"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), quote = UInt8(ascii: "\"")
        func leaveScope() { parentTag = stack.popLast() ?? "" }
        for rawLine in Array(text.utf8).split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            // Tabs become 8 spaces, then leading and trailing whitespace goes.
            var expanded: [UInt8] = []
            for byte in rawLine { if byte == 9 { expanded += Array(repeating: 32, count: 8) } else { expanded.append(byte) } }
            var line = Self.strip(expanded[...])
            if inComment {
                guard let end = line.indices.first(where: { line[$0] == UInt8(ascii: "*") && $0 + 1 < line.endIndex && line[$0 + 1] == UInt8(ascii: "/") }) else { continue }
                line = line[(end + 2)...]
                inComment = false
            }
            // `//` comments, then `#` comments (but not #clear, #include, #x-apt-configure-index), outside quotes.
            var start = line.startIndex
            while start + 1 < line.endIndex {
                if line[start] == UInt8(ascii: "/") && line[start + 1] == UInt8(ascii: "/") {
                    if Self.quotes(line, before: start) % 2 != 0 { start += 1; continue }
                    line = line[..<start]
                    break
                }
                start += 1
            }
            start = line.startIndex
            while let hash = line[start...].firstIndex(of: UInt8(ascii: "#")) {
                let after = String(decoding: line[(hash + 1)...], as: UTF8.self)
                if Self.quotes(line, before: hash) % 2 != 0 || ["clear", "include", "x-apt-configure-index"].contains(where: { after.hasPrefix($0) }) {
                    start = hash + 1
                    continue
                }
                line = line[..<hash]
                break
            }
            // `/* … */`, possibly left open to the next lines.
            var fragment: [UInt8] = []
            start = line.startIndex
            while true {
                guard let commentStart = line[start...].indices.first(where: {
                    line[$0] == UInt8(ascii: "/") && $0 + 1 < line.endIndex && line[$0 + 1] == UInt8(ascii: "*")
                }) else { break }
                if Self.quotes(line, before: commentStart) % 2 != 0 {
                    start = commentStart + 2
                    continue
                }
                fragment += line[line.startIndex..<commentStart]
                if let end = line[(commentStart + 2)...].indices.first(where: {
                    line[$0] == UInt8(ascii: "*") && $0 + 1 < line.endIndex && line[$0 + 1] == UInt8(ascii: "/")
                }) {
                    line = line[(end + 2)...]
                    start = line.startIndex
                } else {
                    line = line[line.endIndex...]
                    inComment = true
                    break
                }
            }
            fragment += line
            guard !fragment.isEmpty else { continue }

            var inQuote = false
            var pieceStart = 0
            for index in fragment.indices {
                let byte = fragment[index]
                if byte == quote { inQuote.toggle() }
                guard !inQuote, byte == open || byte == semicolon || byte == close else { continue }
                let piece = Self.strip(fragment[pieceStart..<index])
                if !lineBuffer.isEmpty && !piece.isEmpty { lineBuffer.append(32) }
                lineBuffer += piece
                pieceStart = index + 1
                let terminator = byte
                if terminator == open && lineBuffer.isEmpty {
                    problem(path, lineNumber, fr: "bloc sans nom", en: "block starts with no name")
                    return
                }
                if lineBuffer.isEmpty {
                    if terminator == close { leaveScope() }
                    continue
                }
                var position = 0
                guard var tagBytes = Self.parseQuoteWord(lineBuffer, &position) else {
                    problem(path, lineNumber, fr: "nom d'option mal formé", en: "malformed tag")
                    return
                }
                var noWord = false
                var wordBytes: [UInt8]
                if let word = Self.parseCWord(lineBuffer, &position) ?? Self.parseQuoteWord(lineBuffer, &position) {
                    wordBytes = word
                } else if terminator != open {
                    wordBytes = tagBytes
                    tagBytes = []
                } else {
                    wordBytes = []
                    noWord = true
                }
                guard position == lineBuffer.count else {
                    problem(path, lineNumber, fr: "texte en trop après la valeur", en: "extra junk after value")
                    return
                }
                var tag = String(decoding: tagBytes, as: UTF8.self)
                let word = String(decoding: wordBytes, as: UTF8.self)
                if terminator == open {
                    stack.append(parentTag)
                    parentTag = parentTag.isEmpty ? tag : parentTag + "::" + tag
                    tag = ""
                }
                let item: String
                if parentTag.isEmpty {
                    item = tag
                } else if terminator != open || !tag.isEmpty {
                    item = parentTag + "::" + tag
                } else {
                    item = parentTag
                }
                if tag.hasPrefix("#") {
                    guard parentTag.isEmpty else {
                        problem(path, lineNumber, fr: "directive hors du niveau supérieur", en: "directives can only be done at the top level")
                        return
                    }
                    switch tag.dropFirst() {
                    case "clear":
                        clear(word)
                    case "include":
                        guard depth < Self.maximumIncludeDepth else {
                            problem(path, lineNumber, fr: "trop d'inclusions imbriquées", en: "too many nested includes")
                            return
                        }
                        guard let root, word.hasPrefix("/") else {
                            problems.append(LocalizedText(
                                fr: "\(path):\(lineNumber) : #include \"\(word)\" : chemin relatif, que cyberctl ne sait pas résoudre comme apt (depuis son dossier courant)",
                                en: "\(path):\(lineNumber): #include \"\(word)\": a relative path, which cyberctl cannot resolve as apt does (from its working directory)"))
                            return
                        }
                        let before = problems.count
                        if word.count > 2 && word.hasSuffix("/") {
                            readDirectory(root, word, depth: depth + 1)
                        } else {
                            readFile(root, word, depth: depth + 1)
                        }
                        if problems.count > before {
                            problem(path, lineNumber, fr: "inclus d'ici", en: "included from here")
                            return
                        }
                    case "x-apt-configure-index":
                        break
                    default:
                        problem(path, lineNumber, fr: "directive inconnue « \(tag) »", en: "unsupported directive '\(tag.dropFirst())'")
                        return
                    }
                } else if tag.isEmpty && !noWord && word == "#clear" {
                    problem(path, lineNumber, fr: "#clear sans nom d'option", en: "clear directive requires an option tree as argument")
                    return
                } else if !noWord {
                    set(item, word, path: path, line: lineNumber)
                }
                lineBuffer = []
                if terminator == close { leaveScope() }
            }
            // The rest waits for its terminator on a later line.
            let rest = Self.strip(fragment[pieceStart...])
            if !rest.isEmpty && !lineBuffer.isEmpty { lineBuffer.append(32) }
            lineBuffer += rest
        }
        if !lineBuffer.isEmpty {
            problem(path, lineNumber, fr: "instruction non terminée en fin de fichier", en: "extra junk at end of file")
        }
    }
}
