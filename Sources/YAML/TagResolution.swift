/// Resolves the tag of a plain, untagged scalar, and reads scalars as booleans and numbers, with the rules of
/// Yams 6.2.2 (`Resolver.default`, `Constructor`): YAML 1.1's bool, int, float, merge, null, timestamp and value
/// patterns, tried in that order, anything else a string. The patterns are Yams' regular expressions written
/// out by hand over ASCII bytes (Foundation's NSRegularExpression would bring ICU); `YAMLReferenceTests` checks
/// them against Yams.
enum TagResolution {
    /// The tag name of the plain scalar `text`.
    static func resolve(_ text: String) -> Tag.Name {
        let bytes = Array(text.utf8)
        if isBool(text) { return .bool }
        if isInt(bytes) { return .int }
        if isFloat(bytes) { return .float }
        if text == "<<" { return .merge }
        if isNull(text) { return .null }
        if isTimestamp(bytes) { return .timestamp }
        if text == "=" { return .value }
        return .str
    }

    // MARK: Patterns

    /// `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`
    static func isBool(_ text: String) -> Bool {
        switch text {
        case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
            "on", "On", "ON", "off", "Off", "OFF":
            true
        default: false
        }
    }

    /// `~|null|Null|NULL|` (the empty string included).
    static func isNull(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": true
        default: false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
    private static let underscore = UInt8(ascii: "_")

    /// Index after an optional `[-+]`.
    private static func skipSign(_ bytes: [UInt8], _ index: Int) -> Int {
        index < bytes.count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) ? index + 1 : index
    }

    /// Index after `[set]*` from `index`.
    private static func skip(_ bytes: [UInt8], _ index: Int, while test: (UInt8) -> Bool) -> Int {
        var index = index
        while index < bytes.count && test(bytes[index]) { index += 1 }
        return index
    }

    /// `(?::[0-5]?[0-9])+` from `index` (at a colon): the index after the last group, or nil when none matches.
    /// Each group is one digit, or two whose first is 0–5.
    private static func sexagesimalGroups(_ bytes: [UInt8], _ start: Int) -> Int? {
        var index = start
        var groups = 0
        while index < bytes.count && bytes[index] == UInt8(ascii: ":") {
            let end = skip(bytes, index + 1, while: isDigit)
            let count = end - index - 1
            guard count == 1 || (count == 2 && bytes[index + 1] <= UInt8(ascii: "5")) else { return groups > 0 ? index : nil }
            groups += 1
            index = end
        }
        return groups > 0 ? index : nil
    }

    /// Yams' int rule:
    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    static func isInt(_ bytes: [UInt8]) -> Bool {
        let start = skipSign(bytes, 0)
        let rest = Array(bytes[start...])
        guard let first = rest.first else { return false }
        if first == UInt8(ascii: "0") {
            if rest.count == 1 { return true }
            let marker = rest[1]
            if marker == UInt8(ascii: "b") {
                return rest.count > 2 && rest[2...].allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") || $0 == underscore }
            }
            if marker == UInt8(ascii: "x") {
                return rest.count > 2 && rest[2...].allSatisfy { isHex($0) || $0 == underscore }
            }
            let digits = marker == UInt8(ascii: "o") ? rest[2...] : rest[1...]
            return !digits.isEmpty && digits.allSatisfy { ($0 >= 0x30 && $0 <= 0x37) || $0 == underscore }
        }
        guard first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") else { return false }
        let end = skip(rest, 1) { isDigit($0) || $0 == underscore }
        if end == rest.count { return true }
        return sexagesimalGroups(rest, end) == rest.count
    }

