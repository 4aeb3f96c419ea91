/// rpm's version ordering (`rpmvercmp`, rpm `rpmio/rpmvercmp.c`) and `[epoch:]version-release`
/// comparison as `rpmVersionCompare` does it: epoch first (missing = 0), then version, then release.
///
/// Segments are maximal runs of digits or of letters; other characters only separate. Numeric
/// segments compare as numbers (leading zeros ignored) and beat alphabetic ones; `~` sorts before
/// anything (even the end), `^` after the end but before any further segment.
public enum RPMVersion {
    /// -1, 0 or 1 as `rpmvercmp(a, b)`.
    public static func compare(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        let one = Array(a.utf8)
        let two = Array(b.utf8)
        var i = 0
        var j = 0
        func alnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func isAlpha(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        let tilde = UInt8(ascii: "~")
        let caret = UInt8(ascii: "^")
        while i < one.count || j < two.count {
            while i < one.count && !alnum(one[i]) && one[i] != tilde && one[i] != caret { i += 1 }
            while j < two.count && !alnum(two[j]) && two[j] != tilde && two[j] != caret { j += 1 }
            let c1: UInt8? = i < one.count ? one[i] : nil
            let c2: UInt8? = j < two.count ? two[j] : nil
            if c1 == tilde || c2 == tilde {
                if c1 != tilde { return 1 }
                if c2 != tilde { return -1 }
                i += 1
                j += 1
                continue
            }
            if c1 == caret || c2 == caret {
                if c1 == nil { return -1 }
                if c2 == nil { return 1 }
                if c1 != caret { return 1 }
                if c2 != caret { return -1 }
                i += 1
                j += 1
                continue
            }
            guard let first = c1, c2 != nil else { break }
            var end1 = i
            var end2 = j
            let numeric = isDigit(first)
            if numeric {
                while end1 < one.count && isDigit(one[end1]) { end1 += 1 }
                while end2 < two.count && isDigit(two[end2]) { end2 += 1 }
            } else {
                while end1 < one.count && isAlpha(one[end1]) { end1 += 1 }
                while end2 < two.count && isAlpha(two[end2]) { end2 += 1 }
            }
            if end2 == j { return numeric ? 1 : -1 }
            if numeric {
                while i < end1 && one[i] == 48 { i += 1 }
                while j < end2 && two[j] == 48 { j += 1 }
                if end1 - i > end2 - j { return 1 }
                if end2 - j > end1 - i { return -1 }
            }
            let segment1 = one[i..<end1]
            let segment2 = two[j..<end2]
            if segment1.lexicographicallyPrecedes(segment2) { return -1 }
            if segment2.lexicographicallyPrecedes(segment1) { return 1 }
            i = end1
            j = end2
        }
        if i >= one.count && j >= two.count { return 0 }
        return i >= one.count ? -1 : 1
    }

    /// An `[epoch:]version[-release]` triple, compared as rpm's `rpmverCmp` does.
    public struct EVR: Sendable, Equatable, Comparable, CustomStringConvertible {
        public var epoch: Int
        public var version: String
        /// nil when the text has no hyphen. With equal versions, a missing release sorts before any
        /// release, as rpm 4.18's `rpm.vercmp` orders them (packages always have one).
        public var release: String?

        public init(epoch: Int = 0, version: String, release: String?) {
            self.epoch = epoch
            self.version = version
            self.release = release
        }

        /// Parses `[epoch:]version[-release]` as rpm's `parseEVR`: the epoch is the leading digits when a
        /// colon follows them (empty means 0), the release follows the last hyphen.
        public init(_ text: String) {
            var rest = Substring(text)
            epoch = 0
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            if rest.dropFirst(digits.count).first == ":" {
                epoch = Int(digits) ?? 0
                rest = rest.dropFirst(digits.count + 1)
            }
            if let hyphen = rest.lastIndex(of: "-") {
                version = String(rest[..<hyphen])
                release = String(rest[rest.index(after: hyphen)...])
            } else {
                version = String(rest)
                release = nil
            }
        }

        public var description: String {
            (epoch > 0 ? "\(epoch):" : "") + version + (release.map { "-\($0)" } ?? "")
        }

        public static func compare(_ lhs: EVR, _ rhs: EVR) -> Int {
            if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
            let version = RPMVersion.compare(lhs.version, rhs.version)
            if version != 0 { return version }
            switch (lhs.release, rhs.release) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let left?, let right?): return RPMVersion.compare(left, right)
            }
        }

        public static func < (lhs: EVR, rhs: EVR) -> Bool { compare(lhs, rhs) < 0 }
        public static func == (lhs: EVR, rhs: EVR) -> Bool { compare(lhs, rhs) == 0 }
    }
}
