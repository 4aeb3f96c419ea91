internal import CLibYAML

/// Bounds on what a document may cost once composed, against hostile input: aliases that multiply
/// (billion laughs: ten aliases of ten aliases of …) and nesting deep enough to exhaust a stack in whoever
/// walks the tree. libyaml itself reads in bounded time and memory for a bounded input.
public struct YAMLLimits: Sendable, Equatable {
    /// Most levels of nesting, counted through aliases (a scalar at the top is depth 1).
    public var maximumDepth: Int
    /// Most nodes in the document with every alias expanded: what a walk of the whole tree visits.
    public var maximumNodes: Int

    public init(maximumDepth: Int = 128, maximumNodes: Int = 1_000_000) {
        self.maximumDepth = maximumDepth
        self.maximumNodes = maximumNodes
    }

    /// 128 levels and 1,000,000 nodes: a profile or a NIS 2 file uses under 10 levels and a few thousand nodes,
    /// and the largest file read (1 MiB) holds at most about 500,000 nodes without aliases.
    public static let `default` = YAMLLimits()
}

/// Why a text is not a document this reader accepts.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// libyaml refused the text (reader, scanner or parser), or a composer rule failed (an undefined
        /// alias, a second document): `problem` is libyaml's (English) text.
        case syntax
        /// The same key twice in one mapping; the keys' texts, sorted.
        case duplicateKeys([String])
        /// Nested more than `maximumDepth` levels.
        case tooDeep(limit: Int)
        /// More than `maximumNodes` nodes once aliases are expanded.
        case tooManyNodes(limit: Int)
    }

    public let kind: Kind
    /// What is wrong, in English (libyaml's words for a syntax error: `mapping values are not allowed in this
    /// context`); empty for the other kinds, whose messages say it all.
    public let problem: String
    /// What libyaml was reading when it met the problem (`while scanning a simple key`), when it says.
    public let context: String?
    /// Where, when known.
    public let mark: Mark?

    public init(_ kind: Kind, problem: String = "", context: String? = nil, mark: Mark?) {
        self.kind = kind
        self.problem = problem
        self.context = context
        self.mark = mark
    }

    /// The problem in French. libyaml's own texts are quoted as they are (they have no translation).
    public var messageFr: String {
        switch kind {
        case .syntax: "syntaxe YAML : \(problem)"
        case .duplicateKeys(let keys): "clé en double : \(keys.joined(separator: ", "))"
        case .tooDeep(let limit):
            "YAML : plus de \(limit) niveaux d'imbrication (alias compris) : refusé, un fichier de configuration n'en a que quelques-uns"
        case .tooManyNodes(let limit):
            "YAML : plus de \(limit) nœuds une fois les alias développés : refusé (alias imbriqués qui se multiplient ?)"
        }
    }

    /// The problem in English.
    public var messageEn: String {
        switch kind {
        case .syntax: "YAML syntax: \(problem)"
        case .duplicateKeys(let keys): "duplicate key \(keys.joined(separator: ", "))"
        case .tooDeep(let limit): "YAML: more than \(limit) levels of nesting (aliases included): refused, a configuration file has a few"
        case .tooManyNodes(let limit): "YAML: more than \(limit) nodes once aliases are expanded: refused (nested aliases that multiply?)"
        }
    }

    /// `line:column: message` in English.
    public var description: String { mark.map { "\($0): \(messageEn)" } ?? messageEn }
}

