import Checks
import Foundation
import TestSupport
import Testing
@testable import Trust

@Suite("JSON parser and JSON Schema validator")
struct JSONSchemaTests {
    // MARK: Parser

    @Test("Parses every JSON type, keeping integers apart from other numbers")
    func parsesTypes() throws {
        let value = try JSONParser.parse(Array(#" {"a": [1, -2, 3.5, 1e3, true, false, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#.utf8))
        #expect(value == .object(["a": .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null, .string("xé😀\n")]), "b": .object([:])]))
    }

    @Test("Refuses what RFC 8259 refuses, with line and column", arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a member name"),
        ("[1, 2", 1, 6, "expected ',' or ']'"),
        ("{\n  \"a\": 01\n}", 2, 8, "leading zeros"),
        ("\"tab\there\"", 1, 5, "control character"),
        ("{\"a\": 1}\n{", 2, 1, "unexpected data after"),
        ("[\"\\ud800\"]", 1, 9, "lone high surrogate"),
        ("nul", 1, 1, "expected null"),
        ("", 1, 1, "found end of data"),
        ("{\"siren\": \"1\",\n \"siren\": \"2\"}", 2, 2, "duplicate member name \"siren\""),
    ])
    func refuses(text: String, line: Int, column: Int, message: String) {
        #expect {
            try JSONParser.parse(Array(text.utf8))
        } throws: { error in
            guard let error = error as? JSONParser.SyntaxError else { return false }
            return error.line == line && error.column == column && error.message.contains(message)
        }
    }

    @Test("Every refusal also reads in French, with no English word (line and column as « ligne, colonne »)")
    func refusesInFrench() {
        let inputs = [
            "{\"a\": 1,}", "[1, 2", "{\n  \"a\": 01\n}", "\"tab\there\"", "{\"a\": 1}\n{", "[\"\\ud800\"]", "nul", "",
            "{\"siren\": \"1\",\n \"siren\": \"2\"}", "[1e999]", "[1.]", "[1e]", "\"\\q\"", "\"abc", "{\"a\" 1}", "[-]",
        ]
        for input in inputs {
            do {
                _ = try JSONParser.parse(Array(input.utf8))
                Issue.record("\(input) was accepted")
            } catch {
                let french = error.description(in: .fr)
                #expect(french.hasPrefix("ligne \(error.line), colonne \(error.column) : "), "\(french)")
                #expect(EnglishWords.found(in: error.messageFr).isEmpty, "\(input): \(error.messageFr)")
                #expect(error.description(in: .en) == error.description)
            }
        }
    }

