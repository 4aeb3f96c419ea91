import Checks
import FoundationEssentials
import Model

/// Writes a `Report` as JSON, byte for byte what `JSONEncoder` writes with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` (two-space indent, `"key" : value`,
/// keys in UTF-8 byte order, empty containers as `{\n\n}`), without building `JSONEncoder`'s
/// intermediate tree of every result and its evidence.
///
/// The results (the bulk of a report: 10,000 results weigh about 8 MB) are written by hand, straight
/// into a byte buffer handed to `flush` every `chunkSize` bytes, so a report can be streamed to a file
/// without ever being held whole. The small parts (agent, entity, host, summary) still go through
/// `JSONEncoder` and are re-indented, so they follow their `Codable` conformances exactly.
/// `ReportTests` checks the bytes against `JSONEncoder`'s.
struct ReportJSONWriter {
    private(set) var buffer: [UInt8] = []
    private let chunkSize: Int
    private let flush: (([UInt8]) throws -> Void)?

    /// - Parameters:
    ///   - capacity: bytes reserved up front.
    ///   - chunkSize: buffer size at which `flush` is called (ignored without `flush`).
    ///   - flush: receives the bytes written so far and the buffer starts again; nil keeps everything in `buffer`.
    init(capacity: Int, chunkSize: Int = 1 << 16, flush: (([UInt8]) throws -> Void)? = nil) {
        buffer.reserveCapacity(flush == nil ? capacity : chunkSize + 4096)
        self.chunkSize = chunkSize
        self.flush = flush
    }

