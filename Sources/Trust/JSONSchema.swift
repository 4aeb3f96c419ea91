import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
import Model
#endif

/// A small JSON Schema (draft 2020-12) validator for the keywords cyberctl's own schemas use:
/// `type`, `required`, `properties`, `additionalProperties`, `enum`, `const`, `pattern`,
/// `minimum`, `maximum`, `minLength`, `maxLength`, `items`, `$ref` (to `#/$defs/…`) and
/// `propertyNames`. Annotations (`$schema`, `$id`, `title`, `description`, `$comment`) are read and
/// ignored; any other keyword is refused when the schema is compiled, so no constraint is ever
/// skipped in silence.
///
/// `pattern` uses POSIX extended regular expressions (regcomp(3)) in the C locale: the ECMA-262
/// patterns of cyberctl's schemas (`^[0-9]{9}$`, groups, alternations, `\.`) mean the same there;
/// `\d` is translated to `[0-9]`, and other ECMA-only constructs (`\w`, `(?…)`) are refused.
/// `minLength`/`maxLength` count Unicode code points, as the specification says.
public final class JSONSchema: @unchecked Sendable {
    /// A schema that cannot be used: the keyword path and why.
    public struct CompileError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "schema \(path.isEmpty ? "/" : path): \(message)" }
    }

    /// One violation: where in the instance (JSON Pointer, RFC 6901) and what is expected.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public let instancePath: String
        /// What is expected, in English.
        public let message: String
        /// What is expected, in French.
        public var messageFr: String
        public var description: String { "\(instancePath.isEmpty ? "/" : instancePath): \(message)" }
        /// `path : …` in French, `path: …` in English.
        public func description(in language: Language) -> String {
            language == .en ? description : "\(instancePath.isEmpty ? "/" : instancePath) : \(messageFr)"
        }
    }

    indirect enum Node: @unchecked Sendable {
        case always(Bool)
        case schema(Constraints)
        case reference(String)
    }

    /// The keywords of one schema object, as compiled.
    struct ConstraintsBuilder {
        var types: Set<String>?
        /// `types` as a bit mask (`JSONValue.typeMask`).
        var typeMask: UInt8 = 0
        var required: [String] = []
        var properties: [String: Node] = [:]
        var additionalProperties: Node?
        var enumeration: [JSONValue]?
        var constant: JSONValue?
        var pattern: (source: String, regex: POSIXRegex)?
        var minimum: Double?
        var maximum: Double?
        var minLength: Int?
        var maxLength: Int?
        var items: Node?
        var propertyNames: Node?
        var reference: String?
    }

    /// Frozen keywords: a class with constant fields, so the walk neither copies them nor pays for
    /// exclusivity checks on every read.
    final class Constraints: Sendable {
        let types: Set<String>?
        let typeMask: UInt8
        let required: [String]
        let properties: [String: Node]
        /// `properties` as two parallel lists when short: comparing a few small strings beats hashing one.
        let propertyNames_: [String]?
        let propertyNodes: [Node]
        let additionalProperties: Node?
        /// Strings of a string-only `enum`, for a hashed lookup.
        let stringEnumeration: Set<String>?
        let enumeration: [JSONValue]?
        let constant: JSONValue?
        let pattern: (source: String, regex: POSIXRegex)?
        let minimum: Double?
        let maximum: Double?
        let minLength: Int?
        let maxLength: Int?
        let items: Node?
        let propertyNames: Node?
        let reference: String?

        init(_ builder: ConstraintsBuilder) {
            types = builder.types
            typeMask = builder.typeMask
            required = builder.required
            properties = builder.properties
            let sortedProperties = builder.properties.sorted { $0.key < $1.key }
            propertyNames_ = builder.properties.count <= 16 ? sortedProperties.map(\.key) : nil
            propertyNodes = builder.properties.count <= 16 ? sortedProperties.map(\.value) : []
            additionalProperties = builder.additionalProperties
            enumeration = builder.enumeration
            var strings: Set<String>? = []
            for value in builder.enumeration ?? [] {
                if case .string(let text) = value { strings?.insert(text) } else { strings = nil }
            }
            stringEnumeration = builder.enumeration == nil ? nil : strings
            constant = builder.constant
            pattern = builder.pattern
            minimum = builder.minimum
            maximum = builder.maximum
            minLength = builder.minLength
            maxLength = builder.maxLength
            items = builder.items
            propertyNames = builder.propertyNames
            reference = builder.reference
            hasMemberRules = !builder.properties.isEmpty || builder.additionalProperties != nil || builder.propertyNames != nil
        }

        /// Whether any keyword looks at an object's members one by one.
        let hasMemberRules: Bool
    }

    let root: Node
    let definitions: [String: Node]

    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$comment", "$defs", "default", "examples"]

    /// Compiles a schema document.
    /// - Throws: `CompileError` for an unsupported keyword, a bad `$ref` or a bad pattern.
    public init(_ document: JSONValue) throws(CompileError) {
        var definitions: [String: Node] = [:]
        if case .object(let members) = document, let defs = members["$defs"] {
            guard case .object(let entries) = defs else { throw CompileError(path: "/$defs", message: "expected an object") }
            for (name, definition) in entries {
                definitions[name] = try Self.compile(definition, path: "/$defs/\(name)")
            }
        }
        root = try Self.compile(document, path: "")
        self.definitions = definitions
        // Every reference must resolve.
        try Self.checkReferences(root, definitions: definitions, path: "")
        for (name, node) in definitions { try Self.checkReferences(node, definitions: definitions, path: "/$defs/\(name)") }
    }

    /// Parses and compiles schema text.
    public convenience init(text: String) throws(CompileError) {
        let document: JSONValue
        do { document = try JSONParser.parse(Array(text.utf8)) } catch { throw CompileError(path: "", message: "not JSON: \(error)") }
        try self.init(document)
    }

    static func checkReferences(_ node: Node, definitions: [String: Node], path: String) throws(CompileError) {
        switch node {
        case .always: return
        case .reference(let name):
            guard definitions[name] != nil else { throw CompileError(path: path, message: "$ref to an unknown definition \"\(name)\"") }
        case .schema(let constraints):
            if let name = constraints.reference, definitions[name] == nil {
                throw CompileError(path: path, message: "$ref to an unknown definition \"\(name)\"")
            }
            for (key, child) in constraints.properties { try checkReferences(child, definitions: definitions, path: "\(path)/properties/\(key)") }
            if let child = constraints.additionalProperties { try checkReferences(child, definitions: definitions, path: "\(path)/additionalProperties") }
            if let child = constraints.items { try checkReferences(child, definitions: definitions, path: "\(path)/items") }
            if let child = constraints.propertyNames { try checkReferences(child, definitions: definitions, path: "\(path)/propertyNames") }
        }
    }

    static let knownTypes: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]

    static func compile(_ value: JSONValue, path: String) throws(CompileError) -> Node {
        switch value {
        case .bool(let flag): return .always(flag)
        case .object(let members):
            var constraints = ConstraintsBuilder()
            for (keyword, argument) in members {
                let here = "\(path)/\(keyword)"
                switch keyword {
                case _ where annotations.contains(keyword): continue
                case "type":
                    let names: [String]
                    switch argument {
                    case .string(let name): names = [name]
                    case .array(let items):
                        names = try items.map { (item) throws(CompileError) -> String in
                            guard case .string(let name) = item else { throw CompileError(path: here, message: "expected type names") }
                            return name
                        }
                    default: throw CompileError(path: here, message: "expected a type name or an array of them")
                    }
                    for name in names where !knownTypes.contains(name) { throw CompileError(path: here, message: "unknown type \"\(name)\"") }
                    constraints.types = Set(names)
                    constraints.typeMask = names.reduce(0) { $0 | JSONValue.mask(forType: $1) }
                case "required":
                    guard case .array(let items) = argument else { throw CompileError(path: here, message: "expected an array of names") }
                    constraints.required = try items.map { (item) throws(CompileError) -> String in
                        guard case .string(let name) = item else { throw CompileError(path: here, message: "expected names") }
                        return name
                    }
                case "properties":
                    guard case .object(let entries) = argument else { throw CompileError(path: here, message: "expected an object") }
                    for (name, schema) in entries { constraints.properties[name] = try compile(schema, path: "\(here)/\(name)") }
                case "additionalProperties": constraints.additionalProperties = try compile(argument, path: here)
                case "items": constraints.items = try compile(argument, path: here)
                case "propertyNames": constraints.propertyNames = try compile(argument, path: here)
                case "enum":
                    guard case .array(let items) = argument else { throw CompileError(path: here, message: "expected an array") }
                    constraints.enumeration = items
                case "const": constraints.constant = argument
                case "pattern":
                    guard case .string(let source) = argument else { throw CompileError(path: here, message: "expected a string") }
                    do {
                        constraints.pattern = (source, try POSIXRegex(ecmaPattern: source))
                    } catch {
                        throw CompileError(path: here, message: error.description)
                    }
                case "minimum", "maximum":
                    guard let number = argument.numberValue else { throw CompileError(path: here, message: "expected a number") }
                    if keyword == "minimum" { constraints.minimum = number } else { constraints.maximum = number }
                case "minLength", "maxLength":
                    guard case .int(let length) = argument, length >= 0 else { throw CompileError(path: here, message: "expected a non-negative integer") }
                    if keyword == "minLength" { constraints.minLength = length } else { constraints.maxLength = length }
                case "$ref":
                    guard case .string(let target) = argument, target.hasPrefix("#/$defs/") else {
                        throw CompileError(path: here, message: "only references to \"#/$defs/<name>\" are supported")
                    }
                    constraints.reference = String(target.dropFirst("#/$defs/".count))
                default:
                    throw CompileError(path: here, message: "keyword not supported by cyberctl's validator")
                }
            }
            return .schema(Constraints(constraints))
        default:
            throw CompileError(path: path, message: "expected a schema (object or boolean)")
        }
    }

    /// Validates `instance`.
    /// - Parameter limit: stop after this many violations.
    /// - Returns: the violations, in document order as far as objects allow; empty when valid.
    public func validate(_ instance: JSONValue, limit: Int = 20) -> [Violation] {
        var state = State(limit: limit, sortMembers: false)
        check(instance, against: root, state: &state)
        guard !state.violations.isEmpty else { return [] }
        // Found something: validate again visiting members in name order, so messages are stable.
        state = State(limit: limit, sortMembers: true)
        check(instance, against: root, state: &state)
        return state.violations
    }

    /// The walk's state: where we are (RFC 6901 tokens, joined only when a violation is reported).
    struct State {
        let limit: Int
        let sortMembers: Bool
        var tokens: [String] = []
        var violations: [Violation] = []

        init(limit: Int, sortMembers: Bool) {
            self.limit = limit
            self.sortMembers = sortMembers
        }

        var isFull: Bool { violations.count >= limit }

        var path: String { tokens.isEmpty ? "" : "/" + tokens.map(JSONSchema.escapePointer).joined(separator: "/") }

        mutating func fail(fr: @autoclosure () -> String, en message: @autoclosure () -> String, token: String? = nil) {
            guard !isFull else { return }
            if let token { tokens.append(token) }
            violations.append(Violation(instancePath: path, message: message(), messageFr: fr()))
            if token != nil { tokens.removeLast() }
        }
    }

    func check(_ value: JSONValue, against node: Node, state: inout State) {
        guard !state.isFull else { return }
        switch node {
        case .always(true): return
        case .always(false): state.fail(fr: "aucune valeur n'est permise ici", en: "no value is allowed here")
        case .reference(let name):
            if let target = definitions[name] { check(value, against: target, state: &state) }
        case .schema(let constraints):
            check(value, constraints, state: &state)
        }
    }

    func check(_ value: JSONValue, _ constraints: Constraints, state: inout State) {
        if let name = constraints.reference, let target = definitions[name] {
            check(value, against: target, state: &state)
        }
        if let types = constraints.types, value.typeMask & constraints.typeMask == 0 {
            state.fail(
                fr: "attendu : \(types.sorted().joined(separator: " ou ")), trouvé : \(value.typeName)",
                en: "expected \(types.sorted().joined(separator: " or ")), found \(value.typeName)")
            return
        }
        if let constant = constraints.constant, !constant.jsonEquals(value) {
            state.fail(fr: "attendu : \(constant.compactText), trouvé : \(value.compactText)", en: "expected \(constant.compactText), found \(value.compactText)")
        }
        if let strings = constraints.stringEnumeration {
            if case .string(let text) = value, strings.contains(text) {
                // allowed
            } else if let enumeration = constraints.enumeration {
                state.fail(
                    fr: "attendu : l'une des valeurs \(enumeration.map(\.compactText).joined(separator: ", ")), trouvé : \(value.compactText)",
                    en: "expected one of \(enumeration.map(\.compactText).joined(separator: ", ")), found \(value.compactText)")
            }
        } else if let enumeration = constraints.enumeration, !enumeration.contains(where: { $0.jsonEquals(value) }) {
            state.fail(
                    fr: "attendu : l'une des valeurs \(enumeration.map(\.compactText).joined(separator: ", ")), trouvé : \(value.compactText)",
                    en: "expected one of \(enumeration.map(\.compactText).joined(separator: ", ")), found \(value.compactText)")
        }
        switch value {
        case .string(let text):
            // A scalar takes 1 to 4 UTF-8 bytes: count scalars only when the byte count cannot decide.
            let bytes = text.utf8.count
            if (constraints.minLength.map { bytes / 4 < $0 } ?? false) || (constraints.maxLength.map { bytes > $0 } ?? false) {
                let length = text.unicodeScalars.count
                if let minimum = constraints.minLength, length < minimum { state.fail(fr: "au moins \(minimum) caractères attendus, trouvé : \(length)", en: "expected at least \(minimum) characters, found \(length)") }
                if let maximum = constraints.maxLength, length > maximum { state.fail(fr: "au plus \(maximum) caractères attendus, trouvé : \(length)", en: "expected at most \(maximum) characters, found \(length)") }
            }
            if let pattern = constraints.pattern, !pattern.regex.matches(text) {
                state.fail(fr: "\(value.compactText) ne suit pas le motif \(pattern.source)", en: "\(value.compactText) does not match the pattern \(pattern.source)")
            }
        case .int, .double:
            let number = value.numberValue ?? 0
            if let minimum = constraints.minimum, number < minimum { state.fail(fr: "au moins \(minimum.compactText) attendu, trouvé : \(value.compactText)", en: "expected at least \(minimum.compactText), found \(value.compactText)") }
            if let maximum = constraints.maximum, number > maximum { state.fail(fr: "au plus \(maximum.compactText) attendu, trouvé : \(value.compactText)", en: "expected at most \(maximum.compactText), found \(value.compactText)") }
        case .array(let elements):
            if let items = constraints.items {
                for (index, element) in elements.enumerated() {
                    state.tokens.append(String(index))
                    check(element, against: items, state: &state)
                    state.tokens.removeLast()
                }
            }
        case .object(let members):
            for name in constraints.required where members[name] == nil { state.fail(fr: "membre obligatoire « \(name) » absent", en: "missing required member \"\(name)\"") }
            // `{"type": "object"}` alone (a result's evidence): nothing to check member by member.
            guard constraints.hasMemberRules else { break }
            if state.sortMembers {
                for name in members.keys.sorted() {
                    guard !state.isFull else { return }
                    check(member: members[name]!, named: name, constraints, state: &state)
                }
            } else {
                for (name, member) in members {
                    guard !state.isFull else { return }
                    check(member: member, named: name, constraints, state: &state)
                }
            }
        case .bool, .null:
            break
        }
    }

    func check(member: JSONValue, named name: String, _ constraints: Constraints, state: inout State) {
        if let propertyNames = constraints.propertyNames {
            var nameState = State(limit: 1, sortMembers: false)
            check(.string(name), against: propertyNames, state: &nameState)
            if let first = nameState.violations.first { state.fail(fr: "nom de membre « \(name) » refusé : \(first.messageFr)", en: "member name \"\(name)\" not allowed: \(first.message)", token: name) }
        }
        var schema: Node?
        if let names = constraints.propertyNames_ {
            let length = name.utf8.count
            for index in names.indices where names[index].utf8.count == length && names[index] == name {
                schema = constraints.propertyNodes[index]
                break
            }
        } else {
            schema = constraints.properties[name]
        }
        if let schema {
            state.tokens.append(name)
            check(member, against: schema, state: &state)
            state.tokens.removeLast()
        } else if let additional = constraints.additionalProperties {
            if case .always(false) = additional {
                state.fail(fr: "membre inattendu « \(name) »", en: "unexpected member \"\(name)\"", token: name)
            } else {
                state.tokens.append(name)
                check(member, against: additional, state: &state)
                state.tokens.removeLast()
            }
        }
    }

    /// RFC 6901 escaping of one reference token.
    static func escapePointer(_ token: String) -> String {
        // Byte scan: `String.contains(String)` goes through Foundation's NSString search, which cost
        // a third of a report's verification when called for every member name.
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingAll("~", with: "~0").replacingAll("/", with: "~1")
    }
}

