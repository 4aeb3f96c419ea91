import Agent
import Foundation
import Model
import TestSupport
import Testing

/// The `entity:` section of agent.yaml: each invalid field is reported at its own line (file:line:column:
/// key, what was expected, what was found), not at the section's.
@Suite("Agent configuration: entity section")
struct EntityConfigurationTests {
    /// Loads an agent.yaml whose `entity:` section holds `lines` (one `key: value` per line, from line 2).
    func error(_ lines: [String]) throws -> InputError? {
        let folder = try TemporaryDirectory()
        let text = "profile: default\nentity:\n" + lines.map { "  " + $0 + "\n" }.joined() + "collector:\n  url: https://c.example.fr\n  ca: ca.pem\n"
        do {
            _ = try AgentConfiguration.load(path: try folder.write("agent.yaml", text))
            return nil
        } catch let error as InputError {
            return error
        }
    }

    static let valid = ["name: Commune de Plouzané", "siren: \"212900195\"", "insee: \"29212\"", "kind: commune", "population: 13000", "departement: \"29\"", "region: Bretagne"]

    /// `valid` with the line of `key` replaced by `line`; the entity's lines start at line 3.
    static func replacing(_ key: String, with line: String) -> (lines: [String], line: Int) {
        let index = valid.firstIndex { $0.hasPrefix(key + ":") }!
        var lines = valid
        lines[index] = line
        return (lines, index + 3)
    }

    @Test("A valid entity section loads")
    func valid() throws {
        #expect(try error(Self.valid) == nil)
    }

    @Test("A SIREN typed with spaces, no-break spaces or narrow no-break spaces loads compact; other separators and bad keys stay refused")
    func spacedSIREN() throws {
        let folder = try TemporaryDirectory()
        for typed in ["212 900 195", "\"212\u{00A0}900\u{00A0}195\"", "\"212\u{202F}900\u{202F}195\"", "\" 212900195 \""] {
            let path = try folder.write("agent.yaml", "entity:\n  name: Commune de Plouzané\n  siren: \(typed)\n")
            #expect(try AgentConfiguration.load(path: path).entity.siren == "212900195", "\(typed)")
        }
        #expect(Identifiers.normalizedSIREN("212 900 195") == "212900195")
        #expect(Identifiers.normalizedSIREN("212-900-195") == "212-900-195", "only spaces are separators")
        #expect(Identifiers.normalizedSIREN("212 900 196") == "212 900 196", "a bad Luhn key is kept as typed, for the error")
        let (lines, line) = Self.replacing("siren", with: "siren: 212 900 196")
        let refused = try #require(try error(lines))
        #expect(refused.line == line && refused.englishMessage.contains("found \"212 900 196\""), "\(refused)")
    }

    @Test(
        "An invalid value is refused at its key's line, naming the key, what was expected and what was found",
        arguments: [
            ("siren", "siren: \"212900196\"", "9 digits with a valid Luhn check digit", "\"212900196\""),
            ("insee", "insee: \"2C004\"", "a 5-character commune code", "\"2C004\""),
            ("kind", "kind: mairie", "one of commune, cc, ca, cu", "\"mairie\""),
            ("population", "population: -3", "0 to 100000000", "-3"),
            ("population", "population: 100000001", "0 to 100000000", "100000001"),
            ("departement", "departement: \"20\"", "01–95, 2A, 2B or 971–976", "\"20\""),
        ])
    func invalidValue(key: String, line text: String, expected: String, found: String) throws {
        let (lines, line) = Self.replacing(key, with: text)
        let error = try #require(try error(lines))
        #expect(error.exitCode == 65)
        #expect(error.line == line, "\(error)")
        // The column is the value's, after "  key: ".
        #expect(error.column == key.count + 5, "\(error)")
        #expect(error.englishMessage.hasPrefix("entity key \"\(key)\": expected \(expected)"), "\(error.englishMessage)")
        #expect(error.englishMessage.hasSuffix("found \(found)"), "\(error.englishMessage)")
        #expect(error.description.contains("agent.yaml:\(line):"))
    }

    @Test("A value of the wrong type is refused at its key's line")
    func wrongType() throws {
        let (lines, line) = Self.replacing("population", with: "population: beaucoup")
        let error = try #require(try error(lines))
        #expect(error.line == line, "\(error)")
        #expect(error.englishMessage.contains("entity key \"population\": expected a whole number"), "\(error.englishMessage)")
    }

    @Test("With several invalid fields, the first in key order is reported, at its own line")
    func severalProblems() throws {
        var lines = Self.valid
        lines[2] = "insee: \"00123\""
        lines[3] = "kind: village"
        let error = try #require(try error(lines))
        #expect(error.line == 5, "\(error)")
        #expect(error.englishMessage.hasPrefix("entity key \"insee\""), "\(error.englishMessage)")
    }

    @Test("The command line's entity options keep their message form (field, value, expected)")
    func problemsText() {
        let entity = Entity(siren: "123456789", population: -1)
        #expect(entity.problems().map(\.en) == [
            "siren \"123456789\": expected 9 digits with a valid Luhn check digit", "population -1: expected 0 to 100000000",
        ])
        #expect(entity.problems().map(\.fr) == [
            "siren \"123456789\" : il faut 9 chiffres avec une clé de Luhn valide", "population -1 : il faut une valeur de 0 à 100000000",
        ])
        #expect(entity.fieldProblems().map(\.key) == ["siren", "population"])
    }
}
