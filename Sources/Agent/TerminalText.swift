import Foundation

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
        // Nearly every text is clean: one pass over the bytes decides. Every unsafe scalar starts with a
        // byte below 0x20, 0x7F, or the lead bytes 0xC2 (C1), 0xD8 (U+061C) or 0xE2 (U+20xx).
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if isUnsafe(scalar) {
                if keepingLineBreaks {
                    if scalar == "\n" || scalar == "\t" || (scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n") {
                        out.append(scalar)
                        continue
                    }
                }
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
