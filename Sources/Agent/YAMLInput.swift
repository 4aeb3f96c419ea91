import Checks
import FoundationEssentials
import NIS2
import Model
import YAML

/// Reads YAML input files strictly: syntax errors, unknown keys and wrong types become `InputError`s
/// that name the file, the line and the key.
public enum YAMLInput {
    /// Parses `text` (read from `file`) into a node tree (`YAML.compose`, within `YAMLLimits.default`).
    /// - Throws: `InputError` (.invalidData): an empty document, a syntax error at its line and column, a
    ///   duplicate key at its line, a document nested or aliased beyond the limits.
    public static func compose(_ text: String, file: String) throws(InputError) -> Node {
        let node: Node?
        do {
            node = try YAML.compose(yaml: text)
        } catch {
            switch error.kind {
            case .syntax:
                throw InputError(
                    .invalidData, file: file, line: error.mark?.line, column: error.mark?.column, fr: error.messageFr, en: error.messageEn)
            case .duplicateKeys, .tooDeep, .tooManyNodes:
                throw InputError(.invalidData, file: file, line: error.mark?.line, fr: error.messageFr, en: error.messageEn)
            }
        }
        guard let node else {
            throw InputError(
                .invalidData, file: file, fr: "document vide : un dictionnaire YAML est attendu", en: "empty document: expected a YAML mapping")
        }
        return node
    }

    /// The node as a mapping, or an error saying what `what` should be. `what` and the `context`s below name
    /// the part of the file without an article, in both languages: `LocalizedText(fr: "profil", en: "profile")`.
    public static func mapping(_ node: Node, file: String, what: LocalizedText) throws(InputError) -> Node.Mapping {
        guard let mapping = node.mapping else {
            throw InputError(
                .invalidData, file: file, line: node.mark?.line, fr: "\(what.fr) : un dictionnaire de clés et de valeurs est attendu",
                en: "\(what.en): expected a mapping of keys to values")
        }
        return mapping
    }

    /// Throws on the first key of `mapping` not in `allowed`.
    public static func requireKnownKeys(
        _ mapping: Node.Mapping, allowed: [String], file: String, context: LocalizedText
    ) throws(InputError) {
        for key in mapping.keys {
            guard let name = key.scalar?.string else {
                throw InputError(
                    .invalidData, file: file, line: key.mark?.line, fr: "\(context.fr) : les clés doivent être des noms simples",
                    en: "\(context.en): keys must be plain names")
            }
            if !allowed.contains(name) {
                throw InputError(
                    .invalidData, file: file, line: key.mark?.line, column: key.mark?.column,
                    fr: "clé inconnue « \(name) » (\(context.fr)) ; clés possibles : \(allowed.joined(separator: ", "))",
                    en: "unknown key \"\(name)\" in \(context.en); expected one of: \(allowed.joined(separator: ", "))")
            }
        }
    }

    /// Decodes `node` as `T`, turning decoding errors into an `InputError` at the offending node's line.
    public static func decode<T: Decodable>(_ type: T.Type, from node: Node, file: String, context: LocalizedText) throws(InputError) -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: node)
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            let located = locate(path, in: node) ?? node
            let key = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            throw InputError(
                .invalidData, file: file, line: located.mark?.line, column: located.mark?.column,
                fr: "\(context.fr)\(key.isEmpty ? "" : ", clé « \(key) »") : \(message.fr)",
                en: "\(context.en)\(key.isEmpty ? "" : " key \"\(key)\""): \(message.en)")
        } catch {
            throw InputError(
                .invalidData, file: file, line: node.mark?.line, fr: "\(context.fr) : \(error)", en: "\(context.en): \(error)")
        }
    }

    /// The coding path and what was wrong. A `dataCorrupted` reason is the decoder's own text (the checks'
    /// parameter validation, in Sources/Checks, writes it in English): it is quoted in both languages.
    private static func describe(_ error: DecodingError) -> ([any CodingKey], LocalizedText) {
        switch error {
        case .typeMismatch(let type, let context):
            let name = typeName(type)
            return (context.codingPath, LocalizedText(fr: "il faut \(name.fr)", en: "expected \(name.en)"))
        case .valueNotFound(let type, let context):
            let name = typeName(type)
            return (context.codingPath, LocalizedText(fr: "valeur absente : il faut \(name.fr)", en: "expected \(name.en), found nothing"))
        case .keyNotFound(let key, let context):
            return (
                context.codingPath,
                LocalizedText(fr: "clé obligatoire « \(key.stringValue) » absente", en: "missing required key \"\(key.stringValue)\"")
            )
        case .dataCorrupted(let context):
            return (context.codingPath, LocalizedText(fr: "valeur refusée : \(context.debugDescription)", en: context.debugDescription))
        @unknown default:
            return ([], LocalizedText(both: "\(error)"))
        }
    }

    private static func typeName(_ type: Any.Type) -> LocalizedText {
        switch type {
        case is Int.Type: return LocalizedText(fr: "un nombre entier", en: "a whole number")
        case is Double.Type: return LocalizedText(fr: "un nombre", en: "a number")
        case is Bool.Type: return LocalizedText(fr: "true ou false", en: "true or false")
        case is String.Type: return LocalizedText(fr: "un texte", en: "a text value")
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.contains("Sequence") { return LocalizedText(fr: "une liste", en: "a list") }
            if name.hasPrefix("Dictionary") || name.contains("Mapping") { return LocalizedText(fr: "un dictionnaire", en: "a mapping") }
            return LocalizedText(both: name)
        }
    }

    /// Follows a coding path down a node tree.
    private static func locate(_ path: [any CodingKey], in node: Node) -> Node? {
        var current = node
        for key in path {
            if let index = key.intValue, let sequence = current.sequence, index < sequence.count {
                current = sequence[index]
            } else if let mapping = current.mapping, let value = mapping[key.stringValue] {
                current = value
            } else {
                return current
            }
        }
        return current
    }
}
