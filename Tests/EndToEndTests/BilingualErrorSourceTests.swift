import Foundation
import Model
import Testing
import TestSupport

/// Every error a person reads is written in both languages at the place it is raised: each construction of
/// `InputError` (and of NIS 2's `NIS2InputError` and its `Problem`, and of the report verifier's
/// `VerificationFailure`) in Sources/ gives `fr:` and `en:`, or a
/// `text:` that is a `LocalizedText`, or (NIS 2) a list of problems already built so. The single-text initialisers
/// are gone, so the compiler refuses most mistakes; this test also catches a construction hidden from it (a
/// new single-text initialiser added back, an extension) and keeps the rule visible.
@Suite
struct BilingualErrorSourceTests {
    /// The Swift files under Sources/.
    static func sourceFiles() throws -> [String] {
        let root = BuiltBinary.packageRoot + "/Sources"
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".swift") { files.append(root + "/" + relative) }
        }
        return files.sorted()
    }

    /// The argument lists of every `name(` call in `text` that is code (not in a `//` comment), with its line:
    /// parentheses balanced, string literals and their interpolations skipped over.
    static func constructions(of name: String, in text: String) -> [(line: Int, arguments: String)] {
        let characters = Array(text)
        let pattern = Array(name + "(")
        var found: [(Int, String)] = []
        var index = 0
        var line = 1
        var lineStart = 0
        while index < characters.count {
            if characters[index] == "\n" { line += 1; lineStart = index + 1 }
            let matches = index + pattern.count <= characters.count && Array(characters[index..<index + pattern.count]) == pattern
            let boundary = index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber || characters[index - 1] == "_")
            guard matches, boundary else { index += 1; continue }
            let before = String(characters[lineStart..<index])
            if before.contains("//") { index += 1; continue }
            var depth = 1
            var position = index + pattern.count
            var inString = false
            var interpolations: [Int] = []
            while position < characters.count, depth > 0 {
                let character = characters[position]
                if inString {
                    if character == "\\", position + 1 < characters.count {
                        if characters[position + 1] == "(" {
                            interpolations.append(depth)
                            depth += 1
                            inString = false
                            position += 2
                            continue
                        }
                        position += 2
                        continue
                    }
                    if character == "\"" { inString = false }
                } else if character == "\"" {
                    inString = true
                } else if character == "(" {
                    depth += 1
                } else if character == ")" {
                    depth -= 1
                    if let last = interpolations.last, last == depth {
                        interpolations.removeLast()
                        inString = true
                    }
                }
                position += 1
            }
            found.append((line, String(characters[(index + pattern.count)..<max(index + pattern.count, position - 1)])))
            index = position
        }
        return found
    }

    @Test("every InputError, NIS2InputError, NIS 2 problem and VerificationFailure built in Sources/ is given in French and English")
    func everyConstructionIsBilingual() throws {
        var checked = 0
        var offenders: [String] = []
        for file in try Self.sourceFiles() {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let relative = String(file.dropFirst(BuiltBinary.packageRoot.count + 1))
            for name in ["InputError", "NIS2InputError", "Problem", "VerificationFailure"] {
                for (line, arguments) in Self.constructions(of: name, in: text) {
                    // A declaration (`struct InputError: Error`) is not a call; `Problem(` is NIS 2's only.
                    if name == "Problem" && !relative.hasPrefix("Sources/NIS2/") { continue }
                    checked += 1
                    let bilingual = (arguments.contains("fr:") && arguments.contains("en:")) || arguments.contains("text:")
                        || arguments.contains("problems:")
                    if !bilingual { offenders.append("\(relative):\(line): \(name)(\(arguments.prefix(120))") }
                }
            }
            // NIS 2 builds its problems with `.init(line:`, which names no type.
            if relative.hasPrefix("Sources/NIS2/") {
                for (line, arguments) in Self.constructions(of: ".init", in: text) where arguments.hasPrefix("line:") {
                    checked += 1
                    if !(arguments.contains("fr:") && arguments.contains("en:")) { offenders.append("\(relative):\(line): .init(\(arguments.prefix(120))") }
                }
            }
        }
        #expect(checked > 200, "the scan finds the constructions: \(checked)")
        #expect(offenders.isEmpty, "errors in one language only:\n\(offenders.joined(separator: "\n"))")
    }

    @Test("VerificationFailure constructions are found: the verifier's refusals are among them")
    func verificationFailuresAreScanned() throws {
        let verifier = try String(contentsOfFile: BuiltBinary.packageRoot + "/Sources/Trust/ReportVerifier.swift", encoding: .utf8)
        let found = Self.constructions(of: "VerificationFailure", in: verifier)
        // About thirty refusals; the declaration `struct VerificationFailure: Error` has no parenthesis.
        #expect(found.count >= 30, "\(found.count)")
        #expect(found.allSatisfy { ($0.arguments.contains("fr:") && $0.arguments.contains("en:")) || $0.arguments.contains("text:") })
    }

    @Test("InputError, NIS2InputError and VerificationFailure declare no initialiser taking a single message")
    func noSingleTextInitialiser() throws {
        let input = try String(contentsOfFile: BuiltBinary.packageRoot + "/Sources/Model/InputError.swift", encoding: .utf8)
        let nis2 = try String(contentsOfFile: BuiltBinary.packageRoot + "/Sources/NIS2/Common.swift", encoding: .utf8)
        let verifier = try String(contentsOfFile: BuiltBinary.packageRoot + "/Sources/Trust/ReportVerifier.swift", encoding: .utf8)
        for text in [input, nis2, verifier] {
            let initialisers = text.split(separator: "\n").filter { $0.contains(" init(") }
            for declaration in initialisers {
                #expect(!declaration.contains("_ message: String"), "\(declaration)")
            }
        }
    }
}