    /// Yams' float rule:
    /// `[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?`
    /// `| [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    static func isFloat(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        if [".nan", ".NaN", ".NAN"].contains(text) { return true }
        let signed = skipSign(bytes, 0)
        if [".inf", ".Inf", ".INF"].contains(String(decoding: bytes[signed...], as: UTF8.self)) { return true }
        let digitOrUnderscore: (UInt8) -> Bool = { isDigit($0) || $0 == underscore }
        // `\.[0-9_]+(?:[eE][-+][0-9]+)?`, unsigned.
        if bytes.first == UInt8(ascii: ".") {
            let end = skip(bytes, 1, while: digitOrUnderscore)
            guard end > 1 else { return false }
            if end == bytes.count { return true }
            guard bytes[end] == UInt8(ascii: "e") || bytes[end] == UInt8(ascii: "E"), end + 1 < bytes.count,
                  bytes[end + 1] == UInt8(ascii: "-") || bytes[end + 1] == UInt8(ascii: "+") else { return false }
            let digits = skip(bytes, end + 2, while: isDigit)
            return digits > end + 2 && digits == bytes.count
        }
        guard signed < bytes.count, isDigit(bytes[signed]) else { return false }
        let integer = skip(bytes, signed + 1, while: digitOrUnderscore)
        if integer == bytes.count { return true }
        // Sexagesimal: `[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*`.
        if bytes[integer] == UInt8(ascii: ":") {
            guard let groups = sexagesimalGroups(bytes, integer), groups < bytes.count, bytes[groups] == UInt8(ascii: ".") else { return false }
            return skip(bytes, groups + 1, while: digitOrUnderscore) == bytes.count
        }
        var index = integer
        if bytes[index] == UInt8(ascii: ".") { index = skip(bytes, index + 1, while: digitOrUnderscore) }
        if index == bytes.count { return true }
        guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return false }
        let exponent = skipSign(bytes, index + 1)
        let digits = skip(bytes, exponent, while: isDigit)
        return digits > exponent && digits == bytes.count
    }

    /// Yams' timestamp rule: `[0-9]{4}-[0-9]{2}-[0-9]{2}`, or
    /// `[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?`
    static func isTimestamp(_ bytes: [UInt8]) -> Bool {
        func digits(_ index: Int, min: Int, max: Int) -> Int? {
            let end = skip(bytes, index, while: isDigit)
            let count = end - index
            guard count >= min else { return nil }
            return count > max ? nil : end
        }
        func expect(_ index: Int?, _ ascii: Unicode.Scalar) -> Int? {
            guard let index, index < bytes.count, bytes[index] == UInt8(ascii: ascii) else { return nil }
            return index + 1
        }
        guard let year = digits(0, min: 4, max: 4), let monthStart = expect(year, "-"),
              let month = digits(monthStart, min: 1, max: 2), let dayStart = expect(month, "-"),
              let day = digits(dayStart, min: 1, max: 2) else { return false }
        if day == bytes.count { return month - monthStart == 2 && day - dayStart == 2 }
        let space: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        var index = day
        if bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t") {
            index += 1
        } else {
            let end = skip(bytes, index, while: space)
            guard end > index else { return false }
            index = end
        }
        guard let hour = digits(index, min: 1, max: 2), let minuteStart = expect(hour, ":"),
              let minute = digits(minuteStart, min: 2, max: 2), let secondStart = expect(minute, ":"),
              let second = digits(secondStart, min: 2, max: 2) else { return false }
        index = second
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") { index = skip(bytes, index + 1, while: isDigit) }
        if index == bytes.count { return true }
        index = skip(bytes, index, while: space)
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "Z") { return index + 1 == bytes.count }
        guard bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+"),
              let zoneHour = digits(index + 1, min: 1, max: 2) else { return false }
        if zoneHour == bytes.count { return true }
        guard let zoneMinuteStart = expect(zoneHour, ":"), let zoneMinute = digits(zoneMinuteStart, min: 2, max: 2) else { return false }
        return zoneMinute == bytes.count
    }
}

