import Agent
import Checks
import Foundation
import TestSupport
import Testing
import YAML
import Yams

/// The YAML reader (libyaml, without Foundation) against Yams 6.2.2, the reader it replaces (test-only here):
/// every YAML file of the repository, every multi-line YAML literal of the tests, tricky documents and a fuzz of
/// plain scalars are composed by both and must give the same trees (kinds, texts, resolved tags, styles, lines
/// and columns), the same decoded values, and the same refusals.
@Suite("YAML reader against Yams")
struct YAMLReferenceTests {
    // MARK: Comparison

    /// Differences between the two trees, each as `path: what` (empty when they agree).
    static func differences(_ mine: YAML.Node, _ yams: Yams.Node, path: String = "$") -> [String] {
        var found: [String] = []
        if mine.mark?.line != yams.mark?.line || mine.mark?.column != yams.mark?.column {
            found.append("\(path): mark \(mine.mark.map { "\($0)" } ?? "nil") vs \(yams.mark.map { "\($0)" } ?? "nil")")
        }
        if mine.tag.name.rawValue != yams.tag.rawValue {
            found.append("\(path): tag \(mine.tag.name.rawValue) vs \(yams.tag.rawValue)")
        }
        switch (mine, yams) {
        case (.scalar(let a), .scalar(let b)):
            if a.string != b.string { found.append("\(path): text \(a.string.debugDescription) vs \(b.string.debugDescription)") }
            if a.style.rawValue != b.style.rawValue { found.append("\(path): style \(a.style) vs \(b.style)") }
        case (.mapping(let a), .mapping(let b)):
            let pairs = Array(b)
            guard a.count == pairs.count else { return found + ["\(path): \(a.count) pairs vs \(pairs.count)"] }
            for (index, (pair, reference)) in zip(a, pairs).enumerated() {
                found += differences(pair.key, reference.key, path: "\(path).key[\(index)]")
                found += differences(pair.value, reference.value, path: "\(path).\(reference.key.string ?? "[\(index)]")")
            }
        case (.sequence(let a), .sequence(let b)):
            let items = Array(b)
            guard a.count == items.count else { return found + ["\(path): \(a.count) items vs \(items.count)"] }
            for (index, (item, reference)) in zip(a, items).enumerated() {
                found += differences(item, reference, path: "\(path)[\(index)]")
            }
        default:
            found.append("\(path): kinds differ: \(mine) vs \(yams)")
        }
        return found
    }

    /// The line Yams gives for a refusal, when it gives one.
    static func line(of error: any Error) -> Int? {
        guard let error = error as? YamlError else { return nil }
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    /// Composes `text` with both readers and records any disagreement under `name`.
    static func compare(_ text: String, name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = Result { () throws(YAMLError) in try YAML.compose(yaml: text) }
        let yams = Result { try Yams.compose(yaml: text) }
        switch (mine, yams) {
        case (.success(let a), .success(let b)):
            switch (a, b) {
            case (nil, nil): break
            case (let a?, let b?):
                let found = differences(a, b)
                #expect(found.isEmpty, "\(name): \(found.prefix(5).joined(separator: "; "))", sourceLocation: sourceLocation)
            default:
                Issue.record("\(name): one reader found a document, the other none", sourceLocation: sourceLocation)
            }
        case (.failure(let a), .failure(let b)):
            // Both refuse; where both say a line, the same one.
            if let line = line(of: b), let mark = a.mark {
                #expect(mark.line == line, "\(name): refused at line \(mark.line), Yams at \(line) (\(a), \(b))", sourceLocation: sourceLocation)
            }
        case (.success, .failure(let b)):
            Issue.record("\(name): accepted, Yams refuses: \(b)", sourceLocation: sourceLocation)
        case (.failure(let a), .success):
            Issue.record("\(name): refused (\(a)), Yams accepts", sourceLocation: sourceLocation)
        }
    }

    // MARK: The repository's YAML

    /// Every .yaml/.yml file of the checkout outside .build.
    static func repositoryFiles() -> [String] {
        let root = BuiltBinary.packageRoot
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            if path.hasPrefix(".build") || path.hasPrefix(".git") { enumerator?.skipDescendants(); continue }
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { files.append(root + "/" + path) }
        }
        return files.sorted()
    }

