import Foundation

/// Finds English in text meant to be French: words of English grammar that French never uses on its own
/// (`the`, `with`, `expected`…), matched as whole words, case-insensitively. Proper names and identifiers that
/// happen to be such words go in `allowed` at the call site, with the reason.
public enum EnglishWords {
    /// Function words and the verbs of error messages; none is a French word (`or`, `on`, `an`, `a`, `des` are
    /// French and left out on purpose).
    public static let markers: Set<String> = [
        "the", "and", "is", "are", "not", "with", "without", "this", "that", "which", "should", "must", "expected",
        "missing", "found", "cannot", "could", "would", "when", "where", "from", "your", "for", "of", "to", "be", "been",
        "has", "have", "its", "only", "than", "then", "there", "these", "those", "was", "were", "will", "it", "if",
        "no", "none", "yet", "still", "since", "until", "run", "give", "read", "unknown", "refused", "failed",
    ]

    /// The marker words in `text`, in order of appearance. Left out: code spans between backticks (commands, file
    /// names), text quoted between « and » (a record or a line as served), and words that are names: a path or URL
    /// (with a `/`: `/run/reboot-required`) or a host or file name (a `.` inside: `missing.test`).
    public static func found(in text: String, allowed: Set<String> = []) -> [String] {
        var outside = ""
        var inCode = false
        var quoted = 0
        for character in text {
            if character == "`" { inCode.toggle(); outside.append(" "); continue }
            if character == "«" { quoted += 1 } else if character == "»" { quoted = max(0, quoted - 1); outside.append(" "); continue }
            outside.append(inCode || quoted > 0 ? " " : character)
        }
        func isName(_ token: Substring) -> Bool {
            let core = token.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?()[]\"'"))
            return core.contains("/") || core.contains(".")
        }
        let prose = outside.split(separator: " ", omittingEmptySubsequences: false).map { isName($0) ? "" : $0 }.joined(separator: " ")
        let words = prose.lowercased().split { !$0.isLetter && $0 != "'" }.map { $0.split(separator: "'").last.map(String.init) ?? "" }
        return words.filter { markers.contains($0) && !allowed.contains($0) }
    }
}
