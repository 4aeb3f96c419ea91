import Agent
import Checks
import NIS2
import Model
import Testing
import YAML

/// Hostile documents cost bounded time and memory: alias bombs and deep nesting are refused with a clear
/// error in both languages, before any walk of the tree; ordinary documents stay far below the bounds.
@Suite("YAML reader limits and behaviour")
struct YAMLLimitsTests {
    /// Ten levels of ten aliases each: 10^10 nodes once expanded, from under 1 KB of text.
    static let billionLaughs: String = {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...10 {
            let previous = "*a\(level - 1)"
            lines.append("a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test("An alias bomb is refused as too many nodes, at the alias that crosses the bound")
    func billionLaughs() {
        #expect(Self.billionLaughs.utf8.count < 1_000)
        do {
            _ = try YAML.compose(yaml: Self.billionLaughs)
            Issue.record("an alias bomb was composed")
        } catch {
            #expect(error.kind == .tooManyNodes(limit: YAMLLimits.default.maximumNodes))
            // a5, line 6, holds 1,111,111 nodes: the first level past a million.
            #expect(error.mark?.line == 6)
        }
    }

    @Test("The bound on nodes counts expanded aliases exactly")
    func nodeBound() throws {
        // A sequence (1) of 3 scalars (3), then a mapping (1) with 2 keys (2) whose values alias the sequence (2 × 4): 15.
        let text = "- &s [a, b, c]\n- {x: *s, y: *s}\n"
        // The outer sequence is the 16th node.
        #expect(try YAML.compose(yaml: text, limits: YAMLLimits(maximumNodes: 16)) != nil)
        #expect(throws: YAMLError(.tooManyNodes(limit: 15), mark: Mark(line: 2, column: 14))) {
            try YAML.compose(yaml: text, limits: YAMLLimits(maximumNodes: 15))
        }
    }

    @Test("Deep nesting is refused, flow, block or through aliases, without exhausting the stack")
    func deepNesting() throws {
        let limit = YAMLLimits.default.maximumDepth
        let flow = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: YAMLError(.tooDeep(limit: limit), mark: Mark(line: 1, column: limit + 1))) { try YAML.compose(yaml: flow) }
        // Far deeper, libyaml's own bound (1,000 levels, yaml_set_max_nest_level) refuses it while scanning ahead.
        let deeper = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: YAMLError.self) { try YAML.compose(yaml: deeper) }
        // The key of the 128th mapping is the 129th level.
        let block = (0..<200).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " x\n"
        #expect(throws: YAMLError(.tooDeep(limit: limit), mark: Mark(line: limit, column: limit))) { try YAML.compose(yaml: block) }
        // Nested exactly to the limit is accepted.
        let atLimit = String(repeating: "[", count: limit - 1) + "x" + String(repeating: "]", count: limit - 1)
        #expect(try YAML.compose(yaml: atLimit) != nil)
        // An alias of a deep node placed deep again goes past the limit.
        let half = limit / 2 + 1
        let (open, close) = (String(repeating: "[", count: half), String(repeating: "]", count: half))
        let aliased = "a: &deep \(open)\(close)\nb: \(open)*deep\(close)\n"
        #expect(throws: YAMLError(.tooDeep(limit: limit), mark: Mark(line: 2, column: 4 + half))) { try YAML.compose(yaml: aliased) }
    }

    @Test("The agent's and the NIS 2 readers turn a refusal into a bilingual input error at its line")
    func bilingualErrors() throws {
        do {
            _ = try YAMLInput.compose(Self.billionLaughs, file: "profil.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .invalidData)
            #expect(error.line == 6)
            #expect(error.message.contains("nœuds une fois les alias développés"))
            #expect(error.englishMessage.contains("nodes once aliases are expanded"))
        }
        do {
            _ = try YAMLInput.compose(String(repeating: "- ", count: 300) + "x\n", file: "agent.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("niveaux d'imbrication"))
            #expect(error.englishMessage.contains("levels of nesting"))
        }
        do {
            _ = try YAMLInput.compose("a: 1\nb: [1, 2\n", file: "agent.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column != nil)
            #expect(error.message.hasPrefix("syntaxe YAML : "))
            #expect(error.englishMessage.hasPrefix("YAML syntax: "))
        }
        do {
            _ = try YAMLInput.compose("name: x\nchecks: {}\nname: y\n", file: "profil.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 1)
            #expect(error.message == "clé en double : name")
            #expect(error.englishMessage == "duplicate key name")
        }
        #expect(throws: InputError.self) { try YAMLInput.compose("# nothing\n", file: "vide.yaml") }
    }

    @Test("Mapping lookups follow the key's text and resolved tag; merge keys apply when decoding, own keys first")
    func lookupsAndMerge() throws {
        let node = try #require(try YAML.compose(yaml: "'1': quoted\n2: plain\nyes: bool\nname: x\n"))
        let mapping = try #require(node.mapping)
        #expect(mapping["1"] == nil)
        #expect(mapping["2"]?.string == "plain")
        #expect(mapping["yes"]?.string == "bool")
        #expect(mapping["name"]?.string == "x")
        #expect(mapping.keys.map { $0.string ?? "" } == ["1", "2", "yes", "name"])

        struct Endpoint: Decodable, Equatable {
            var host: String
            var port: Int
            var tls: Bool
        }
        let merged = try #require(try YAML.compose(yaml: "base: &b {host: a.fr, port: 25, tls: no}\nmail:\n  <<: *b\n  port: 465\n  tls: on\n"))
        let endpoint = try YAML.YAMLDecoder().decode(Endpoint.self, from: try #require(merged.mapping?["mail"]))
        #expect(endpoint == Endpoint(host: "a.fr", port: 465, tls: true))
        // The tree keeps `<<` as a key: strict readers name it as an unknown key.
        #expect(merged.mapping?["mail"]?.mapping?.keys.first?.string == "<<")
    }

    @Test("Decoding errors carry the coding path YAMLInput locates the line with")
    func decodingErrorLocation() throws {
        let text = "checks:\n  tls.endpoint:\n    endpoints:\n      - host: a.fr\n        port: '993'\n"
        let node = try #require(try YAML.compose(yaml: text)?.mapping?["checks"]?.mapping?["tls.endpoint"])
        do {
            _ = try YAMLInput.decode(TLSEndpointCheck.self, from: node, file: "p.yaml", context: LocalizedText(both: "tls.endpoint"))
            Issue.record("accepted")
        } catch {
            #expect(error.line == 5)
            #expect(error.message.contains("endpoints.[0].port"))
        }
    }
}
