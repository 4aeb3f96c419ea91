import FoundationEssentials

/// Text that came from elsewhere (a signed report, a certificate, an HTTP header) made safe to print on
/// a terminal.
///
/// A signed report proves who sent it, not that its strings are harmless: an ESC sequence in a host name
/// could clear the screen or repaint the lines above a refusal, a CR could overwrite a line, a
/// right-to-left override could reverse what a line seems to say. Every such character is replaced by
/// its `\uXXXX` escape (lower-case hexadecimal), visible to whoever reads and lossless: in JSON output,
/// where these characters can only stand inside strings, the escape is the same string value (RFC 8259,
/// section 7).
///
/// Replaced: C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F, which terminals
/// read as 8-bit CSI, OSC …), the bidirectional formatting characters (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069: Unicode UAX #9, the "Trojan Source" characters, CVE-2021-42574) and
/// the line and paragraph separators (U+2028, U+2029).
public enum TerminalText {
    /// `text` as one line: every character above replaced, line feeds and tabs included.
    public static func line(_ text: String) -> String {
        escape(text, keepingLineBreaks: false)
    }

    /// `text` as a block of lines: as `line`, except that line feeds, tabs and CR LF line ends (CSV) stay.
    public static func block(_ text: String) -> String {
        escape(text, keepingLineBreaks: true)
    }

    /// Whether `scalar` is replaced (see the type's list).
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func escape(_ text: String, keepingLineBreaks: Bool) -> String {
        var text = text
        return text.withUTF8 { escape(utf8: $0, keepingLineBreaks: keepingLineBreaks) } ?? text
    }

    /// The escaped text, or nil when nothing needed escaping. Works on the UTF-8 bytes (a Swift string is
    /// valid UTF-8): safe runs are copied whole, each unsafe sequence is recognised by its bytes.
    static func escape(utf8 bytes: UnsafeBufferPointer<UInt8>, keepingLineBreaks: Bool) -> String? {
        var out: [UInt8] = []
        var changed = false
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            // Most bytes cannot start an unsafe sequence: skip them without further tests.
            guard byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xD8 || byte == 0xE2 else {
                index += 1
                continue
            }
            var length = 0
            var value: UInt32 = 0
            if byte < 0x20 || byte == 0x7F {
                if keepingLineBreaks && (byte == 0x0A || byte == 0x09) {
                    index += 1
                    continue
                }
                if keepingLineBreaks && byte == 0x0D && index + 1 < count && bytes[index + 1] == 0x0A {
                    index += 2
                    continue
                }
                (length, value) = (1, UInt32(byte))
            } else if byte == 0xC2, index + 1 < count, (0x80...0x9F).contains(bytes[index + 1]) {
                (length, value) = (2, UInt32(bytes[index + 1]))  // C1: U+0080–U+009F
            } else if byte == 0xD8, index + 1 < count, bytes[index + 1] == 0x9C {
                (length, value) = (2, 0x061C)
            } else if byte == 0xE2, index + 2 < count {
                let second = bytes[index + 1], third = bytes[index + 2]
                if second == 0x80 && (third == 0x8E || third == 0x8F || (0xA8...0xAE).contains(third)) {
                    (length, value) = (3, 0x2000 + UInt32(third - 0x80))  // U+200E, U+200F, U+2028–U+202E
                } else if second == 0x81 && (0xA6...0xA9).contains(third) {
                    (length, value) = (3, 0x2040 + UInt32(third - 0x80))  // U+2066–U+2069
                }
            }
            if length == 0 {
                index += 1
                continue
            }
            if !changed {
                out.reserveCapacity(count + 16)
                changed = true
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            appendEscape(value, to: &out)
            index += length
            runStart = index
        }
        guard changed else { return nil }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        return String(decoding: out, as: UTF8.self)
    }

    /// `\uXXXX`, lower-case hexadecimal.
    static func appendEscape(_ value: UInt32, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        out += [UInt8(ascii: "\\"), UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int((value >> UInt32(shift)) & 0xF)]) }
    }
}
