import FoundationEssentials

/// A result's evidence packed into bytes: what `CheckResult` stores (after its other fields, in the same allocation)
/// instead of a dictionary or an array of (key, value) members.
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
/// - value: a tag byte (`Tag`), then for `int` a zigzag varint, for `double` 8 bytes little-endian, for `string`
///   a varint length and the UTF-8 bytes, for `hexPairs` (a string of upper-case hexadecimal byte pairs joined by
///   colons: the certificate fingerprints every certificate result carries) a varint count and the bytes, for
///   `array` a varint count and the values, for `object` its members as above.
///
/// Equal evidence gives equal bytes, except doubles (`0.0` and `-0.0` are equal values with different bytes):
/// `CheckResult` compares decoded evidence.
enum CompactEvidence {
    /// The packed form of `evidence` (one byte, a zero count, when it is empty).
    static func encode(_ evidence: [String: JSONValue]) -> [UInt8] {
        var writer = Writer()
        writer.members(evidence)
        return writer.bytes
    }

    /// The evidence `bytes` (from `encode`) hold, as a dictionary (new strings, arrays and dictionaries on every call).
    static func dictionary(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: JSONValue] {
        var reader = Reader(bytes: bytes)
        return reader.members()
    }

    /// The members `bytes` hold, in the order they are stored: the byte order of their keys' UTF-8.
    static func members(_ bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: JSONValue)] {
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

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private enum Tag: UInt8 {
        case null, `false`, `true`, int, double, string, array, object, hexPairs
    }

    private struct Writer {
        var bytes: [UInt8] = []

        /// `value`'s bits, 7 at a time, low first; the high bit of each byte says another follows.
        mutating func varint(_ value: Int) {
            var value = UInt(bitPattern: value)
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

        /// Writes `text` as `hexPairs` and returns true when it is `XX:XX:…` (upper-case hexadecimal digits,
        /// at least one pair); false, writing nothing, otherwise.
        mutating func hexPairs(_ text: String) -> Bool {
            let utf8 = text.utf8
            guard utf8.count >= 2, (utf8.count + 1) % 3 == 0 else { return false }
            func digit(_ byte: UInt8) -> UInt8? {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
                case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
                default: return nil
                }
            }
            var packed: [UInt8] = []
            packed.reserveCapacity((utf8.count + 1) / 3)
            var iterator = utf8.makeIterator()
            while let high = iterator.next() {
                guard let low = iterator.next(), let h = digit(high), let l = digit(low) else { return false }
                packed.append(h << 4 | l)
                if let separator = iterator.next(), separator != UInt8(ascii: ":") { return false }
            }
            bytes.append(Tag.hexPairs.rawValue)
            varint(packed.count)
            bytes.append(contentsOf: packed)
            return true
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
                // Zigzag: small magnitudes of either sign take one or two bytes.
                varint(Int(bitPattern: UInt(bitPattern: (number << 1) ^ (number >> (Int.bitWidth - 1)))))
            case .double(let number):
                bytes.append(Tag.double.rawValue)
                fixed(number.bitPattern)
            case .string(let text):
                if !hexPairs(text) {
                    bytes.append(Tag.string.rawValue)
                    string(text)
                }
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
        let bytes: UnsafeBufferPointer<UInt8>
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
                if byte < 0x80 { return Int(bitPattern: value) }
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
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<offset + count]), as: UTF8.self)
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
            case .int:
                let zigzag = UInt(bitPattern: varint())
                return .int(Int(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1))))
            case .double: return .double(Double(bitPattern: fixed()))
            case .string: return .string(string())
            case .array:
                let count = varint()
                var elements: [JSONValue] = []
                elements.reserveCapacity(count)
                for _ in 0..<count { elements.append(value()) }
                return .array(elements)
            case .object: return .object(members())
            case .hexPairs:
                let count = varint()
                let digits = CompactEvidence.upperHexDigits
                var text = [UInt8]()
                text.reserveCapacity(count * 3)
                for index in offset..<offset + count {
                    if index > offset { text.append(UInt8(ascii: ":")) }
                    text.append(digits[Int(bytes[index] >> 4)])
                    text.append(digits[Int(bytes[index] & 0x0F)])
                }
                offset += count
                return .string(String(decoding: text, as: UTF8.self))
            case nil: preconditionFailure("CompactEvidence: unknown tag (the bytes are only ever written by Writer)")
            }
        }
    }
}
