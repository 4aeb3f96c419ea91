import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
import Model
#endif

/// Parsers for the units profiles use in backup declarations: durations (`26h`, `7d`), sizes
/// (`1M`, `500MB`, `2GiB`) and dates (`2026-11-01`), and the RFC 3339 times restic prints.
public enum BackupUnits {
    /// Seconds in `text`: a duration with its units, French or English (`26h`, `7d`, `7j`, `1sem`, `1d12h`, `90m`;
    /// `DurationText`). Nil when the text is not such a duration or is zero.
    public static func duration(_ text: String) -> TimeInterval? {
        guard let seconds = DurationText.seconds(text, bareUnit: nil), seconds > 0 else { return nil }
        return seconds
    }

    /// Bytes in `text`: a whole number of bytes, or a number with a binary unit `K`, `M`, `G`, `T`
    /// (`KB`, `KiB`, … accepted, all multiples of 1024). Nil when not a size.
    public static func size(_ text: String) -> Int? {
        let trimmed = text.trimming(.whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(digits), value >= 0 else { return nil }
        var unit = trimmed.dropFirst(digits.count).trimming(.whitespaces).uppercased()
        if unit.count == 3, unit.hasSuffix("IB") {
            unit = String(unit.prefix(1))
        } else if unit.hasSuffix("B") {
            unit = String(unit.dropLast())
        }
        let multiplier: Double
        switch unit {
        case "": multiplier = 1
        case "K": multiplier = 1024
        case "M": multiplier = 1024 * 1024
        case "G": multiplier = 1024 * 1024 * 1024
        case "T": multiplier = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        return Int(value * multiplier)
    }

    /// A calendar date (`2026-11-01`, midnight UTC) or an ISO 8601 time (`2026-11-01T10:00:00Z`).
    public static func date(_ text: String) -> Date? {
        let trimmed = text.trimming(.whitespaces)
        if trimmed.count == 10, let date = rfc3339(trimmed + "T00:00:00Z") { return date }
        return rfc3339(trimmed)
    }

    /// An RFC 3339 time with optional fractional seconds of any length and a `Z` or `±HH:MM` offset
    /// (`2026-11-29T08:30:12.123456789+01:00`, as restic prints it). Nil when malformed.
    public static func rfc3339(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + length)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0, 4), bytes[4] == UInt8(ascii: "-"), let month = number(5, 2),
              bytes[7] == UInt8(ascii: "-"), let day = number(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"), let minute = number(14, 2),
              bytes[16] == UInt8(ascii: ":"), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let hours = number(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                  let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: TimeInterval(seconds - offset) + fraction)
    }

    /// A duration as people read it in `language`: `26 h` (under two days), `3 j 4 h` (`3 d 4 h`), `45 min`
    /// (`DurationText.describe`).
    public static func describe(_ seconds: TimeInterval, in language: Language) -> String {
        DurationText.describe(seconds, in: language)
    }

    /// Hours as a number with one decimal, for evidence.
    static func hours(_ seconds: TimeInterval) -> Double { (seconds / 360).rounded() / 10 }
}