    @Test("Refuses invalid UTF-8 and nesting deeper than the limit")
    func refusesBytes() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(fine.utf8)) }
    }

    // MARK: Validator

    func violations(_ schema: String, _ instance: String) throws -> [String] {
        try JSONSchema(text: schema).validate(try JSONParser.parse(Array(instance.utf8))).map(\.description)
    }

    @Test("Each supported keyword accepts what it should and names what it refuses")
    func keywords() throws {
        #expect(try violations(#"{"type": "integer"}"#, "3") == [])
        #expect(try violations(#"{"type": "integer"}"#, "3.0") == [])
        #expect(try violations(#"{"type": "integer"}"#, "3.5") == ["/: expected integer, found number"])
        #expect(try violations(#"{"type": ["integer", "null"]}"#, "null") == [])
        #expect(try violations(#"{"type": "number", "minimum": 0, "maximum": 1}"#, "1.5") == ["/: expected at most 1, found 1.5"])
        #expect(try violations(#"{"minimum": 0}"#, "-1") == ["/: expected at least 0, found -1"])
        #expect(try violations(#"{"required": ["a", "b"]}"#, #"{"a": 1}"#) == [#"/: missing required member "b""#])
        #expect(try violations(#"{"properties": {"a": {"type": "string"}}, "additionalProperties": false}"#, #"{"a": "x", "z": 1}"#)
            == [#"/z: unexpected member "z""#])
        #expect(try violations(#"{"additionalProperties": {"type": "integer"}}"#, #"{"k": "v"}"#) == ["/k: expected integer, found string"])
        #expect(try violations(#"{"enum": ["A", "B", null]}"#, #""C""#) == [#"/: expected one of "A", "B", null, found "C""#])
        #expect(try violations(#"{"const": "cyberctl.report/1"}"#, #""other""#) == [#"/: expected "cyberctl.report/1", found "other""#])
        #expect(try violations(#"{"pattern": "^[0-9]{9}$"}"#, #""21290189""#) == [#"/: "21290189" does not match the pattern ^[0-9]{9}$"#])
        #expect(try violations(#"{"pattern": "^[0-9]{9}$"}"#, #""212901896\u0000x""#).count == 1)
        #expect(try violations(#"{"pattern": "\\d{2}"}"#, #""a12b""#) == [])
        #expect(try violations(#"{"minLength": 2}"#, #""é""#) == ["/: expected at least 2 characters, found 1"])
        #expect(try violations(#"{"items": {"type": "string"}}"#, #"["a", 2]"#) == ["/1: expected string, found integer"])
        #expect(try violations(#"{"propertyNames": {"enum": ["tls"]}}"#, #"{"tls": 1, "dns": 2}"#)
            == [#"/dns: member name "dns" not allowed: expected one of "tls", found "dns""#])
        #expect(try violations(##"{"$defs": {"d": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/d"}}}"##, #"{"x": 1}"#)
            == ["/x: expected string, found integer"])
        #expect(try violations(#"{"properties": {"a/b": false}}"#, #"{"a/b": 1}"#) == ["/a~1b: no value is allowed here"])
    }

    @Test("The validator's refusals read in French too, with no English word")
    func keywordsInFrench() throws {
        func french(_ schema: String, _ instance: String) throws -> [String] {
            try JSONSchema(text: schema).validate(try JSONParser.parse(Array(instance.utf8))).map { $0.description(in: .fr) }
        }
        #expect(try french(#"{"required": ["a", "b"]}"#, #"{"a": 1}"#) == ["/ : membre obligatoire « b » absent"])
        #expect(try french(#"{"propertyNames": {"enum": ["tls"]}}"#, #"{"tls": 1, "dns": 2}"#)
            == [#"/dns : nom de membre « dns » refusé : attendu : l'une des valeurs "tls", trouvé : "dns""#])
        let cases: [(String, String)] = [
            (#"{"type": "integer"}"#, "3.5"), (#"{"maximum": 1}"#, "1.5"), (#"{"minimum": 0}"#, "-1"),
            (#"{"additionalProperties": false}"#, #"{"z": 1}"#), (#"{"enum": ["A", null]}"#, #""C""#), (#"{"const": "x"}"#, #""y""#),
            (#"{"pattern": "^[0-9]{9}$"}"#, #""2129""#), (#"{"minLength": 2}"#, #""é""#), (#"{"maxLength": 1}"#, #""ab""#),
            (#"{"properties": {"a": false}}"#, #"{"a": 1}"#),
        ]
        for (schema, instance) in cases {
            let texts = try french(schema, instance)
            #expect(texts.count == 1, "\(schema) \(instance)")
            // JSON type names (integer, number, string) are the schema's own identifiers, quoted as they are.
            for text in texts { #expect(EnglishWords.found(in: text, allowed: ["integer", "number", "string"]).isEmpty, "\(text)") }
        }
    }

    @Test("Refuses schemas it cannot honour rather than skipping a constraint")
    func refusesUnsupportedSchemas() {
        #expect(throws: JSONSchema.CompileError.self) { try JSONSchema(text: #"{"oneOf": [{"type": "string"}]}"#) }
        #expect(throws: JSONSchema.CompileError.self) { try JSONSchema(text: ##"{"$ref": "#/$defs/missing"}"##) }
        #expect(throws: JSONSchema.CompileError.self) { try JSONSchema(text: #"{"$ref": "https://example.org/s.json"}"#) }
        #expect(throws: JSONSchema.CompileError.self) { try JSONSchema(text: #"{"pattern": "(?i)abc"}"#) }
        #expect(throws: JSONSchema.CompileError.self) { try JSONSchema(text: #"{"type": "text"}"#) }
    }

    // MARK: The report schema

    @Test("The schema embedded in the binary is the file in schemas/, byte for byte")
    func embeddedSchemaMatchesFile() throws {
        let file = try String(contentsOfFile: BuiltBinary.packageRoot + "/schemas/cyberctl.report-1.schema.json", encoding: .utf8)
        #expect(ReportSchema.text + "\n" == file, "run scripts/embed-schema.sh")
    }

    @Test("A report assembled by the agent follows the schema")
    func agentReportIsValid() throws {
        let report = try JSONParser.parse(try TrustFixture.reportBytes(results: 20))
        #expect(ReportSchema.compiled.validate(report) == [])
    }

    /// Instances derived from a real report, each changed in one way; Python's `jsonschema` (the
    /// reference implementation of the specification) must reach the same verdict as cyberctl.
    @Test("Verdicts agree with Python jsonschema on valid and broken reports")
    func agreesWithReference() throws {
        guard Command.exists("python3"),
              (try? Command.run("python3", ["-c", "import jsonschema"]))?.exitCode == 0 else {
            Issue.record("python3 with jsonschema is required (apt-get install python3-jsonschema)")
            return
        }
        let base = String(decoding: try TrustFixture.reportBytes(results: 4), as: UTF8.self)
        let edits: [(String, String)] = [
            ("", ""),
            ("\"schema\" : \"cyberctl.report/1\"", "\"schema\" : \"cyberctl.report/2\""),
            ("\"siren\" : \"212901896\"", "\"siren\" : \"21290189X\""),
            ("\"insee\" : \"29212\"", "\"insee\" : \"2A004\""),
            ("\"insee\" : \"29212\"", "\"insee\" : \"2C004\""),
            ("\"kind\" : \"commune\"", "\"kind\" : \"village\""),
            ("\"population\" : 13000", "\"population\" : -1"),
            ("\"population\" : 13000", "\"population\" : 13000.5"),
            ("\"status\" : \"fail\"", "\"status\" : \"FAIL\""),
            ("\"durationMs\" : 0", "\"durationMs\" : \"0\""),
            ("\"check\" : \"cert.files\"", "\"check\" : \"cert\""),
            ("\"code\" : \"cert.expiry\"", "\"code\" : \"dns.expiry\""),
            ("\"hostname\" : \"srv-mairie\"", "\"hostname\" : \"\""),
            ("\"certificates\" :", "\"printers\" :"),
            ("\"generatedAt\" : \"", "\"generatedAt\" : \"x"),
            ("\"agent\" : {", "\"extra\" : 1, \"agent\" : {"),
            ("\"level\" : \"", "\"level\" : \"Z"),
            ("\"coverage\" : ", "\"coverage\" : 2, \"ignored\" : "),
        ]
        let folder = try TemporaryDirectory()
        var paths: [String] = []
        for (index, (from, to)) in edits.enumerated() {
            let text = from.isEmpty ? base : base.replacingOccurrences(of: from, with: to)
            if !from.isEmpty { #expect(text != base, "edit \(index) did not apply: \(from)") }
            paths.append(try folder.write("instance-\(index).json", text))
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                print("valid" if validator.is_valid(json.load(open(path))) else "invalid")
            """
        let output = try Command.run("python3", ["-c", script, BuiltBinary.packageRoot + "/schemas/cyberctl.report-1.schema.json"] + paths)
        #expect(output.exitCode == 0, "\(output.stderr)")
        let reference = output.stdout.split(separator: "\n").map(String.init)
        #expect(reference.count == paths.count)
        for (index, path) in paths.enumerated() where index < reference.count {
            let ours = ReportSchema.compiled.validate(try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
            #expect((ours.isEmpty ? "valid" : "invalid") == reference[index], "instance \(index) (\(edits[index].1)): cyberctl says \(ours)")
        }
        #expect(reference.first == "valid")
    }
}
