import Checks
import Foundation
import Model
import TerritoryGenerator
@testable import Territory

/// The territory generator's SplitMix64 (Steele, Lea, Flood 2014), with the draws the mutations use:
/// small, seeded, the same sequence on every machine.
struct FuzzRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// One mutated report: what was done (to reproduce and to explain a failure) and the bytes to sign.
struct MutatedReport {
    var description: String
    var bytes: [UInt8]
    /// The host name the report carries when it is still an object with one (for the host view).
    var hostname: String?
}

/// Mutates a valid report structurally, as a compromised agent could before signing it: numbers at and
/// beyond every integer bound, NaN and Infinity spellings, deep nesting, huge strings, control and
/// bidirectional formatting characters in every string, dates at the edges, duplicate keys, unknown
/// keys, type swaps, missing members, invalid UTF-8. Several mutations may stack on one report.
struct ReportMutator {
    /// The valid report, parsed.
    let base: [String: JSONValue]
    /// The present of the run: dates are placed around it.
    let now: Date

    /// A marker for number text that `JSONValue` cannot hold (beyond Int64, NaN spellings): written raw.
    static let rawPrefix = "\u{0}RAW:"

    static let hostileStrings: [String] = [
        "\u{1B}[2J\u{1B}[H✓ valide", "srv\u{1B}]0;pwned\u{07}", "a\rb", "line\nforged ✓ valid", "\u{9B}31mred", "\u{202E}lanigiro",
        "\u{2066}iso\u{2069}", "nul\u{0}byte", "tab\there", "\u{7F}del", "\u{85}nel", "\u{2028}ls", "\u{061C}alm", "\u{200F}rlm",
        "\u{FEFF}bom", "é\u{301}combining", "emoji 🛡️", "<script>alert(1)</script>", "=HYPERLINK(\"x\")", "| pipe | md |",
        "\"quoted\" \\ backslash", "",
    ]

