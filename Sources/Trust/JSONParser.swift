import FoundationEssentials
import FoundationGaps
import Model

/// A strict RFC 8259 JSON parser over raw bytes, for documents that must be judged exactly as signed.
///
/// Stricter than `JSONSerialization` where it matters for trust: duplicate object keys are refused
/// (two readers could otherwise disagree on a report's SIREN), strings must be valid UTF-8,
/// nesting is bounded, and errors give a line and column. Numbers without fraction or exponent that
/// fit in `Int` become `.int`, every other number `.double`.
public struct JSONParser {
    /// Why a document is not JSON: 1-based line and column of the offending byte, and what was expected.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        /// What is wrong, in English.
        public let message: String
        /// What is wrong, in French.
        public let messageFr: String
        public var description: String { "line \(line), column \(column): \(message)" }
        /// `ligne L, colonne C : …` in French, `line L, column C: …` in English.
        public func description(in language: Language) -> String {
            language == .en ? description : "ligne \(line), colonne \(column) : \(messageFr)"
        }
    }

    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 128

    /// Parses one JSON value filling the whole of `bytes` (surrounding whitespace allowed; a UTF-8 BOM is not).
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(SyntaxError) -> JSONValue in
            var parser = Cursor(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error(fr: "données inattendues après la valeur JSON", en: "unexpected data after the JSON value") }
            return value
        }
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(fr: String, en message: String, at position: Int? = nil) -> SyntaxError {
            let end = min(position ?? index, bytes.count)
            var line = 1
            var lineStart = 0
            for offset in 0..<end where bytes[offset] == 0x0A {
                line += 1
                lineStart = offset + 1
            }
            // Columns count characters (UTF-8 lead bytes), not bytes.
            var column = 1
            for offset in lineStart..<end where bytes[offset] & 0xC0 != 0x80 { column += 1 }
            return SyntaxError(line: line, column: column, message: message, messageFr: fr)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        func describeCurrent(french: Bool = false) -> String {
            guard index < bytes.count else { return french ? "fin des données" : "end of data" }
            let byte = bytes[index]
            if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return (french ? "octet 0x" : "byte 0x") + byte.zeroPadded(2, radix: 16, uppercase: true)
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
            guard index < bytes.count else { throw error(fr: "une valeur est attendue, trouvé : fin des données", en: "expected a value, found end of data") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error(fr: "une valeur est attendue, trouvé : \(describeCurrent(french: true))", en: "expected a value, found \(describeCurrent())")
            }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let length = word.utf8CodeUnitCount
            guard index + length <= bytes.count else { throw error(fr: "« \(word) » attendu", en: "expected \(word)") }
            for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
                throw error(fr: "« \(word) » attendu", en: "expected \(word)")
            }
            index += length
        }

        mutating func object(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth <= JSONParser.maximumDepth else { throw error(fr: "imbrication de plus de \(JSONParser.maximumDepth) niveaux", en: "nesting deeper than \(JSONParser.maximumDepth) levels") }
            index += 1
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(8)
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error(fr: "un nom de membre entre guillemets droits est attendu, trouvé : \(describeCurrent(french: true))", en: "expected a member name in double quotes, found \(describeCurrent())")
                }
                let keyStart = index
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error(fr: "« : » attendu après le nom de membre, trouvé : \(describeCurrent(french: true))", en: "expected ':' after member name, found \(describeCurrent())") }
                index += 1
                skipWhitespace()
                let member = try value(depth: depth)
                guard members.updateValue(member, forKey: key) == nil else {
                    throw error(fr: "nom de membre en double « \(key) »", en: "duplicate member name \"\(key)\"", at: keyStart)
                }
                skipWhitespace()
                guard index < bytes.count else { throw error(fr: "« , » ou « } » attendu, trouvé : fin des données", en: "expected ',' or '}', found end of data") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw error(fr: "« , » ou « } » attendu, trouvé : \(describeCurrent(french: true))", en: "expected ',' or '}', found \(describeCurrent())") }
                index += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth <= JSONParser.maximumDepth else { throw error(fr: "imbrication de plus de \(JSONParser.maximumDepth) niveaux", en: "nesting deeper than \(JSONParser.maximumDepth) levels") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw error(fr: "« , » ou « ] » attendu, trouvé : fin des données", en: "expected ',' or ']', found end of data") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw error(fr: "« , » ou « ] » attendu, trouvé : \(describeCurrent(french: true))", en: "expected ',' or ']', found \(describeCurrent())") }
                index += 1
                return .array(elements)
            }
        }

        mutating func string() throws(SyntaxError) -> String {
            let start = index
            index += 1
            // Fast path: no escapes.
            var scan = index
            var ascii = true
            while scan < bytes.count {
                let byte = bytes[scan]
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: bytes[index..<scan])
                    // Decoding replaces invalid sequences with U+FFFD: equal bytes mean the input was valid UTF-8.
                    let text = String(decoding: raw, as: UTF8.self)
                    guard ascii || text.utf8.elementsEqual(raw) else { throw error(fr: "chaîne qui n'est pas de l'UTF-8 valide", en: "string is not valid UTF-8", at: start) }
                    index = scan + 1
                    return text
                }
                if byte >= 0x80 { ascii = false }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw error(fr: "caractère de contrôle dans une chaîne (il doit être échappé)", en: "control character in a string (escape it)", at: scan) }
                scan += 1
            }
            guard scan < bytes.count else { throw error(fr: "chaîne non terminée", en: "unterminated string", at: start) }
            var utf8: [UInt8] = Array(bytes[index..<scan])
            index = scan
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    let text = String(decoding: utf8, as: UTF8.self)
                    guard text.utf8.elementsEqual(utf8) else { throw error(fr: "chaîne qui n'est pas de l'UTF-8 valide", en: "string is not valid UTF-8", at: start) }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw error(fr: "échappement non terminé", en: "unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): utf8.append(0x22)
                    case UInt8(ascii: "\\"): utf8.append(0x5C)
                    case UInt8(ascii: "/"): utf8.append(0x2F)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error(fr: "demi-codet haut isolé dans un échappement \\u", en: "lone high surrogate in \\u escape")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error(fr: "demi-codet bas non valide dans un échappement \\u", en: "invalid low surrogate in \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw error(fr: "demi-codet bas isolé dans un échappement \\u", en: "lone low surrogate in \\u escape")
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error(fr: "échappement \\u non valide", en: "invalid \\u escape") }
                        UTF8.encode(unicode) { utf8.append($0) }
                    default:
                        throw error(fr: "échappement non valide \\\(Character(Unicode.Scalar(escape)))", en: "invalid escape \\\(Character(Unicode.Scalar(escape)))", at: index - 2)
                    }
                default:
                    if byte < 0x20 { throw error(fr: "caractère de contrôle dans une chaîne (il doit être échappé)", en: "control character in a string (escape it)") }
                    utf8.append(byte)
                    index += 1
                }
            }
            throw error(fr: "chaîne non terminée", en: "unterminated string", at: start)
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error(fr: "4 chiffres hexadécimaux attendus après \\u", en: "expected 4 hexadecimal digits after \\u") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw error(fr: "4 chiffres hexadécimaux attendus après \\u", en: "expected 4 hexadecimal digits after \\u")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func number() throws(SyntaxError) -> JSONValue {
            let start = index
            func isDigit(_ position: Int) -> Bool {
                position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error(fr: "un chiffre est attendu", en: "expected a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if isDigit(index) { throw error(fr: "zéros en tête interdits dans un nombre", en: "leading zeros are not allowed in numbers", at: start) }
            } else {
                while isDigit(index) { index += 1 }
            }
            var integral = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard isDigit(index) else { throw error(fr: "un chiffre est attendu après le point décimal", en: "expected a digit after the decimal point") }
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard isDigit(index) else { throw error(fr: "un chiffre est attendu dans l'exposant", en: "expected a digit in the exponent") }
                while isDigit(index) { index += 1 }
            }
            if integral && index - start <= 18 {
                // Fast path: at most 18 digits always fit in Int.
                var value = 0
                var position = start
                let negative = bytes[position] == UInt8(ascii: "-")
                if negative { position += 1 }
                while position < index {
                    value = value &* 10 &+ Int(bytes[position] &- UInt8(ascii: "0"))
                    position += 1
                }
                return .int(negative ? -value : value)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let value = Int(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else { throw error(fr: "nombre hors limites", en: "number out of range", at: start) }
            return .double(value)
        }
    }
}
