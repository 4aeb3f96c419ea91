import FoundationEssentials

/// A result's evidence packed into one byte array: what `CheckResult` stores instead of a dictionary or an
/// array of (key, value) members.
///
/// A scan of 2,000 certificate files holds its 10,000 results until the report is written; as an array of
/// members (40 bytes each: a 16-byte key and a 17-byte `JSONValue`, padded) their evidence took about 5 MB,
/// more than any other part of the agent's heap (docs/benchmarks.md, "The agent's executable"). Packed, the
/// same evidence takes about half: keys the checks use are one byte, integers and strings carry no padding.
///
/// Layout (in memory only, never written anywhere, so it may change freely):
/// - members: `count` (varint), then each member as a key and a value, in the byte order of the keys'
///   UTF-8 (the report's order);
/// - key: one byte, the index in `knownKeys`, or `0xFF` then the key as a string;
/// - value: a tag byte (`Tag`), then for `int` and `double` 8 bytes little-endian, for `string` a varint
///   length and the UTF-8 bytes, for `array` a varint count and the values, for `object` its members as above.
///
/// Equal evidence gives equal bytes, except doubles (`0.0` and `-0.0` are equal values with different bytes):
/// `CheckResult` compares decoded evidence.
struct CompactEvidence: Sendable, Hashable {
    private(set) var bytes: [UInt8]

    static let empty = CompactEvidence(bytes: [0])

    private init(bytes: [UInt8]) { self.bytes = bytes }

    init(_ evidence: [String: JSONValue]) {
        guard !evidence.isEmpty else {
            self = .empty
            return
        }
        var writer = Writer()
        writer.members(evidence)
        bytes = writer.finish()
    }

    /// The evidence as a dictionary (new strings, arrays and dictionaries on every call).
    var dictionary: [String: JSONValue] {
        var reader = Reader(bytes: bytes)
        return reader.members()
    }

    /// The members in the order they are stored: the byte order of their keys' UTF-8.
    var members: [(key: String, value: JSONValue)] {
        var reader = Reader(bytes: bytes)
        let count = reader.varint()
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(count)
        for _ in 0..<count {
            let key = reader.key()
            members.append((key, reader.value()))
        }
        return members
    }

    var isEmpty: Bool { bytes == [0] }

    /// Evidence keys the checks write, each stored as one byte (its index). Any other key is stored whole; the
    /// list only saves bytes, so adding or reordering names changes nothing else (at most 255 names).
    static let knownKeys: [String] = [
        "ca", "count", "curve", "daysLeft", "declared", "digest", "failure", "format", "issuer", "keyBits",
        "keyType", "minimumBits", "notAfter", "notBefore", "position", "problem", "problems", "role", "selfSigned",
        "serial", "sha256", "signatureAlgorithm", "state", "subject", "subjectAltNameCount", "subjectAltNames",
        "thresholdDays", "usedBy", "installed", "updates", "packages", "maximumDays", "records", "ageDays",
        "version", "versionID", "threshold", "servedCount", "runningKernel", "remote", "present", "package",
        "origin", "note", "newestAt", "newest", "maxAgeDays", "lastUpdate", "installedKernels", "architecture",
        "address", "accepted", "basis", "technical", "technicalPrefixes", "contradicted", "contradictedBy",
        "unanswered", "phase", "maxAge", "section", "release", "mandatory", "httpStatus", "warningDays", "verifyError",
        "unknown", "totalBytes", "source", "location", "missing", "service", "namedBy", "configurationsRead",
        "pass", "warn", "fail", "error", "code", "target", "severity", "status",
    ]

    private static let knownKeyIndex: [String: UInt8] = Dictionary(
        uniqueKeysWithValues: knownKeys.enumerated().map { ($0.element, UInt8($0.offset)) })

    private static let unknownKey: UInt8 = 0xFF

    private enum Tag: UInt8 {
        case null, `false`, `true`, int, double, string, array, object
    }

    private struct Writer {
        var bytes: [UInt8] = []

        /// The bytes in an array of exactly their size: the growth slack of thousands of arrays would undo
        /// part of the saving.
        func finish() -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
                count = buffer.initialize(fromContentsOf: bytes)
            }
        }

        mutating func varint(_ value: Int) {
            var value = UInt(value)
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                varint(utf8.count)
                bytes.append(contentsOf: utf8)
            }
        }

        mutating func members(_ members: [String: JSONValue]) {
            varint(members.count)
            for (key, value) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                if let index = CompactEvidence.knownKeyIndex[key] {
                    bytes.append(index)
                } else {
                    bytes.append(CompactEvidence.unknownKey)
                    string(key)
                }
                self.value(value)
            }
        }

        mutating func fixed(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        mutating func value(_ value: JSONValue) {
            switch value {
            case .null: bytes.append(Tag.null.rawValue)
            case .bool(let flag): bytes.append(flag ? Tag.true.rawValue : Tag.false.rawValue)
            case .int(let number):
                bytes.append(Tag.int.rawValue)
                fixed(UInt64(bitPattern: Int64(number)))
            case .double(let number):
                bytes.append(Tag.double.rawValue)
                fixed(number.bitPattern)
            case .string(let text):
                bytes.append(Tag.string.rawValue)
                string(text)
            case .array(let elements):
                bytes.append(Tag.array.rawValue)
                varint(elements.count)
                for element in elements { self.value(element) }
            case .object(let members):
                bytes.append(Tag.object.rawValue)
                self.members(members)
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() -> UInt8 {
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> Int {
            var value: UInt = 0
            var shift: UInt = 0
            while true {
                let byte = byte()
                value |= UInt(byte & 0x7F) << shift
                if byte < 0x80 { return Int(value) }
                shift += 7
            }
        }

        mutating func fixed() -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += 8
            return value
        }

        mutating func string() -> String {
            let count = varint()
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }

        mutating func key() -> String {
            let index = byte()
            return index == CompactEvidence.unknownKey ? string() : CompactEvidence.knownKeys[Int(index)]
        }

        mutating func members() -> [String: JSONValue] {
            let count = varint()
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let key = key()
                members[key] = value()
            }
            return members
        }

        mutating func value() -> JSONValue {
            switch Tag(rawValue: byte()) {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(Int(Int64(bitPattern: fixed())))
            case .double: return .double(Double(bitPattern: fixed()))
            case .string: return .string(string())
            case .array:
                let count = varint()
                var elements: [JSONValue] = []
                elements.reserveCapacity(count)
                for _ in 0..<count { elements.append(value()) }
                return .array(elements)
            case .object: return .object(members())
            case nil: preconditionFailure("CompactEvidence: unknown tag (the bytes are only ever written by Writer)")
            }
        }
    }
}