/// Reads scalars as Swift values the way Yams' `ScalarConstructible` conformances do (Yams 6.2.2, Constructor.swift).
enum ScalarReading {
    /// Yams' `Bool.construct`: any case of true/yes/on, false/no/off, unless the scalar is tagged `!!str`
    /// (quoted, or explicitly). A plain untagged `yEs` is true too.
    static func bool(_ scalar: Node.Scalar) -> Bool? {
        if scalar.explicitlyString { return nil }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Yams' integer construction: a plain (or style-less) scalar only; underscores dropped; `0x`, `0b`, `0o`
    /// and a bare leading `0` (octal) prefixes; `a:b:c` base 60; nil on overflow.
    static func integer<T: FixedWidthInteger>(_ scalar: Node.Scalar, as type: T.Type = T.self) -> T? {
        guard scalar.style == .any || scalar.style == .plain else { return nil }
        let withSign = scalar.string.filter { $0 != "_" }
        if withSign == "0" { return 0 }
        let negative = withSign.hasPrefix("-")
        guard T.isSigned || !negative else { return nil }
        let signPrefix = negative ? "-" : ""
        let hasSign = negative || withSign.hasPrefix("+")
        let digits = withSign.dropFirst(hasSign ? 1 : 0)
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where digits.hasPrefix(prefix) {
            return T(signPrefix + digits.dropFirst(prefix.count), radix: radix)
        }
        if digits.contains(":") { return sexagesimalInteger(withSign) }
        return T(withSign)
    }

    /// Yams' floating-point construction: a plain (or style-less) scalar only; `.inf`, `-.inf`, `.nan` in any
    /// case; underscores dropped; `a:b:c.d` base 60; else Swift's own parsing (`1e3`, `0x1p3`, `inf`).
    static func floating<T: BinaryFloatingPoint & LosslessStringConvertible>(_ scalar: Node.Scalar, as type: T.Type = T.self) -> T? {
        guard scalar.style == .any || scalar.style == .plain else { return nil }
        switch scalar.string.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default:
            let text = scalar.string.filter { $0 != "_" }
            if text.contains(":") { return sexagesimalFloating(text) }
            return T(text)
        }
    }

    /// `[-+]` and the `:`-separated parts of `text`.
    private static func sexagesimalParts(_ text: String) -> (negative: Bool, parts: [String]) {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") {
            negative = true
            body = body.dropFirst()
        } else if body.hasPrefix("+") {
            body = body.dropFirst()
        }
        return (negative, body.split(separator: ":", omittingEmptySubsequences: false).map(String.init))
    }

    /// `[-+]a:b:c` as a·60² + b·60 + c; nil when a part is not a decimal integer or on overflow (where Yams traps).
    static func sexagesimalInteger<T: FixedWidthInteger>(_ text: String) -> T? {
        let (negative, parts) = sexagesimalParts(text)
        var value: T = 0
        var base: T = 1
        for part in parts.reversed() {
            guard let digit = T(part, radix: 10) else { return nil }
            let (term, termOverflow) = digit.multipliedReportingOverflow(by: base)
            let (sum, sumOverflow) = value.addingReportingOverflow(term)
            let (next, baseOverflow) = base.multipliedReportingOverflow(by: 60)
            guard !termOverflow, !sumOverflow, !baseOverflow else { return nil }
            value = sum
            base = next
        }
        guard negative else { return value }
        let (negated, overflow) = T.zero.subtractingReportingOverflow(value)
        return overflow ? nil : negated
    }

    /// `[-+]a:b:c.d` as a·60² + b·60 + c.d; nil when a part is not a number.
    static func sexagesimalFloating<T: BinaryFloatingPoint & LosslessStringConvertible>(_ text: String) -> T? {
        let (negative, parts) = sexagesimalParts(text)
        var value: T = 0
        var base: T = 1
        for part in parts.reversed() {
            guard let digit = T(part) else { return nil }
            value += digit * base
            base *= 60
        }
        return negative ? -value : value
    }
}
