/// A streaming reader of Debian control data (deb822: dpkg's `status`, apt's `Packages` and
/// `Release` files, `.sources` files): stanzas of `Field: value` lines separated by blank lines,
/// continuation lines starting with a space or a tab (deb-control(5), deb822(5)).
///
/// It is fed chunks of bytes of any size and calls its handler per field and per end of stanza,
/// with the field name and first-line value as borrowed byte buffers: nothing is allocated per field,
/// so a 50 MB `Packages` file streams through in constant memory. Lines are numbered from 1.
struct ControlFileScanner {
    enum Event {
        /// A field line: name and first-line value (surrounding blanks removed), valid only during the call.
        case field(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, line: Int)
        /// A line that is neither a field, a continuation, a comment nor blank: the stanza is broken.
        case malformed(line: Int, problem: LocalizedText)
        /// End of a stanza that began at `startLine`.
        case endOfStanza(startLine: Int)
    }

    /// Lines seen so far.
    private(set) var line = 0
    private var carry: [UInt8] = []
    private var inStanza = false
    private var stanzaStart = 0
    /// True when the data ended in the middle of a line (no final newline).
    private(set) var endedMidLine = false
    /// Comment lines (`#`) are allowed in `.sources` and preferences files, not by dpkg.
    var allowsComments = true

    /// Longest line kept, in bytes; a longer one is reported as malformed and skipped, so a file
    /// without newlines cannot make the scanner grow without bound. Real lines are under 100 KB.
    static let maximumLineLength = 1 << 20
    private var overlong = false

