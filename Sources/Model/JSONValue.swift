import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A JSON value, for a result's structured evidence.
public enum JSONValue: Sendable, Equatable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// The string inside `.string`, else nil.
    public var stringValue: String? { if case .string(let value) = self { return value } else { return nil } }
    /// The integer inside `.int`, else nil.
    public var intValue: Int? { if case .int(let value) = self { return value } else { return nil } }
    /// An array of strings as `.array` of `.string`.
    public static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    /// A time as ISO 8601 UTC text (`2026-11-29T08:00:00Z`).
    public static func time(_ date: Date) -> JSONValue { .string(ISO8601.string(from: date)) }
}

/// ISO 8601 UTC times as reports write them: `2026-11-29T08:00:00Z` (seconds, `Z`). Formatted and
/// parsed by hand with `gmtime_r`/`timegm`: Foundation's format styles cost tens of microseconds per call,
/// and a report holds thousands of times.
public enum ISO8601 {
    /// `YYYY-MM-DDTHH:MM:SSZ`, fractions of a second dropped.
    public static func string(from date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = parts.tm_year + 1900
        if (0...9999).contains(year) {
            // The 20 bytes written in place (a status writes 20,000 of these: a string per field was 3 % of it).
            return String(unsafeUninitializedCapacity: 20) { buffer in
                func put(_ value: Int32, at offset: Int, width: Int) {
                    var value = value
                    for index in stride(from: offset + width - 1, through: offset, by: -1) {
                        buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                    }
                }
                put(year, at: 0, width: 4)
                put(parts.tm_mon + 1, at: 5, width: 2)
                put(parts.tm_mday, at: 8, width: 2)
                put(parts.tm_hour, at: 11, width: 2)
                put(parts.tm_min, at: 14, width: 2)
                put(parts.tm_sec, at: 17, width: 2)
                for (offset, byte) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "Z")] as [(Int, Unicode.Scalar)] {
                    buffer[offset] = UInt8(ascii: byte)
                }
                return 20
            }
        }
        var text = ""
        text.reserveCapacity(20)
        func append(_ value: Int32, width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        append(parts.tm_year + 1900, width: 4)
        text += "-"
        append(parts.tm_mon + 1, width: 2)
        text += "-"
        append(parts.tm_mday, width: 2)
        text += "T"
        append(parts.tm_hour, width: 2)
        text += ":"
        append(parts.tm_min, width: 2)
        text += ":"
        append(parts.tm_sec, width: 2)
        text += "Z"
        return text
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ`; nil for anything else.
    public static func date(from string: String) -> Date? {
        let bytes = Array(string.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