/// Composes the single YAML document in `yaml` with libyaml's parser, as `Yams.compose(yaml:)` does: nil for
/// a stream with no document (empty, or comments only); aliases resolved to the anchored node; scalar tags
/// resolved (`TagResolution`); merge keys (`<<`) kept as keys (`YAMLDecoder` applies them).
/// - Throws: `YAMLError`: a syntax error at libyaml's problem mark, an undefined alias, a second document,
///   a key twice in a mapping (at the first key's first occurrence, as Yams), or a limit of `limits` exceeded.
public func compose(yaml: String, limits: YAMLLimits = .default) throws(YAMLError) -> Node? {
    var text = yaml
    // A byte order mark opening the stream is no content (YAML 1.2 §5.2; libyaml drops it when it detects the
    // encoding itself, as PyYAML's loader does): a roster saved by Windows Notepad reads as its content.
    if text.unicodeScalars.first == "\u{FEFF}" { text = String(text.unicodeScalars.dropFirst()) }
    let result: Result<Node?, YAMLError> = text.withUTF8 { bytes in
        // libyaml asserts on a null input: nothing at all is no document, as whitespace is.
        guard !bytes.isEmpty else { return .success(nil) }
        var composer = Composer(limits: limits, bytes: bytes)
        do throws(YAMLError) {
            return .success(try composer.compose())
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// A composed node with what it costs: nodes once expanded, and height.
private struct Weighed {
    let node: Node
    let nodes: Int
    let height: Int
}

/// A collection being composed.
private struct Frame {
    enum Kind {
        case sequence([Node])
        case mapping([(Node, Node)], pendingKey: Node?)
    }

    var kind: Kind
    let tag: Tag
    let style: UInt32
    let mark: Mark
    let anchor: String?
    var nodes = 1
    var height = 1
}

private struct Composer {
    let limits: YAMLLimits
    let bytes: UnsafeBufferPointer<UInt8>
    var anchors: [String: Weighed] = [:]
    var total = 0

    init(limits: YAMLLimits, bytes: UnsafeBufferPointer<UInt8>) {
        self.limits = limits
        self.bytes = bytes
    }

    mutating func compose() throws(YAMLError) -> Node? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            throw YAMLError(.syntax, problem: "cannot initialise libyaml's parser (out of memory)", mark: nil)
        }
        defer {
            yaml_parser_delete(parser)
            parser.deallocate()
        }
        // As Yams: the text is UTF-8 (a BOM is then read as a character, skipped at the start of a line).
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)

        var event = yaml_event_t()
        try next(parser, &event)  // STREAM-START
        yaml_event_delete(&event)
        try next(parser, &event)
        if event.type == YAML_STREAM_END_EVENT {
            yaml_event_delete(&event)
            return nil
        }
        yaml_event_delete(&event)  // DOCUMENT-START
        let root = try document(parser)
        try next(parser, &event)  // DOCUMENT-END
        yaml_event_delete(&event)
        try next(parser, &event)
        defer { yaml_event_delete(&event) }
        guard event.type == YAML_STREAM_END_EVENT else {
            throw YAMLError(
                .syntax, problem: "but found another document", context: "expected a single document in the stream",
                mark: Self.mark(event.start_mark))
        }
        return root
    }

    /// Reads one event; a libyaml error becomes a `YAMLError` at its problem mark.
    private func next(_ parser: UnsafeMutablePointer<yaml_parser_t>, _ event: inout yaml_event_t) throws(YAMLError) {
        guard yaml_parser_parse(parser, &event) == 1 else { throw error(parser.pointee) }
    }

    private func error(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown libyaml error"
        let context = parser.context.map { String(cString: $0) }
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(.syntax, problem: "out of memory", mark: nil)
        case YAML_READER_ERROR:
            // Only an offset: the line and column are counted here.
            return YAMLError(.syntax, problem: problem, context: context, mark: mark(atOffset: parser.problem_offset))
        default:
            return YAMLError(.syntax, problem: problem, context: context, mark: Self.mark(parser.problem_mark))
        }
    }

    /// 1-based line and column (in Unicode scalars) of byte `offset`.
    private func mark(atOffset offset: Int) -> Mark {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        let column = bytes[lineStart..<end].reduce(0) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        return Mark(line: line, column: column + 1)
    }

    private static func mark(_ mark: yaml_mark_t) -> Mark { Mark(line: mark.line + 1, column: mark.column + 1) }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }

    /// Composes the document's root, iteratively (an explicit stack of open collections, bounded by `limits`).
    private mutating func document(_ parser: UnsafeMutablePointer<yaml_parser_t>) throws(YAMLError) -> Node {
        var stack: [Frame] = []
        var event = yaml_event_t()
        while true {
            try next(parser, &event)
            defer { yaml_event_delete(&event) }
            let start = Self.mark(event.start_mark)
            var finished: Weighed?
            switch event.type {
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                // Yams' tags: a quoted untagged scalar is a string; an explicit tag as written (`!` is a string);
                // a plain untagged scalar resolved from its text.
                let explicit: Tag.Name? = data.quoted_implicit == 1 ? .str : Self.string(data.tag).map(Tag.Name.init(rawValue:))
                let tag = explicit.map { $0 == .nonSpecific ? Tag(.str) : Tag($0) } ?? Tag(TagResolution.resolve(value))
                let style = Node.Scalar.Style(rawValue: data.style.rawValue) ?? .any
                let node = Node.scalar(.init(value, tag: tag, style: style, mark: start, explicitlyString: explicit == .str))
                try count(1, height: 1, depth: stack.count, at: start)
                finished = Weighed(node: node, nodes: 1, height: 1)
                if let anchor = Self.string(data.anchor) { anchors[anchor] = finished }
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let anchored = anchors[name] else {
                    throw YAMLError(.syntax, problem: "found undefined alias", mark: start)
                }
                try count(anchored.nodes, height: anchored.height, depth: stack.count, at: start)
                finished = anchored
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                try count(1, height: 1, depth: stack.count, at: start)
                let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                let (tagPointer, implicit, style, anchor) =
                    isSequence
                    ? (event.data.sequence_start.tag, event.data.sequence_start.implicit, event.data.sequence_start.style.rawValue,
                       event.data.sequence_start.anchor)
                    : (event.data.mapping_start.tag, event.data.mapping_start.implicit, event.data.mapping_start.style.rawValue,
                       event.data.mapping_start.anchor)
                let written = implicit != 0 ? nil : Self.string(tagPointer).map(Tag.Name.init(rawValue:))
                let name = written.flatMap { $0 == .nonSpecific ? nil : $0 } ?? (isSequence ? .seq : .map)
                stack.append(
                    Frame(
                        kind: isSequence ? .sequence([]) : .mapping([], pendingKey: nil), tag: Tag(name), style: style, mark: start,
                        anchor: Self.string(anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let node: Node
                switch frame.kind {
                case .sequence(let items):
                    node = .sequence(.init(items, tag: frame.tag, style: .init(rawValue: frame.style) ?? .any, mark: frame.mark))
                case .mapping(let pairs, _):
                    try Self.checkDuplicates(pairs.map(\.0))
                    node = .mapping(.init(pairs, tag: frame.tag, style: .init(rawValue: frame.style) ?? .any, mark: frame.mark))
                }
                finished = Weighed(node: node, nodes: frame.nodes, height: frame.height)
                if let anchor = frame.anchor { anchors[anchor] = finished }
            default:
                throw YAMLError(.syntax, problem: "unexpected event \(event.type.rawValue)", mark: start)
            }
            guard let finished else { continue }
            guard !stack.isEmpty else { return finished.node }
            stack[stack.count - 1].nodes += finished.nodes
            stack[stack.count - 1].height = max(stack[stack.count - 1].height, finished.height + 1)
            switch stack[stack.count - 1].kind {
            case .sequence(var items):
                stack[stack.count - 1].kind = .sequence([])
                items.append(finished.node)
                stack[stack.count - 1].kind = .sequence(items)
            case .mapping(var pairs, let pendingKey):
                stack[stack.count - 1].kind = .mapping([], pendingKey: nil)
                if let pendingKey {
                    pairs.append((pendingKey, finished.node))
                    stack[stack.count - 1].kind = .mapping(pairs, pendingKey: nil)
                } else {
                    stack[stack.count - 1].kind = .mapping(pairs, pendingKey: finished.node)
                }
            }
        }
    }

    /// Adds `nodes` (of `height` levels, placed under `depth` open collections) to the document's cost.
    private mutating func count(_ nodes: Int, height: Int, depth: Int, at mark: Mark) throws(YAMLError) {
        total += nodes
        if total > limits.maximumNodes { throw YAMLError(.tooManyNodes(limit: limits.maximumNodes), mark: mark) }
        if depth + height > limits.maximumDepth { throw YAMLError(.tooDeep(limit: limits.maximumDepth), mark: mark) }
    }

    /// Yams' rule: equal keys (text and resolved tag, whatever the style) are refused; the error names every
    /// duplicated key, sorted, at the first occurrence of the first of them.
    private static func checkDuplicates(_ keys: [Node]) throws(YAMLError) {
        guard keys.count > 1 else { return }
        var first: [Node: Int] = [:]
        var duplicated: Set<Int> = []
        for (index, key) in keys.enumerated() {
            if let earlier = first[key] { duplicated.insert(earlier) } else { first[key] = index }
        }
        guard !duplicated.isEmpty else { return }
        let sorted = duplicated.map { keys[$0] }.sorted { ($0.string ?? "") < ($1.string ?? "") }
        throw YAMLError(.duplicateKeys(sorted.map { $0.string ?? "<uncovertable>" }), mark: sorted[0].mark)
    }
}
