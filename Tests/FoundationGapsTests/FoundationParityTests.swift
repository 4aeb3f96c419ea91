import Foundation
import FoundationGaps
import Testing

/// FoundationGaps gives what the agent's modules took from full Foundation; each helper is compared here with
/// Foundation itself (tests may import it) on the inputs the agent meets and on edge cases, so outputs stay
/// byte-identical (issue 19).
@Suite struct FoundationParityTests {
    static let texts = [
        "", " ", "\t", "abc", "  abc  ", "\tabc\t", " a b ", "\u{00A0}nbsp\u{00A0}", "\u{2003}em\u{3000}", "\u{202F}x\u{202F}",
        "line\n", "\r\nline\r\n", "\u{85}nel\u{2028}", "\u{2029}", " \n\t\r ", "\"quoted\"", "'single'", "[opts]", "\"'mixed'\"",
        "e\u{301}  ", "  \u{301}x", "é", "日本 ", "🇫🇷 ", " \u{FEFF}bom",
    ]

    @Test("trimming(.whitespaces / .whitespacesAndNewlines / charactersIn:) equals trimmingCharacters(in:)")
    func trimming() {
        for text in Self.texts {
            #expect(text.trimming(.whitespaces) == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text.trimming(.whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
            for set in ["\"", "\"'", "[]"] {
                #expect(text.trimming(TrimmedScalars(charactersIn: set)) == text.trimmingCharacters(in: CharacterSet(charactersIn: set)))
            }
            let sub = Substring(text)
            #expect(sub.trimming(.whitespaces) == sub.trimmingCharacters(in: .whitespaces))
        }
        // Every space separator of Unicode, one by one.
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(scalar) + "x" + String(scalar)
            #expect(text.trimming(.whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines), "U+\(String(value, radix: 16))")
            #expect(text.trimming(.whitespaces) == text.trimmingCharacters(in: .whitespaces), "U+\(String(value, radix: 16))")
        }
    }

    @Test("replacingAll(_:with:) equals replacingOccurrences(of:with:), \\n inside \\r\\n included")
    func replacing() {
        let cases: [(String, String, String)] = [
            ("a\nb\r\nc", "\n", "\ncyberctl: "), ("2026-03-29T12:05:00Z", "-", ""), ("12:05:00", ":", ""), ("it's", "'", "'\\''"),
            ("1day 2days", "days", "d"), ("aaa", "aa", "b"), ("x", "", "y"), ("", "a", "b"), ("a | b", "|", "¦"), ("${config_directory}/x", "${config_directory}", "/etc/postfix"),
            ("n_a-b", "_", " "), ("A : B", " : ", ": "), ("~/", "~", "~0"), ("é e\u{301}", "e", "E"), ("\\d+", "\\d", "[0-9]"),
        ]
        for (text, target, replacement) in cases {
            #expect(text.replacingAll(target, with: replacement) == text.replacingOccurrences(of: target, with: replacement), "\(text.debugDescription)")
        }
        #expect("mirror://deb.debian.org".byteRange(of: "://").map { "mirror://deb.debian.org"[$0.upperBound...] } == "deb.debian.org")
        #expect("no scheme".byteRange(of: "://") == nil)
    }

    @Test("zeroPadded equals String(format:) with %0Nd, %0Nx and %0NX")
    func zeroPadding() {
        for value in [0, 1, 9, 10, 42, 99, 100, 255, 999, 1000, 4095, 65_535, 2026, 123_456, -1, -42] {
            #expect(value.zeroPadded(2) == String(format: "%02d", value))
            #expect(value.zeroPadded(4) == String(format: "%04d", value))
            if value >= 0 {
                #expect(value.zeroPadded(2, radix: 16) == String(format: "%02x", value))
                #expect(value.zeroPadded(4, radix: 16, uppercase: true) == String(format: "%04X", value))
            }
        }
        for byte in UInt8.min...UInt8.max {
            #expect(byte.zeroPadded(2, radix: 16, uppercase: true) == String(format: "%02X", byte))
            #expect("%" + byte.zeroPadded(2, radix: 16) == String(format: "%%%02x", byte))
        }
    }

    @Test("PathText equals NSString's lastPathComponent and deletingLastPathComponent")
    func paths() {
        // Not "///x///": it crashes NSString itself (swift-corelibs-foundation, Swift 6.3).
        for path in ["", "/", "//", "/tmp", "/tmp/", "/tmp//x.pem", "/etc/ssl/x.pem", "x.pem", "a/b", "a/b/", "a//b//", "/a/b/../c", "./x", "/etc/letsencrypt/live/*/fullchain.pem", "relative/dir/", "///"] {
            #expect(PathText.lastComponent(path) == (path as NSString).lastPathComponent, "\(path)")
            #expect(PathText.deletingLastComponent(path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    @Test("Folding equals folding(options: [.caseInsensitive, .diacriticInsensitive]) on French regions and Latin letters")
    func folding() {
        var texts = ["Île-de-France", "Provence-Alpes-Côte d'Azur", "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "La Réunion", "Guyane", "Hauts-de-France", "Corse", "ÎLE DE FRANCE", "e\u{301}te\u{301}"]
        for value in UInt32(0xC0)...0x17F where value != 0xD7 && value != 0xF7 { texts.append(String(Unicode.Scalar(value)!)) }
        for text in texts {
            let expected = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "fr_FR"))
            #expect(Folding.caseAndAccentInsensitive(text).filter { $0.isLetter || $0.isNumber } == expected.filter { $0.isLetter || $0.isNumber }, "\(text)")
        }
    }

    @Test("Grouping equals formatted(.number) in fr_FR and en_GB")
    func grouping() {
        for value in [0, 7, 999, 1000, 3200, 30_000, 123_456, 1_234_567, 2_165_423] {
            #expect(Grouping.digits(value, french: true) == value.formatted(.number.locale(Locale(identifier: "fr_FR"))), "\(value)")
            #expect(Grouping.digits(value, french: false) == value.formatted(.number.locale(Locale(identifier: "en_GB"))), "\(value)")
        }
    }

    @Test("ByteCount.file equals ByteCountFormatter with countStyle .file")
    func byteCounts() {
        var values: [Int64] = [0, 1, 2, 999, 1000, 1499, 1500, 2500, 3500, 9999, 99_500, 999_499, 999_500, 1_000_000, 1_050_000, 1_250_000,
                               1_350_000, 1_234_567, 9_949_999, 9_950_000, 999_949_999, 999_950_000, 1_000_000_000, 1_235_000_000, 1_245_000_000,
                               12_345_678_901, 999_999_999_999, 1_234_567_890_123, 2_500_000_000_000_000, Int64.max]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<3000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Int64(seed >> 1) >> Int64(seed % 60))
        }
        for value in values {
            #expect(ByteCount.file(value) == ByteCountFormatter.string(fromByteCount: value, countStyle: .file), "\(value)")
        }
    }

    @Test("InternetDate equals DateFormatter on Release and Retry-After dates")
    func internetDates() {
        let release = DateFormatter()
        release.locale = Locale(identifier: "en_US_POSIX")
        release.timeZone = TimeZone(identifier: "UTC")
        func foundationRelease(_ text: String) -> Date? {
            for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, dd MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm:ss zzz"] {
                release.dateFormat = format
                if let date = release.date(from: text) { return date }
            }
            return nil
        }
        for text in ["Sat, 28 Nov 2026 08:21:13 UTC", "Sat, 10 Aug 2024 09:00:00 UTC", "Sun, 1 Mar 2026 00:00:00 UTC", "Mon, 02 Feb 2026 23:59:59 +0100",
                     "Tue, 03 Mar 2026 12:00:00 -0230", "Wed, 04 Mar 2026 12:00:00 GMT", "not a date", "", "Sat, 28 Nov 2026 25:00:00 UTC"] {
            #expect(InternetDate.parse(text) == foundationRelease(text), "\(text)")
        }
        let http = DateFormatter()
        http.locale = Locale(identifier: "en_US_POSIX")
        http.timeZone = TimeZone(identifier: "GMT")
        http.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for text in ["Wed, 21 Oct 2026 07:28:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "Wed, 21 Oct 2026 07:28:00 UTC", "120"] {
            #expect(InternetDate.parse(text, gmtOnly: true) == http.date(from: text), "\(text)")
        }
    }

    @Test("Lock serialises, DetachedThread runs its work")
    func lockAndThreads() async {
        final class Counter: @unchecked Sendable {
            let lock = Lock()
            var value = 0
        }
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        DetachedThread.start(name: "cyberctl-test") {
                            for _ in 0..<10_000 { counter.lock.withLock { counter.value += 1 } }
                            continuation.resume()
                        }
                    }
                }
            }
        }
        #expect(counter.value == 80_000)
    }
}