    /// The encoder used for the small, fixed-shape parts; same options and date form as `Report.jsonBytes()` always used.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.string(from: date))
        }
        return encoder
    }

    /// Writes the whole report followed by a newline, then flushes what is left.
    mutating func write(_ report: Report) throws {
        let encoder = Self.encoder()
        // Keys in byte order: agent, entity, generatedAt, host, id, results, schema, summary.
        append("{\n  \"agent\" : ")
        try appendEncoded(report.agent, encoder: encoder, depth: 1)
        append(",\n  \"entity\" : ")
        try appendEncoded(report.entity, encoder: encoder, depth: 1)
        append(",\n  \"generatedAt\" : ")
        appendString(ISO8601.string(from: report.generatedAt))
        append(",\n  \"host\" : ")
        try appendEncoded(report.host, encoder: encoder, depth: 1)
        append(",\n  \"id\" : ")
        appendString(report.id)
        append(",\n  \"results\" : [\n")
        for (index, result) in report.results.enumerated() {
            if index > 0 { append(",\n") }
            try appendResult(result, encoder: encoder)
            try flushIfFull()
        }
        append("\n  ],\n  \"schema\" : ")
        appendString(report.schema)
        append(",\n  \"summary\" : ")
        try appendEncoded(report.summary, encoder: encoder, depth: 1)
        append("\n}\n")
        if let flush, !buffer.isEmpty {
            try flush(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Results

    /// One result at depth 2 (inside `results`), keys in byte order.
    private mutating func appendResult(_ result: CheckResult, encoder: JSONEncoder) throws {
        append("    {\n      \"check\" : ")
        appendString(result.check)
        append(",\n      \"code\" : ")
        appendString(result.code)
        append(",\n      \"durationMs\" : ")
        appendInt(result.durationMs)
        append(",\n      \"evidence\" : ")
        try appendMembers(result.evidenceMembers.lazy.map { ($0.key, $0.value) }, encoder: encoder, depth: 4)
        // "reason" < "reasonFr" < "references" in byte order ("reason" is a prefix; 'a' < 'f').
        if let reason = result.reason {
            append(",\n      \"reason\" : ")
            appendString(reason)
        }
        if let reasonFr = result.reasonFr {
            append(",\n      \"reasonFr\" : ")
            appendString(reasonFr)
        }
        append(",\n      \"references\" : ")
        try appendArray(result.references.map(JSONValue.string), encoder: encoder, depth: 4)
        append(",\n      \"severity\" : ")
        appendString(result.severity.rawValue)
        append(",\n      \"status\" : ")
        appendString(result.status.rawValue)
        append(",\n      \"target\" : ")
        appendString(result.target)
        append("\n    }")
    }

    // MARK: - JSON values

    private mutating func appendValue(_ value: JSONValue, encoder: JSONEncoder, depth: Int) throws {
        switch value {
        case .string(let text): appendString(text)
        case .int(let number): appendInt(number)
        case .bool(let flag): append(flag ? "true" : "false")
        case .null: append("null")
        case .double(let number):
            // Rare in evidence; JSONEncoder's own number form (and its refusal of NaN and infinities).
            buffer += try encoder.encode(number)
        case .array(let elements): try appendArray(elements, encoder: encoder, depth: depth)
        case .object(let members): try appendObject(members, encoder: encoder, depth: depth)
        }
    }

    /// An object whose members sit at `depth` (its closing brace one level up).
    private mutating func appendObject(_ members: [String: JSONValue], encoder: JSONEncoder, depth: Int) throws {
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        try appendMembers(sorted.lazy.map { ($0.key, $0.value) }, encoder: encoder, depth: depth)
    }

    /// An object from members already in the byte order of their keys.
    private mutating func appendMembers(
        _ members: some Collection<(String, JSONValue)>, encoder: JSONEncoder, depth: Int
    ) throws {
        append("{\n")
        if members.isEmpty {
            append("\n")
        } else {
            for (index, member) in members.enumerated() {
                if index > 0 { append(",\n") }
                indent(depth)
                appendString(member.0)
                append(" : ")
                try appendValue(member.1, encoder: encoder, depth: depth + 1)
            }
            append("\n")
        }
        indent(depth - 1)
        append("}")
    }

    /// An array whose elements sit at `depth`.
    private mutating func appendArray(_ elements: [JSONValue], encoder: JSONEncoder, depth: Int) throws {
        append("[\n")
        if elements.isEmpty {
            append("\n")
        } else {
            for (index, element) in elements.enumerated() {
                if index > 0 { append(",\n") }
                indent(depth)
                try appendValue(element, encoder: encoder, depth: depth + 1)
            }
            append("\n")
        }
        indent(depth - 1)
        append("]")
    }

    /// `value` through `JSONEncoder`, its lines indented to sit at `depth` (empty lines stay empty, as
    /// the encoder writes them). JSON text has no raw newline inside strings, so every newline is structure.
    private mutating func appendEncoded<T: Encodable>(_ value: T, encoder: JSONEncoder, depth: Int) throws {
        let encoded = try encoder.encode(value)
        let newline = UInt8(ascii: "\n")
        var previousWasNewline = false
        for byte in encoded {
            if previousWasNewline && byte != newline { indent(depth) }
            buffer.append(byte)
            previousWasNewline = byte == newline
        }
    }

    // MARK: - Scalars

    private mutating func indent(_ depth: Int) {
        for _ in 0..<(2 * depth) { buffer.append(UInt8(ascii: " ")) }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    private mutating func appendInt(_ value: Int) {
        if value >= 0 && value < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            buffer.append(contentsOf: String(value).utf8)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string as `JSONEncoder` escapes it with `.withoutEscapingSlashes`: `"` and `\`, the short
    /// forms `\b \f \n \r \t`, other control characters as `\u00XX`; everything else as UTF-8.
    private mutating func appendString(_ text: String) {
        buffer.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case 0x22: append("\\\"")
                case 0x5C: append("\\\\")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                default:
                    append("\\u00")
                    buffer.append(Self.hexDigits[Int(byte >> 4)])
                    buffer.append(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private mutating func flushIfFull() throws {
        guard let flush, buffer.count >= chunkSize else { return }
        try flush(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
