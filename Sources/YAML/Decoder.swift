/// Decodes `Decodable` values from a composed node, as Yams' `YAMLDecoder.decode(_:from: Node)` does:
/// - `String` from any scalar (as written); `Bool`, integers and floating-point numbers read by `ScalarReading`
///   (`yes`/`on` are true, `0x1F` and `1_000` are integers, a quoted `"8"` is not a number);
/// - `nil` for a plain `~`, `null` or empty scalar (so `decodeIfPresent` returns nil for `key:`);
/// - keyed containers over mappings with merge keys (`<<: *defaults`) applied, the mapping's own keys winning;
/// - `DecodingError`s with the coding path of the offending value (`typeMismatch`, `keyNotFound` with the
///   container's path, `valueNotFound` at the end of a sequence).
///
/// Foundation types Yams reads from a scalar (URL, Date, Data, UUID, Decimal) decode through their own
/// `Decodable` conformance here; none of cyberctl's configuration types holds one.
public struct YAMLDecoder: Sendable {
    public init() {}

    /// Decodes `type` from `node`.
    /// - Throws: `DecodingError`, or what `type`'s own `init(from:)` throws.
    public func decode<T: Decodable>(_ type: T.Type = T.self, from node: Node) throws -> T {
        try NodeDecoder(node: node, codingPath: []).decodeValue(type)
    }
}

/// A coding key for sequence indices and `super`.
private struct IndexKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    static let `super` = IndexKey(stringValue: "super")
}

private struct NodeDecoder: Decoder, SingleValueDecodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func child(_ node: Node, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let mapping = node.mapping else { throw mismatch(Node.Mapping.self) }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, pairs: MergeKeys.flatten(mapping)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let sequence = node.sequence else { throw mismatch(Node.Sequence.self) }
        return UnkeyedContainer(decoder: self, items: Array(sequence))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: Single value

    func decodeNil() -> Bool { node.isNull }

    private func mismatch(_ type: Any.Type) -> DecodingError {
        let found =
            switch node {
            case .scalar: "a scalar"
            case .mapping: "a mapping"
            case .sequence: "a sequence"
            }
        return DecodingError.typeMismatch(
            type, DecodingError.Context(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(found) instead."))
    }

    private func scalar<T>(_ type: T.Type) throws -> Node.Scalar {
        guard let scalar = node.scalar else { throw mismatch(type) }
        return scalar
    }

    private func read<T>(_ type: T.Type, _ reading: (Node.Scalar) -> T?) throws -> T {
        guard let value = reading(try scalar(type)) else { throw mismatch(type) }
        return value
    }

    func decode(_ type: Bool.Type) throws -> Bool { try read(type, ScalarReading.bool) }
    func decode(_ type: String.Type) throws -> String { try scalar(type).string }
    func decode(_ type: Double.Type) throws -> Double { try read(type) { ScalarReading.floating($0) } }
    func decode(_ type: Float.Type) throws -> Float { try read(type) { ScalarReading.floating($0) } }
    func decode(_ type: Int.Type) throws -> Int { try read(type) { ScalarReading.integer($0) } }
    func decode(_ type: Int8.Type) throws -> Int8 { try read(type) { ScalarReading.integer($0, as: Int64.self).flatMap(Int8.init(exactly:)) } }
    func decode(_ type: Int16.Type) throws -> Int16 { try read(type) { ScalarReading.integer($0, as: Int64.self).flatMap(Int16.init(exactly:)) } }
    func decode(_ type: Int32.Type) throws -> Int32 { try read(type) { ScalarReading.integer($0, as: Int64.self).flatMap(Int32.init(exactly:)) } }
    func decode(_ type: Int64.Type) throws -> Int64 { try read(type) { ScalarReading.integer($0) } }
    func decode(_ type: UInt.Type) throws -> UInt { try read(type) { ScalarReading.integer($0) } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read(type) { ScalarReading.integer($0, as: UInt64.self).flatMap(UInt8.init(exactly:)) } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try read(type) { ScalarReading.integer($0, as: UInt64.self).flatMap(UInt16.init(exactly:)) } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try read(type) { ScalarReading.integer($0, as: UInt64.self).flatMap(UInt32.init(exactly:)) } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try read(type) { ScalarReading.integer($0) } }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }

    /// `type` from this node: the scalar types directly, anything else through its `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        default: return try T(from: self)
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let pairs: [(key: Node, value: Node)]

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { pairs.compactMap { $0.key.string.flatMap(Key.init(stringValue:)) } }

    /// As `Node.Mapping.subscript(_: String)`: the last pair whose key equals the plain scalar `key`.
    private func value(_ key: Key) -> Node? {
        let tag = Tag(TagResolution.resolve(key.stringValue))
        return pairs.last(where: { $0.key.scalar.map { $0.string == key.stringValue && $0.tag == tag } ?? false })?.value
    }

    private func child(_ key: Key) throws -> NodeDecoder {
        guard let node = value(key) else {
            throw DecodingError.keyNotFound(
                key, DecodingError.Context(codingPath: codingPath, debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return decoder.child(node, key)
    }

    func contains(_ key: Key) -> Bool { value(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }

    func superDecoder() throws -> any Decoder {
        guard let node = pairs.last(where: { $0.key.string == "super" })?.value else {
            throw DecodingError.keyNotFound(
                IndexKey.super, DecodingError.Context(codingPath: codingPath, debugDescription: "No value associated with key \"super\"."))
        }
        return decoder.child(node, IndexKey.super)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [Node]
    var currentIndex = 0

    init(decoder: NodeDecoder, items: [Node]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next<T>(_ type: T.Type, _ body: (NodeDecoder) throws -> T) throws -> T {
        let key = IndexKey(intValue: currentIndex)
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "Unkeyed container is at end."))
        }
        let value = try body(decoder.child(items[currentIndex], key))
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any?.self,
                DecodingError.Context(codingPath: codingPath + [IndexKey(intValue: currentIndex)], debugDescription: "Unkeyed container is at end."))
        }
        // A null item is consumed, another is not (Yams 6.2.2 consumes both, skipping an item of `[T?]`).
        if items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) { try $0.decodeValue(type) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(KeyedDecodingContainer<NestedKey>.self) { try $0.container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next((any UnkeyedDecodingContainer).self) { try $0.unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder { try next((any Decoder).self) { $0 } }
}

/// YAML's merge keys as Yams applies them when decoding (`Node.Mapping.flatten()`): each `<<` key is removed and
/// the pairs of its mapping (or of each mapping of its sequence, the first one last so that it wins) come first,
/// so that a later lookup (the last matching pair) finds the mapping's own key before a merged one.
enum MergeKeys {
    static func flatten(_ mapping: Node.Mapping) -> [(key: Node, value: Node)] {
        var merged: [(key: Node, value: Node)] = []
        var own: [(key: Node, value: Node)] = []
        for pair in mapping {
            guard pair.key.tag.name == .merge else {
                own.append(pair)
                continue
            }
            switch pair.value {
            case .mapping(let inner): merged += flatten(inner)
            case .sequence(let sequence):
                for inner in sequence.compactMap(\.mapping).reversed() { merged += flatten(inner) }
            case .scalar: break
            }
        }
        return merged + own
    }
}