/// A compiled POSIX extended regular expression (`regex_t`), freed in `deinit`; searched, not anchored,
/// as JSON Schema's `pattern` is.
final class POSIXRegex: @unchecked Sendable {
    // Heap storage: regexec(3) reads it from many threads at once, which Swift's exclusivity
    // checks would refuse for an inout access to a stored property.
    private let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
    private let translated: String
    /// Swift's engine (scalar by scalar, as ICU's), built only if a string holding NUL shows up.
    private lazy var fallback: Regex<AnyRegexOutput>? = (try? Regex(translated))?.matchingSemantics(.unicodeScalar)

    struct PatternError: Error, CustomStringConvertible {
        let description: String
    }

    init(ecmaPattern source: String) throws(PatternError) {
        for unsupported in ["(?", "\\w", "\\W", "\\s", "\\S", "\\b", "\\B", "\\D", "\\p", "\\u"] where source.contains(unsupported) {
            throw PatternError(description: "pattern construct \(unsupported) is not supported (POSIX extended syntax only)")
        }
        let translated = source.replacingAll("\\d", with: "[0-9]")
        compiled.initialize(to: regex_t())
        let result = regcomp(compiled, translated, REG_EXTENDED | REG_NOSUB)
        guard result == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(result, compiled, &buffer, buffer.count)
            compiled.deallocate()
            throw PatternError(
                description: "invalid pattern \(source): \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        // Strings holding NUL cannot go through regexec(3): they are matched by Swift Regex instead.
        self.translated = translated
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    // Reports repeat the same values (check ids, rule codes) hundreds of times, and regexec(3) costs
    // microseconds: answers for short strings are remembered (bounded, shared by all threads).
    private let memoLock = Lock()
    private var memo: [String: Bool] = [:]
    private static let memoCapacity = 4096
    private static let memoMaxLength = 64

    func matches(_ text: String) -> Bool {
        guard text.utf8.count <= Self.memoMaxLength else { return match(text) }
        if let known = memoLock.withLock({ memo[text] }) { return known }
        let result = match(text)
        memoLock.withLock {
            if memo.count >= Self.memoCapacity { memo.removeAll(keepingCapacity: true) }
            memo[text] = result
        }
        return result
    }

    private func match(_ text: String) -> Bool {
        if text.utf8.contains(0) {
            return memoLock.withLock {
                guard let fallback else { return false }
                return text.contains(fallback)
            }
        }
        return text.withCString { regexec(compiled, $0, 0, nil, 0) == 0 }
    }
}

extension JSONValue {
    var numberValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    static func mask(forType name: String) -> UInt8 {
        switch name {
        case "null": return 1
        case "boolean": return 2
        case "object": return 4
        case "array": return 8
        case "number": return 16
        case "integer": return 32
        case "string": return 64
        default: return 0
        }
    }

    /// The JSON Schema types this value belongs to, as a mask (an integral number is both number and integer).
    var typeMask: UInt8 {
        switch self {
        case .null: return 1
        case .bool: return 2
        case .object: return 4
        case .array: return 8
        case .int: return 16 | 32
        case .double(let value): return value.rounded() == value ? 16 | 32 : 16
        case .string: return 64
        }
    }

    func isOfType(_ name: String) -> Bool {
        switch (name, self) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let value)): return value.rounded() == value
        default: return false
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .int: return "integer"
        case .double: return "number"
        }
    }

    /// Equality as JSON Schema defines it: numbers by value (1 equals 1.0), objects regardless of order.
    func jsonEquals(_ other: JSONValue) -> Bool {
        if let left = numberValue, let right = other.numberValue { return left == right }
        switch (self, other) {
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.jsonEquals($1) }
        case (.object(let left), .object(let right)):
            return left.count == right.count && left.allSatisfy { key, value in right[key].map { value.jsonEquals($0) } ?? false }
        default:
            return self == other
        }
    }

    /// Short JSON text for messages (long strings cut).
    var compactText: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.compactText
        case .string(let text):
            let shown = text.count > 60 ? String(text.prefix(57)) + "…" : text
            return "\"\(shown)\""
        case .array(let items): return "array of \(items.count)"
        case .object(let members): return "object of \(members.count) members"
        }
    }
}

extension Double {
    var compactText: String { rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