    /// Feeds the next chunk.
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ handle: (Event) -> Void) {
        guard chunk.count > 0 else { return }
        var start = 0
        if !carry.isEmpty || overlong {
            guard let newline = Self.find(UInt8(ascii: "\n"), in: chunk, from: 0) else {
                appendCarry(chunk)
                return
            }
            appendCarry(UnsafeBufferPointer(rebasing: chunk[0..<newline]))
            finishCarriedLine(handle)
            start = newline + 1
        }
        while start < chunk.count {
            guard let newline = Self.find(UInt8(ascii: "\n"), in: chunk, from: start) else {
                appendCarry(UnsafeBufferPointer(rebasing: chunk[start...]))
                return
            }
            processLine(UnsafeBufferPointer(rebasing: chunk[start..<newline]), handle)
            start = newline + 1
        }
    }

    private mutating func appendCarry(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !overlong else { return }
        if carry.count + bytes.count > Self.maximumLineLength {
            overlong = true
            carry.removeAll()
            return
        }
        carry.append(contentsOf: bytes)
    }

    private mutating func finishCarriedLine(_ handle: (Event) -> Void) {
        if overlong {
            overlong = false
            line += 1
            if !inStanza {
                inStanza = true
                stanzaStart = line
            }
            handle(.malformed(line: line, problem: LocalizedText(fr: "ligne de plus de \(Self.maximumLineLength) octets", en: "line longer than \(Self.maximumLineLength) bytes")))
            return
        }
        let joined = carry
        carry.removeAll(keepingCapacity: true)
        joined.withUnsafeBufferPointer { processLine($0, handle) }
    }

    /// Ends the data: a last line without newline is processed (and `endedMidLine` set), an open stanza is closed.
    mutating func finish(_ handle: (Event) -> Void) {
        if !carry.isEmpty || overlong {
            endedMidLine = true
            finishCarriedLine(handle)
        }
        if inStanza {
            inStanza = false
            handle(.endOfStanza(startLine: stanzaStart))
        }
    }

    /// Convenience: scans a whole buffer.
    mutating func scan(_ bytes: [UInt8], _ handle: (Event) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, handle) }
        finish(handle)
    }

    private mutating func processLine(_ raw: UnsafeBufferPointer<UInt8>, _ handle: (Event) -> Void) {
        line += 1
        var end = raw.count
        if end > 0 && raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let text = UnsafeBufferPointer(rebasing: raw[0..<end])
        guard let first = text.first, !Self.isBlankLine(text) else {
            if inStanza {
                inStanza = false
                handle(.endOfStanza(startLine: stanzaStart))
            }
            return
        }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            if !inStanza {
                handle(.malformed(line: line, problem: LocalizedText(fr: "ligne de continuation hors de tout champ", en: "continuation line outside of any field")))
            }
            return
        }
        if first == UInt8(ascii: "#") && allowsComments { return }
        if !inStanza {
            inStanza = true
            stanzaStart = line
        }
        guard let colon = Self.find(UInt8(ascii: ":"), in: text, from: 0), colon > 0 else {
            handle(.malformed(line: line, problem: LocalizedText(fr: "« Champ: valeur » attendu", en: "expected \"Field: value\"")))
            return
        }
        var valueStart = colon + 1
        while valueStart < text.count && (text[valueStart] == UInt8(ascii: " ") || text[valueStart] == UInt8(ascii: "\t")) {
            valueStart += 1
        }
        var valueEnd = text.count
        while valueEnd > valueStart && (text[valueEnd - 1] == UInt8(ascii: " ") || text[valueEnd - 1] == UInt8(ascii: "\t")) {
            valueEnd -= 1
        }
        handle(.field(
            name: UnsafeBufferPointer(rebasing: text[0..<colon]),
            value: UnsafeBufferPointer(rebasing: text[valueStart..<valueEnd]), line: line))
    }

    private static func isBlankLine(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in text where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { return false }
        return true
    }

    @inline(__always)
    static func find(_ byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension UnsafeBufferPointer where Element == UInt8 {
    /// True when the bytes equal `name` compared ASCII-case-insensitively (deb822 field names are case-insensitive).
    @inline(__always)
    func isField(_ name: StaticString) -> Bool {
        guard count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for index in 0..<count {
            var byte = self[index]
            if byte >= 65 && byte <= 90 { byte += 32 }
            var other = expected[index]
            if other >= 65 && other <= 90 { other += 32 }
            if byte != other { return false }
        }
        return true
    }

    var string: String { String(decoding: self, as: UTF8.self) }
}

/// A whole stanza, for the small files where convenience beats speed (Release, .sources, preferences).
struct ControlStanza: Sendable, Equatable {
    /// Fields in order; names as written. Multi-line values keep their continuation lines joined by "\n".
    var fields: [(name: String, value: String)]
    var startLine: Int

    static func == (lhs: ControlStanza, rhs: ControlStanza) -> Bool {
        lhs.startLine == rhs.startLine && lhs.fields.map(\.name) == rhs.fields.map(\.name)
            && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// The value of a field, by case-insensitive name.
    subscript(_ name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Parses small deb822 text whole, keeping continuation lines.
    /// - Throws: `ControlFileError` for the first malformed line.
    static func parseAll(_ text: String, path: String) throws(ControlFileError) -> [ControlStanza] {
        var stanzas: [ControlStanza] = []
        var current: ControlStanza?
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if let stanza = current { stanzas.append(stanza) }
                current = nil
                continue
            }
            if line.hasPrefix("#") { continue }
            if line.first == " " || line.first == "\t" {
                guard var stanza = current, !stanza.fields.isEmpty else {
                    throw ControlFileError(path: path, line: number, fr: "ligne de continuation hors de tout champ", en: "continuation line outside of any field")
                }
                let continuation = line.trimming(.whitespaces)
                stanza.fields[stanza.fields.count - 1].value += "\n" + (continuation == "." ? "" : continuation)
                current = stanza
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ControlFileError(
                    path: path, line: number, fr: "« Champ: valeur » attendu, trouvé « \(line.prefix(60)) »", en: "expected \"Field: value\", got \"\(line.prefix(60))\"")
            }
            if current == nil { current = ControlStanza(fields: [], startLine: number) }
            current!.fields.append((
                String(line[..<colon]), line[line.index(after: colon)...].trimming(.whitespaces)))
        }
        if let stanza = current { stanzas.append(stanza) }
        return stanzas
    }
}

import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// A problem in a control file, naming the file and line.
public struct ControlFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int
    /// What is wrong, in English.
    public let problem: String
    /// What is wrong, in French.
    public let problemFr: String

    /// A problem at `line` of `path` (0: the file as a whole), French and English.
    public init(path: String, line: Int, fr: String, en: String) {
        self.path = path
        self.line = line
        self.problem = en
        self.problemFr = fr
    }

    /// A problem given in both languages.
    public init(path: String, line: Int, text: LocalizedText) { self.init(path: path, line: line, fr: text.fr, en: text.en) }

    /// What is wrong, in both languages.
    public var problemText: LocalizedText { LocalizedText(fr: problemFr, en: problem) }
    public var description: String { "\(path):\(line): \(problem)" }
    /// `path:line: problem` in both languages.
    public var localizedText: LocalizedText { LocalizedText(fr: "\(path):\(line) : \(problemFr)", en: description) }
}
