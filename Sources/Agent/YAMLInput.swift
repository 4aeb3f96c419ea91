import Checks
import Foundation
import Yams

/// Reads YAML input files strictly: syntax errors, unknown keys and wrong types become `InputError`s
/// that name the file, the line and the key.
public enum YAMLInput {
    /// Parses `text` (read from `file`) into a node tree.
    public static func compose(_ text: String, file: String) throws(InputError) -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw InputError(.invalidData, file: file, "empty document: expected a YAML mapping")
            }
            return node
        } catch let error as InputError {
            throw error
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                throw InputError(.invalidData, file: file, line: mark.line, column: mark.column, "YAML syntax: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw InputError(
                    .invalidData, file: file, line: context.mark.line,
                    "duplicate key \(duplicates.joined(separator: ", "))")
            default:
                throw InputError(.invalidData, file: file, "YAML: \(error)")
            }
        } catch {
            throw InputError(.invalidData, file: file, "YAML: \(error)")
        }
    }

    /// The node as a mapping, or an error saying what `what` should be.
    public static func mapping(_ node: Node, file: String, what: String) throws(InputError) -> Node.Mapping {
        guard let mapping = node.mapping else {
            throw InputError(.invalidData, file: file, line: node.mark?.line, "\(what): expected a mapping of keys to values")
        }
        return mapping
    }

    /// Throws on the first key of `mapping` not in `allowed`.
    public static func requireKnownKeys(
        _ mapping: Node.Mapping, allowed: [String], file: String, context: String
    ) throws(InputError) {
        for key in mapping.keys {
            guard let name = key.scalar?.string else {
                throw InputError(.invalidData, file: file, line: key.mark?.line, "\(context): keys must be plain names")
            }
            if !allowed.contains(name) {
                throw InputError(
                    .invalidData, file: file, line: key.mark?.line, column: key.mark?.column,
                    "unknown key \"\(name)\" in \(context); expected one of: \(allowed.joined(separator: ", "))")
            }
        }
    }

    /// Decodes `node` as `T`, turning decoding errors into an `InputError` at the offending node's line.
    public static func decode<T: Decodable>(_ type: T.Type, from node: Node, file: String, context: String) throws(InputError) -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: node)
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            let located = locate(path, in: node) ?? node
            let key = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            throw InputError(
                .invalidData, file: file, line: located.mark?.line, column: located.mark?.column,
                "\(context)\(key.isEmpty ? "" : " key \"\(key)\""): \(message)")
        } catch {
            throw InputError(.invalidData, file: file, line: node.mark?.line, "\(context): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case .typeMismatch(let type, let context):
            return (context.codingPath, "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return (context.codingPath, "expected \(typeName(type)), found nothing")
        case .keyNotFound(let key, let context):
            return (context.codingPath, "missing required key \"\(key.stringValue)\"")
        case .dataCorrupted(let context):
            return (context.codingPath, context.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a text value"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.contains("Sequence") { return "a list" }
            if name.hasPrefix("Dictionary") || name.contains("Mapping") { return "a mapping" }
            return name
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