    /// The multi-line string literals of the test sources without interpolation or escapes: the profiles,
    /// configurations, answers files and rosters the tests feed the readers (and some JSON and PEM, which a
    /// YAML reader must treat alike too).
    static func testLiterals() -> [(name: String, text: String)] {
        let root = BuiltBinary.packageRoot + "/Tests"
        var literals: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift"), !path.hasPrefix("YAMLTests"),
                  let source = try? String(contentsOfFile: root + "/" + path, encoding: .utf8) else { continue }
            var body: [Substring]?
            var opening = 0
            for (number, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.drop(while: { $0 == " " })
                if var lines = body {
                    if trimmed.hasPrefix("\"\"\"") {
                        let indent = line.count - trimmed.count
                        let text = lines.map { String($0.dropFirst(min(indent, $0.prefix(while: { $0 == " " }).count))) }.joined(separator: "\n") + "\n"
                        if !text.contains("\\") { literals.append(("\(path):\(opening)", text)) }
                        body = nil
                    } else {
                        lines.append(line)
                        body = lines
                    }
                } else if line.hasSuffix("\"\"\"") && !trimmed.hasPrefix("\"\"\"") || trimmed == "\"\"\"" {
                    body = []
                    opening = number + 1
                }
            }
        }
        return literals
    }

    @Test("Every YAML file of the repository composes to the same tree")
    func repositoryFilesAgree() throws {
        let files = Self.repositoryFiles()
        #expect(files.count >= 8, "\(files)")
        #expect(files.contains { $0.hasSuffix("Profiles/nis2/questionnaire.yaml") })
        #expect(files.contains { $0.hasSuffix("packaging/deb/agent.yaml") })
        for file in files {
            Self.compare(try String(contentsOfFile: file, encoding: .utf8), name: file)
        }
    }

    @Test("Every multi-line YAML literal of the tests composes to the same tree, or is refused by both")
    func testLiteralsAgree() {
        let literals = Self.testLiterals()
        #expect(literals.count > 50, "only \(literals.count) literals found")
        for (name, text) in literals { Self.compare(text, name: name) }
    }

    // MARK: Tricky documents

    static let tricky: [String] = [
        "",
        "# only a comment\n",
        "---\n",
        "--- \n...\n",
        "key: value\n",
        "a: 1\nb: 2\n",
        // Anchors and aliases, merge keys.
        "base: &b {x: 1, y: 2}\nother: *b\n",
        "defaults: &d\n  timeout: 5\n  port: 443\nprod:\n  <<: *d\n  port: 8443\n",
        "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
        "list: &l [1, 2]\nagain: *l\nthird: *l\n",
        "s: &s text\nt: *s\n",
        "x: *undefined\n",
        "a: &a [*a]\n",
        // Block and flow styles, nesting.
        "a:\n  - b: 1\n    c: [1, 2, {d: e}]\n  - - x\n    - y\n",
        "{a: 1, b: [x, y], c: {d: ~}}\n",
        "[a, b, [c, d], {e: f}]\n",
        "- a\n- b:\n    c: d\n- [e]\n",
        "? complex key\n: value\n",
        "? [a, b]\n: v\n",
        "? {a: 1}\n: v\n",
        // Scalars: quoted, folded, literal, multi-line plain.
        "a: 'single ''quoted'''\nb: \"double \\\"quoted\\\" \\u00e9 \\t tab\"\n",
        "folded: >\n  line one\n  line two\n\n  para\nliteral: |\n  keep\n    indent\n  lines\n",
        "strip: |-\n  text\n\nkeep: |+\n  text\n\nend: x\n",
        "plain: a multi\n  line plain\n  scalar\n",
        "unicode: é à ü – 🙂\nname: Commune de Plouzané\n",
        "empty:\nnull1: ~\nnull2: null\nnull3: Null\nnull4: NULL\nquoted: ''\nquoted2: \"null\"\n",
        // Booleans, YAML 1.1.
        "- yes\n- Yes\n- YES\n- no\n- No\n- NO\n- on\n- On\n- ON\n- off\n- Off\n- OFF\n- true\n- True\n- TRUE\n- false\n- y\n- n\n- yEs\n- 'yes'\n",
        // Numbers.
        "- 0\n- 12\n- -3\n- +4\n- 1_000\n- 0x1F\n- 0o17\n- 017\n- 0b101\n- 09\n- 1:30\n- 190:20:30\n- 0x\n- 08\n",
        "- 1.5\n- -2.5e3\n- .5\n- 1e3\n- 1.\n- .inf\n- -.Inf\n- +.INF\n- .nan\n- .NaN\n- 1_000.5\n- 1:30.5\n- 6.8523015e+5\n- .5e+3\n- .5e3\n",
        "- 2026-03-12\n- 2026-3-12\n- 2001-12-14t21:59:43.10-05:00\n- 2001-12-14 21:59:43.10 -5\n- 2001-12-15T02:59:43.1Z\n- 2002-12-14\n",
        "- <<\n- =\n- ~\n- -\n- --\n- ' '\n- \"\"\n",
        // Explicit tags.
        "a: !!str 123\nb: !!int \"42\"\nc: ! 12\nd: !custom value\ne: !!map {x: 1}\nf: !!seq [1]\ng: !!bool yes\n",
        "%YAML 1.1\n---\na: 1\n",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!thing value\n",
        // Comments, BOM, CRLF, tabs.
        "# head\na: 1 # trailing\n# between\nb: 2\n",
        "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",
        "a: 1\r\nb: |\r\n  one\r\n  two\r\n",
        "a:\tvalue\n",
        "a: \"tab\there\"\n",
        "a:\n\t- x\n",
        // Duplicates.
        "a: 1\na: 2\n",
        "a: 1\nb: 2\nb: 3\na: 4\n",
        "'a': 1\na: 2\n",
        "1: x\n'1': y\n",
        "x:\n  y: 1\n  y: 2\n",
        "{a: 1, a: 1}\n",
        // Syntax errors.
        "a: b: c\n",
        "a: [1, 2\n",
        "a: {b: 1\n",
        "a:\n  - x\n - y\n",
        "key: 'unterminated\n",
        "key: \"unterminated\n",
        "- a\nb: c\n",
        "a: 1\n---\nb: 2\n",
        "--- a\n--- b\n",
        "@reserved\n",
        "a: `tick\n",
        "a: &anchor\n",
        "[a, b]]\n",
        "a: |\n text\n  more\n less\n",
        "\u{01}control\n",
        "a: x\u{7F}\n",
    ]

    @Test("Tricky documents give the same trees, or are refused by both at the same line")
    func trickyDocumentsAgree() {
        for (index, text) in Self.tricky.enumerated() { Self.compare(text, name: "tricky[\(index)] \(text.debugDescription)") }
    }

    /// Where the reader parts from Yams on purpose: a byte order mark opening the stream (YAML 1.2 §5.2: allowed there,
    /// no content). Yams hands libyaml the text as UTF-8 and then refuses a second key after the BOM ("did not find
    /// expected <document start>"); libyaml left to detect the encoding drops it, as PyYAML's CSafeLoader does. A
    /// roster or agent.yaml saved with a BOM (Windows Notepad) reads as its content.
    @Test("A byte order mark opening the stream is dropped: the same tree as without it")
    func byteOrderMarkIsDropped() throws {
        let plain = try #require(try YAML.compose(yaml: "a: 1\nb: 2\n"))
        let marked = try #require(try YAML.compose(yaml: "\u{FEFF}a: 1\nb: 2\n"))
        let reference = try #require(try Yams.compose(yaml: "a: 1\nb: 2\n"))
        #expect(Self.differences(plain, reference).isEmpty)
        #expect(Self.differences(marked, reference).isEmpty, "\(Self.differences(marked, reference))")
        // Only at the start: elsewhere it stays a character of the scalar, as in Yams.
        let inner = try #require(try YAML.compose(yaml: "a: \"x\u{FEFF}y\"\n"))
        let innerReference = try #require(try Yams.compose(yaml: "a: \"x\u{FEFF}y\"\n"))
        #expect(Self.differences(inner, innerReference).isEmpty)
    }

    // MARK: Scalars

    /// A deterministic generator (SplitMix64), so that a failure names a case that comes back.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Plain scalars made of the characters the resolution rules look at.
    static func fuzzScalars(count: Int) -> [String] {
        let pieces = ["0", "1", "5", "7", "9", "_", "-", "+", ".", ":", "e", "E", "x", "o", "b", "a", "F", "T", "t", "Z", " ",
                      "inf", "Inf", "nan", "NaN", "yes", "No", "on", "OFF", "null", "~", "<<", "=", "2026-", "12", "00", "0x", "0o", "0b"]
        var generator = SplitMix(state: 19)
        return (0..<count).map { _ in
            (0..<Int.random(in: 1...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }
    }

    /// What each decoder makes of a scalar node, as text (`error` when it refuses).
    static func decodings(mine node: YAML.Node) -> [String] {
        let decoder = YAML.YAMLDecoder()
        return [
            (try? decoder.decode(String.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Bool.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Int.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(UInt16.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Double.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Int?.self, from: node)).map { "\(String(describing: $0))" } ?? "error",
        ]
    }

    static func decodings(yams node: Yams.Node) -> [String] {
        let decoder = Yams.YAMLDecoder()
        return [
            (try? decoder.decode(String.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Bool.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Int.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(UInt16.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Double.self, from: node)).map { "\($0)" } ?? "error",
            (try? decoder.decode(Int?.self, from: node)).map { "\(String(describing: $0))" } ?? "error",
        ]
    }

    @Test("Plain, quoted and tagged scalars resolve and decode as with Yams (fuzzed and listed)")
    func scalarsAgree() throws {
        let listed = [
            "yes", "yEs", "'yes'", "\"on\"", "!!str yes", "0", "-0", "+0", "00", "007", "08", "0x1F", "0x", "-0x1F", "0b11", "0o17", "1_000",
            "1:30", "-1:30", "1:60", "1:5:9", "99999999999999999999", "65535", "65536", "-1", "1.5", "'1.5'", "1e3", "1E+3",
            ".5", "-.inf", ".nan", "1:30.5", "~", "null", "''", "!!null ~", "!!int 12", "!!float 1", "inf", "nan", "infinity", "0x1p3",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1_", "_1", "2026-03-12", "=", "<<",
        ]
        var generator = SplitMix(state: 7)
        _ = generator.next()
        for scalar in listed + Self.fuzzScalars(count: 4000) {
            let text = "\(scalar)\n"
            let yams: Yams.Node
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    #expect(try YAML.compose(yaml: text) == nil, "\(scalar.debugDescription)")
                    continue
                }
                yams = node
            } catch {
                #expect(throws: YAMLError.self, "\(scalar.debugDescription): Yams refuses: \(error)") { try YAML.compose(yaml: text) }
                continue
            }
            guard let mine = try YAML.compose(yaml: text) else {
                Issue.record("\(scalar.debugDescription): no document")
                continue
            }
            // Decoded first: Yams resolves a tag in place the first time it is read (Tag is a class), after which
            // it reads a plain `yEs` (resolved as a string) as no boolean; a decoder never sees it resolved.
            #expect(Self.decodings(mine: mine) == Self.decodings(yams: yams), "\(scalar.debugDescription)")
            let found = Self.differences(mine, yams)
            #expect(found.isEmpty, "\(scalar.debugDescription): \(found)")
        }
    }

    // MARK: Configuration types

    /// The shipped profiles' checks and the packaged agent configuration decode to the same values with both
    /// decoders (compared through their full `dump`).
    @Test("The real configuration types decode alike")
    func configurationTypesAgree() throws {
        let root = BuiltBinary.packageRoot
        var decoded = 0
        for file in ["Profiles/default.yaml", "Profiles/commune.yaml", "Profiles/interco.yaml"] {
            let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
            let mine = try #require(try YAML.compose(yaml: text)?.mapping?["checks"]?.mapping)
            let yams = try #require(try Yams.compose(yaml: text)?.mapping?["checks"]?.mapping)
            for (key, value) in mine {
                let id = try #require(key.string)
                let type = try #require(CheckRegistry.type(withID: id), "\(id)")
                let reference = try #require(yams[id])
                if value.isNull { continue }
                let (a, b) = Self.decodeBoth(type, value, reference)
                #expect(a == b, "\(file) \(id)")
                decoded += 1
            }
        }
        #expect(decoded >= 3)
        let agent = try String(contentsOfFile: "\(root)/packaging/deb/agent.yaml", encoding: .utf8)
        if let mine = try YAML.compose(yaml: agent)?.mapping, let yams = try Yams.compose(yaml: agent)?.mapping {
            for (key, type) in [("entity", Entity.self as any Decodable.Type), ("signing", AgentConfiguration.Signing.self)] {
                guard let value = mine[key], let reference = yams[key] else { continue }
                let (a, b) = Self.decodeBoth(type, value, reference)
                #expect(a == b, "agent.yaml \(key)")
            }
        }
    }

    /// Both decoders on `type`: the value's `dump`, or the error's kind and coding path.
    static func decodeBoth<T: Decodable>(_ type: T.Type, _ mine: YAML.Node, _ yams: Yams.Node) -> (String, String) {
        func describe(_ body: () throws -> T) -> String {
            do {
                var text = ""
                dump(try body(), to: &text)
                return text
            } catch let error as DecodingError {
                return Self.describe(error)
            } catch {
                return "other error: \(error)"
            }
        }
        return (describe { try YAML.YAMLDecoder().decode(type, from: mine) }, describe { try Yams.YAMLDecoder().decode(type, from: yams) })
    }

    /// A decoding error's kind, coding path and (for data errors, the types' own words) description.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context): return "typeMismatch at \(path(context))"
        case .valueNotFound(_, let context): return "valueNotFound at \(path(context))"
        case .keyNotFound(let key, let context): return "keyNotFound \(key.stringValue) at \(path(context))"
        case .dataCorrupted(let context): return "dataCorrupted at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// Parameters a profile may get wrong: both decoders refuse them at the same coding path.
    static let badParameters: [(check: String, yaml: String)] = [
        ("tls.endpoint", "concurrency: '8'\n"),
        ("tls.endpoint", "concurrency: 8.5\n"),
        ("tls.endpoint", "concurrency: 0x10\n"),
        ("tls.endpoint", "discover: maybe\n"),
        ("tls.endpoint", "discover: 'yes'\n"),
        ("tls.endpoint", "discover: On\n"),
        ("tls.endpoint", "endpoints: mail.example.fr\n"),
        ("tls.endpoint", "endpoints:\n  - host: mail.example.fr\n    port: 70000\n"),
        ("tls.endpoint", "endpoints:\n  - host: mail.example.fr\n    port: '993'\n"),
        ("tls.endpoint", "endpoints:\n  - {host: mail.example.fr, sin: x}\n"),
        ("tls.endpoint", "endpoints:\n  - {port: 443}\n"),
        ("tls.endpoint", "endpoints:\n  - [a, b]\n"),
        ("tls.endpoint", "endpoints:\n  - mail.example.fr:993\n  - host: imap.example.fr\n    starttls: imap\n"),
        ("tls.endpoint", "connection_timeout: 1_000\n"),
        ("tls.endpoint", "connection_timeout: .inf\n"),
        ("tls.endpoint", "warning_days: 10\ncritical_days: 20\n"),
        ("tls.endpoint", "defaults: &d {concurrency: 4}\n"),
        ("cert.files", "paths: /etc/ssl/a.pem\n"),
        ("cert.files", "paths: [/etc/ssl/a.pem, {x: 1}]\n"),
        ("cert.files", "paths: [/etc/ssl/a.pem, ~]\n"),
        ("cert.files", "warning_days: ~\n"),
        ("cert.files", "warning_days:\n"),
        ("backup.sets", "sets:\n  - name: nas\n    kind: restic\n    path: relative\n"),
        ("backup.sets", "sets:\n  - name: nas\n    kind: tape\n    path: /srv\n"),
        ("backup.sets", "sets:\n  - name: nas\n    kind: restic\n    path: /srv\n    offline_copy: yes\n"),
        ("backup.sets", "sets:\n  - name: nas\n    kind: restic\n    path: /srv\n    offline_copy: {last: 2026-13-01}\n"),
        ("backup.sets", "sets:\n  - {name: nas, kind: restic}\n"),
        ("patch.packages", "pending_threshold: -1\n"),
        ("patch.packages", "pending_threshold: 1:30\n"),
        ("exposition.domains", "domains: [example.fr, {name: mairie.fr, dkim_selectors: [s1]}]\nports: {smtp: 2525}\n"),
        ("exposition.domains", "ports: {smtp: -25}\n"),
    ]

    @Test("Bad check parameters are refused by both decoders at the same coding path")
    func badParametersAgree() throws {
        for (check, yaml) in Self.badParameters {
            let type = try #require(CheckRegistry.type(withID: check), "\(check)")
            let mine = try #require(try YAML.compose(yaml: yaml))
            let yams = try #require(try Yams.compose(yaml: yaml))
            let (a, b) = Self.decodeBoth(type, mine, yams)
            #expect(a == b, "\(check) \(yaml.debugDescription)")
        }
    }
}