    static let numberTexts: [String] = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "18446744073709551616", "99999999999999999999999999", "9007199254740991", "9007199254740992", "-9007199254740992",
        "1e308", "-1e308", "1.7976931348623157e308", "4.9e-324", "1e-300", "-0", "0", "-1", "1.5", "100", "101",
        "100000000", "100000001", "86400000", "86400001", "1e2", "1E+2", "0.0", "2147483648", "4294967296",
    ]

    static let invalidNumberTexts: [String] = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "+1", "01", ".5", "1.", "0x10", "1e"]

    func dates() -> [String] {
        let iso = { (offset: TimeInterval) in ISO8601.string(from: now.addingTimeInterval(offset)) }
        return [
            "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2024-02-29T12:00:00Z",
            "2025-02-29T12:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-06-00T00:00:00Z",
            "2026-06-10T24:00:00Z", "2026-06-10T23:60:00Z", "2026-06-30T23:59:60Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:60Z",
            "2099-01-01T00:00:00Z", "2026-11-29T08:00:00+01:00", "2026-11-29T08:00:00.123Z", "2026-11-29 08:00:00Z", "",
            iso(-86_400 * 400), iso(-60), iso(0), iso(240), iso(360), iso(86_400 * 365),
        ]
    }

    /// A mutated report: one to three mutations on the tree, sometimes one on the text.
    func mutate(_ random: inout FuzzRandom) -> MutatedReport {
        var root = JSONValue.object(base)
        var notes: [String] = []
        for _ in 0..<(1 + random.below(3)) { notes.append(mutateTree(&root, &random)) }
        var bytes = Self.serialize(root)
        if random.chance(15) { notes.append(mutateText(&bytes, &random)) }
        var hostname: String?
        if case .object(let members) = root, case .object(let host)? = members["host"], case .string(let name)? = host["hostname"] { hostname = name }
        return MutatedReport(description: notes.joined(separator: "; "), bytes: bytes, hostname: hostname)
    }

    // MARK: Tree mutations

    func mutateTree(_ root: inout JSONValue, _ random: inout FuzzRandom) -> String {
        switch random.below(11) {
        case 0, 1:
            let path = random.pick(Self.paths(in: root, where: { if case .string = $0 { return true } else { return false } }))
            let value = random.pick(Self.hostileStrings)
            let text: String
            if case .string(let old)? = Self.get(root, path), random.chance(50) { text = old + value } else { text = value }
            Self.set(&root, path, .string(text))
            return "string \(Self.render(path)) = \(text.debugDescription)"
        case 2:
            let paths = Self.paths(in: root, where: { if case .int = $0 { return true } else if case .double = $0 { return true } else { return false } })
                + [["entity", "population"], ["summary", "score"], ["summary", "coverage"]]
            let path = random.pick(paths)
            let number = random.chance(85) ? random.pick(Self.numberTexts) : random.pick(Self.invalidNumberTexts)
            Self.set(&root, path, .string(Self.rawPrefix + number))
            return "number \(Self.render(path)) = \(number)"
        case 3:
            let date = random.pick(dates())
            Self.set(&root, ["generatedAt"], .string(date))
            return "generatedAt = \(date)"
        case 4:
            let depth = random.pick([8, 64, 126, 127, 128, 129, 300])
            var value = JSONValue.int(1)
            for level in 0..<depth { value = level % 2 == 0 ? .array([value]) : .object(["k": value]) }
            let path = ["results", "0", "evidence", "deep"]
            Self.set(&root, path, value)
            return "evidence nested \(depth) deep"
        case 5:
            let path = random.pick([["results", "0", "target"], ["host", "hostname"], ["entity", "name"], ["results", "0", "reason"], ["host", "kernel"]])
            // A host or entity name is shown on every row of the views (a 70 KB one makes MBs of output, slow to
            // check in a debug build): up to 20 000 characters there, up to 1 MiB elsewhere.
            let repeated = path.last == "hostname" || path.last == "name"
            let length = random.pick(repeated ? [256, 4096, 20_000] : [256, 4096, 70_000, 1 << 20])
            Self.set(&root, path, .string(String(repeating: random.pick(["x", "é", "\u{1B}", "🛡"]), count: length)))
            return "huge string \(Self.render(path)) (\(length) characters)"
        case 6:
            let path = random.pick([[], ["entity"], ["host"], ["host", "os"], ["agent"], ["summary"], ["results", "0"], ["results", "0", "evidence"]])
            let key = random.pick(["unknown", "siren", "__proto__", "\u{1B}[31m", ""])
            var target = Self.get(root, path) ?? .object([:])
            if case .object(var members) = target { members[key] = .string("surplus") ; target = .object(members) }
            Self.set(&root, path, target)
            return "unknown key \(key.debugDescription) in \(Self.render(path))"
        case 7:
            let paths = Self.paths(in: root, where: { _ in true })
            let path = random.pick(paths)
            let value = random.pick([JSONValue.null, .bool(true), .array([]), .object([:]), .string("12"), .int(12), .double(0.5)])
            Self.set(&root, path, value)
            return "type swap \(Self.render(path)) = \(value)"
        case 8:
            let path = random.pick([["id"], ["generatedAt"], ["entity", "siren"], ["host", "hostname"], ["results", "0", "code"], ["summary"], ["host"]])
            Self.remove(&root, path)
            return "removed \(Self.render(path))"
        case 9:
            let count = random.pick([0, 1, 200, 3000])
            if case .object(var members) = root, case .array(let results)? = members["results"], let first = results.first {
                members["results"] = .array(Array(repeating: first, count: count))
                root = .object(members)
            }
            return "\(count) results"
        default:
            let siren = random.pick(["213502388", "000000000", "21290189", "2129018960", "212901896 "])
            Self.set(&root, ["entity", "siren"], .string(siren))
            return "siren = \(siren.debugDescription)"
        }
    }

    // MARK: Text mutations (what a tree cannot express)

    func mutateText(_ bytes: inout [UInt8], _ random: inout FuzzRandom) -> String {
        switch random.below(6) {
        case 0:
            // A duplicate member: two readers could disagree on which one counts.
            let text = String(decoding: bytes, as: UTF8.self)
            for key in ["\"siren\":", "\"hostname\":", "\"generatedAt\":", "\"status\":"] {
                if let range = text.range(of: key) {
                    bytes = Array(text.replacingCharacters(in: range, with: "\(key)\"x\",\(key)").utf8)
                    return "duplicate key \(key)"
                }
            }
            return "duplicate key (none found)"
        case 1:
            bytes = [0xEF, 0xBB, 0xBF] + bytes
            return "UTF-8 BOM"
        case 2:
            let position = bytes.isEmpty ? 0 : random.below(bytes.count)
            bytes.insert(random.pick([0xFF, 0xC0, 0xED, 0x80]), at: position)
            return "invalid UTF-8 byte at \(position)"
        case 3:
            bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
            return "cut to \(bytes.count) bytes"
        case 4:
            let text = String(decoding: bytes, as: UTF8.self)
            if let range = text.range(of: "\"hostname\":\"") {
                bytes = Array(text.replacingCharacters(in: range, with: "\"hostname\":\"\\ud800").utf8)
                return "lone surrogate in hostname"
            }
            return "lone surrogate (no hostname)"
        default:
            bytes += Array(" {}".utf8)
            return "trailing data"
        }
    }

    // MARK: Paths

    static func paths(in value: JSONValue, where matches: (JSONValue) -> Bool, prefix: [String] = [], depth: Int = 0) -> [[String]] {
        var found: [[String]] = matches(value) && !prefix.isEmpty ? [prefix] : []
        guard depth < 6 else { return found }
        switch value {
        case .object(let members):
            for key in members.keys.sorted() { found += paths(in: members[key]!, where: matches, prefix: prefix + [key], depth: depth + 1) }
        case .array(let items):
            for index in items.indices.prefix(3) { found += paths(in: items[index], where: matches, prefix: prefix + [String(index)], depth: depth + 1) }
        default: break
        }
        return found.isEmpty ? [["entity", "name"]] : found
    }

    static func render(_ path: [String]) -> String { "/" + path.joined(separator: "/") }

    static func get(_ value: JSONValue, _ path: [String]) -> JSONValue? {
        guard let first = path.first else { return value }
        switch value {
        case .object(let members): return members[first].flatMap { get($0, Array(path.dropFirst())) }
        case .array(let items): return Int(first).flatMap { items.indices.contains($0) ? get(items[$0], Array(path.dropFirst())) : nil }
        default: return nil
        }
    }

    static func set(_ value: inout JSONValue, _ path: [String], _ new: JSONValue) {
        guard let first = path.first else { value = new; return }
        switch value {
        case .object(var members):
            var child = members[first] ?? .object([:])
            set(&child, Array(path.dropFirst()), new)
            members[first] = child
            value = .object(members)
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else { return }
            set(&items[index], Array(path.dropFirst()), new)
            value = .array(items)
        default:
            var child = JSONValue.object([:])
            set(&child, Array(path.dropFirst()), new)
            value = .object([first: child])
        }
    }

    static func remove(_ value: inout JSONValue, _ path: [String]) {
        guard let first = path.first else { return }
        switch value {
        case .object(var members):
            if path.count == 1 { members[first] = nil } else if var child = members[first] {
                remove(&child, Array(path.dropFirst()))
                members[first] = child
            }
            value = .object(members)
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else { return }
            if path.count == 1 { items.remove(at: index) } else { remove(&items[index], Array(path.dropFirst())) }
            value = .array(items)
        default: return
        }
    }

    // MARK: Writing

    /// Compact JSON, keys sorted; strings escape only what JSON requires (controls below U+0020 as
    /// `\u00XX`, quote, backslash), so C1 and bidirectional characters stay raw as a hostile agent would
    /// send them; `rawPrefix` strings are written as raw number text.
    static func serialize(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .int(let number): out += Array(String(number).utf8)
        case .double(let number): out += Array("\(number)".utf8)
        case .string(let text) where text.hasPrefix(rawPrefix): out += Array(text.dropFirst(rawPrefix.count).utf8)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
