import FoundationEssentials
import FoundationGaps

/// argument-parser's own messages in French. swift-argument-parser 1.8.2 has no hook to localise what it prints
/// for a parse error ("Missing expected argument", "Unknown option", "The value … is invalid for …", the usage
/// line): its texts are English constants inside the library. `Cyberctl.main` catches the error before the
/// library prints it and rewrites the known forms here; the English stays for `--lang en`, and a form this table
/// does not know (a new library version) is printed as the library wrote it rather than half translated.
/// Our own `ValidationError`s are already in the command's language and only get the French `Erreur :` label.
enum ParserMessages {
    /// True when the command line asks for English (`--lang en`, `--lang=en`): parsing failed, so the value
    /// is read from the raw arguments.
    static func englishAsked(_ arguments: [String]) -> Bool {
        for (index, argument) in arguments.enumerated() {
            if argument == "--lang=en" { return true }
            if argument == "--lang", index + 1 < arguments.count, arguments[index + 1] == "en" { return true }
        }
        return false
    }

    /// The library's known English forms and their French, one line each (`$1`, `$2`: the quoted parts).
    static let forms: [(pattern: String, french: String)] = [
        (#"^Error: Missing expected argument '(.*)'$"#, "Erreur : argument attendu manquant '$1'"),
        (#"^Error: Missing value for '(.*)'$"#, "Erreur : valeur manquante pour '$1'"),
        (#"^Error: Unknown option '(.*)'\. Did you mean '(.*)'\?$"#, "Erreur : option inconnue '$1'. Vouliez-vous dire '$2' ?"),
        (#"^Error: Unknown option '(.*)'\.?$"#, "Erreur : option inconnue '$1'"),
        (#"^Error: Unexpected argument '(.*)'$"#, "Erreur : argument inattendu '$1'"),
        (#"^Error: Unexpected arguments? (.*)$"#, "Erreur : argument(s) inattendu(s) $1"),
        (#"^Error: The value '(.*)' is invalid for '(.*)'\. Please provide one of (.*)\.$"#, "Erreur : la valeur '$1' n'est pas valable pour '$2'. Valeurs possibles : $3."),
        (#"^Error: The value '(.*)' is invalid for '(.*)'\.?$"#, "Erreur : la valeur '$1' n'est pas valable pour '$2'"),
        (#"^Error: The value '(.*)' is invalid for '(.*)': (.*)$"#, "Erreur : la valeur '$1' n'est pas valable pour '$2' : $3"),
        (#"^Error: (.*)$"#, "Erreur : $1"),
        (#"^Help: +(.*)$"#, "Aide : $1"),
        (#"^Usage: (.*)$"#, "Utilisation : $1"),
        (#"^  See '(.*)' for more (?:details|information)\.$"#, "  Voir '$1' pour en savoir plus."),
    ]

    /// `message` with each line in a known form rewritten in French; other lines unchanged.
    static func french(_ message: String) -> String {
        message.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let text = String(line)
            for form in forms {
                // Scalar by scalar, as ICU's NSRegularExpression matched; every form is anchored at both ends,
                // so the one match is the whole line and the line becomes the filled-in template.
                guard let regex = try? Regex(form.pattern).matchingSemantics(.unicodeScalar) else { continue }
                if let match = text.wholeMatch(of: regex) {
                    let french = fill(form.french, match.output)
                    // The library's list of values: 'fr' and 'en', 'a', 'b' and 'c'.
                    return form.french.contains("Valeurs possibles") ? french.replacingAll("' and '", with: "' et '") : french
                }
            }
            return text
        }.joined(separator: "\n")
    }

    /// `template` with `$1`…`$9` replaced by the match's groups (empty for a group that took no part).
    static func fill(_ template: String, _ groups: AnyRegexOutput) -> String {
        var out = ""
        var scalars = template.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "$" else { out.unicodeScalars.append(scalar); continue }
            guard let next = scalars.next() else { out.append("$"); break }
            if let digit = Int(String(next)), digit > 0, digit < groups.count {
                out += groups[digit].substring.map(String.init) ?? ""
            } else {
                out.append("$")
                out.unicodeScalars.append(next)
            }
        }
        return out
    }
}
