import FoundationGaps

/// A Debian package version, `[epoch:]upstream_version[-debian_revision]`, ordered exactly as dpkg
/// orders it (deb-version(7), dpkg `lib/dpkg/version.c` `dpkg_version_compare`).
///
/// - The epoch is compared as a number; a missing epoch is 0.
/// - Upstream version and revision are compared with the dpkg string algorithm: alternately a run
///   of non-digits, compared character by character with letters sorting before non-letters and
///   `~` sorting before anything, even the end of the string; then a run of digits compared as a
///   number.
/// - The revision is what follows the *last* hyphen; a missing revision compares as `""`, which dpkg
///   treats like `"0"`.
public struct DebianVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let epoch: Int
    public let upstream: String
    public let revision: String
    /// The text the version was read from.
    public let description: String

    /// Parses `text` leniently, as dpkg's comparison does (it warns but still compares odd versions).
    /// Returns nil only for an empty version or a non-numeric epoch.
    public init?(_ text: String) {
        let trimmed = text.trimming(.whitespaces)
        guard !trimmed.isEmpty else { return nil }
        var rest = Substring(trimmed)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":") {
            let digits = rest[..<colon]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
                return nil
            }
            epoch = value
            rest = rest[rest.index(after: colon)...]
        }
        if let hyphen = rest.lastIndex(of: "-") {
            upstream = String(rest[..<hyphen])
            revision = String(rest[rest.index(after: hyphen)...])
        } else {
            upstream = String(rest)
            revision = ""
        }
        self.epoch = epoch
        description = trimmed
    }

    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }

    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    public func hash(into hasher: inout Hasher) {
        // Versions that compare equal ("1.0" and "0:1.0", "1.0-0" and "1.0") must hash alike: hash the epoch only.
        hasher.combine(epoch)
    }

    /// -1, 0 or 1 as dpkg's `dpkg_version_compare`.
    public static func compare(_ lhs: DebianVersion, _ rhs: DebianVersion) -> Int {
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
        let upstream = compareParts(lhs.upstream, rhs.upstream)
        if upstream != 0 { return upstream }
        return compareParts(lhs.revision, rhs.revision)
    }

    /// Compares two version texts; nil when either cannot be parsed.
    public static func compare(_ lhs: String, _ rhs: String) -> Int? {
        guard let left = DebianVersion(lhs), let right = DebianVersion(rhs) else { return nil }
        return compare(left, right)
    }

    /// Weight of one character in dpkg's `order()`: `~` lowest, end of string 0, digits 0, letters
    /// their code, anything else its code + 256.
    @inline(__always)
    private static func order(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 0
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte)
        case UInt8(ascii: "~"): return -1
        default: return Int(byte) + 256
        }
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// dpkg's `verrevcmp`.
    static func compareParts(_ lhs: String, _ rhs: String) -> Int {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                var i = 0
                var j = 0
                while i < a.count || j < b.count {
                    var firstDifference = 0
                    while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                        let ac = i < a.count ? order(a[i]) : 0
                        let bc = j < b.count ? order(b[j]) : 0
                        if ac != bc { return ac < bc ? -1 : 1 }
                        i += 1
                        j += 1
                    }
                    while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
                    while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
                    while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
                        if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                        i += 1
                        j += 1
                    }
                    if i < a.count && isDigit(a[i]) { return 1 }
                    if j < b.count && isDigit(b[j]) { return -1 }
                    if firstDifference != 0 { return firstDifference < 0 ? -1 : 1 }
                }
                return 0
            }
        }
    }
}
