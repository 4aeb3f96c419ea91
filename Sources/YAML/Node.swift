/// A composed YAML document: scalars, mappings with their keys in file order, sequences, each with the position
/// it starts at. Aliases are resolved: an alias is the anchored node itself (with the anchor's mark), as Yams
/// composes them. Built by `compose(yaml:limits:)`.
///
/// Equality and hashing follow Yams' (and YAML's) node equality: a scalar's text and resolved tag, a mapping's
/// pairs in order and tag, a sequence's items and tag; marks and styles are left out. That is what makes
/// `1` and `"1"` different keys, and `a` and `'a'` the same.
public enum Node: Hashable, Sendable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)
}

/// A position in the source text: 1-based line and column, the column counted in Unicode scalars (libyaml's
/// count, the one Yams reports).
public struct Mark: Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`.
    public var description: String { "\(line):\(column)" }
}

/// A node's tag. Scalars carry their resolved tag (`tag:yaml.org,2002:int` for a plain `42`, `…:str` for a
/// quoted one, an explicit `!!tag` as written); mappings and sequences carry `map`/`seq` unless tagged otherwise.
/// Two tags are equal when their names are.
public struct Tag: Hashable, Sendable, CustomStringConvertible {
    /// A tag's full name (`tag:yaml.org,2002:str`).
    public struct Name: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        /// The non-specific tag `!`: a string for a scalar, a map or seq for a collection.
        public static let nonSpecific: Name = "!"
        public static let str: Name = "tag:yaml.org,2002:str"
        public static let seq: Name = "tag:yaml.org,2002:seq"
        public static let map: Name = "tag:yaml.org,2002:map"
        public static let bool: Name = "tag:yaml.org,2002:bool"
        public static let float: Name = "tag:yaml.org,2002:float"
        public static let null: Name = "tag:yaml.org,2002:null"
        public static let int: Name = "tag:yaml.org,2002:int"
        public static let merge: Name = "tag:yaml.org,2002:merge"
        public static let timestamp: Name = "tag:yaml.org,2002:timestamp"
        public static let value: Name = "tag:yaml.org,2002:value"
    }

    public var name: Name

    public init(_ name: Name) { self.name = name }

    public var description: String { name.rawValue }
}

extension Node {
    /// A scalar: its text as written (quotes and escapes removed, folding applied), resolved tag, style and mark.
    public struct Scalar: Hashable, Sendable {
        /// How the scalar was written (libyaml's `yaml_scalar_style_t` values).
        public enum Style: UInt32, Sendable {
            case any = 0
            case plain
            case singleQuoted
            case doubleQuoted
            case literal
            case folded
        }

        public var string: String
        /// The resolved tag (see `Tag`).
        public var tag: Tag
        public var style: Style
        public var mark: Mark?
        /// True when the scalar was written quoted or tagged `!!str`: Yams then never reads it as a boolean
        /// (a plain untagged `yEs`, resolved as a string, still reads as true).
        let explicitlyString: Bool

        /// A scalar; a nil `tag` is resolved from `string` the way a plain scalar's is.
        public init(_ string: String, tag: Tag? = nil, style: Style = .plain, mark: Mark? = nil) {
            self.string = string
            self.tag = tag ?? Tag(TagResolution.resolve(string))
            self.style = style
            self.mark = mark
            self.explicitlyString = tag?.name == .str
        }

        init(_ string: String, tag: Tag, style: Style, mark: Mark?, explicitlyString: Bool) {
            self.string = string
            self.tag = tag
            self.style = style
            self.mark = mark
            self.explicitlyString = explicitlyString
        }

        public static func == (lhs: Scalar, rhs: Scalar) -> Bool { lhs.string == rhs.string && lhs.tag == rhs.tag }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(string)
            hasher.combine(tag)
        }
    }

    /// A mapping: its pairs in file order (duplicates are refused when composing), looked up by key text.
    public struct Mapping: RandomAccessCollection, Hashable, Sendable {
        /// libyaml's `yaml_mapping_style_t` values.
        public enum Style: UInt32, Sendable {
            case any = 0
            case block
            case flow
        }

        struct Pair: Hashable, Sendable {
            let key: Node
            let value: Node
        }

        public typealias Element = (key: Node, value: Node)
        public typealias Index = Int

        var pairs: [Pair]
        public var tag: Tag
        public var style: Style
        public var mark: Mark?

        public init(_ pairs: [(Node, Node)], tag: Tag = Tag(.map), style: Style = .any, mark: Mark? = nil) {
            self.pairs = pairs.map { Pair(key: $0.0, value: $0.1) }
            self.tag = tag
            self.style = style
            self.mark = mark
        }

        public var startIndex: Int { pairs.startIndex }
        public var endIndex: Int { pairs.endIndex }
        public subscript(position: Int) -> Element { (key: pairs[position].key, value: pairs[position].value) }

        /// The keys, in file order.
        public var keys: LazyMapCollection<Mapping, Node> { lazy.map { $0.key } }
        /// The values, in file order.
        public var values: LazyMapCollection<Mapping, Node> { lazy.map { $0.value } }

        /// The value of the key written `key`, as Yams looks it up: a key node equal to the plain scalar `key`
        /// (same text and same resolved tag, so `"1"` quoted is not found under `1`); the last one when a merge
        /// made several.
        public subscript(key: String) -> Node? {
            let tag = Tag(TagResolution.resolve(key))
            return pairs.last(where: { $0.key.scalar.map { $0.string == key && $0.tag == tag } ?? false })?.value
        }

        /// The value of the key equal to `key`.
        public subscript(key: Node) -> Node? { pairs.last(where: { $0.key == key })?.value }

        public static func == (lhs: Mapping, rhs: Mapping) -> Bool { lhs.pairs == rhs.pairs && lhs.tag == rhs.tag }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(pairs)
            hasher.combine(tag)
        }
    }

    /// A sequence: its items in file order.
    public struct Sequence: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
        /// libyaml's `yaml_sequence_style_t` values.
        public enum Style: UInt32, Sendable {
            case any = 0
            case block
            case flow
        }

        public typealias Index = Int

        var nodes: [Node]
        public var tag: Tag
        public var style: Style
        public var mark: Mark?

        public init(_ nodes: [Node], tag: Tag = Tag(.seq), style: Style = .any, mark: Mark? = nil) {
            self.nodes = nodes
            self.tag = tag
            self.style = style
            self.mark = mark
        }

        public init(arrayLiteral elements: Node...) { self.init(elements) }

        public var startIndex: Int { nodes.startIndex }
        public var endIndex: Int { nodes.endIndex }
        public subscript(position: Int) -> Node { nodes[position] }

        public static func == (lhs: Sequence, rhs: Sequence) -> Bool { lhs.nodes == rhs.nodes && lhs.tag == rhs.tag }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(nodes)
            hasher.combine(tag)
        }
    }
}

extension Node {
    /// The scalar, or nil for a mapping or a sequence.
    public var scalar: Scalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    /// The mapping, or nil.
    public var mapping: Mapping? {
        if case .mapping(let mapping) = self { return mapping }
        return nil
    }

    /// The sequence, or nil.
    public var sequence: Sequence? {
        if case .sequence(let sequence) = self { return sequence }
        return nil
    }

    /// Where the node starts (for an alias, where the anchored node starts).
    public var mark: Mark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    /// The node's resolved tag.
    public var tag: Tag {
        switch self {
        case .scalar(let scalar): scalar.tag
        case .mapping(let mapping): mapping.tag
        case .sequence(let sequence): sequence.tag
        }
    }

    /// A scalar's text, nil for a mapping or a sequence.
    public var string: String? { scalar?.string }

    /// True for a plain `~`, `null`, `Null`, `NULL` or empty scalar (Yams' null, whatever the tag).
    public var isNull: Bool {
        guard let scalar, scalar.style == .plain else { return false }
        return TagResolution.isNull(scalar.string)
    }
}
