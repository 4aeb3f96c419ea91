/// The path rules of Foundation's `NSString` (`lastPathComponent`, `deletingLastPathComponent`), which
/// FoundationEssentials lacks. Both first collapse repeated slashes and drop a trailing slash, as
/// `NSString` does; nothing touches the file system.
public enum PathText {
    /// The path with runs of "/" collapsed into one and a trailing "/" dropped ("/" stays "/").
    static func fixingSlashes(_ path: String) -> String {
        var out = ""
        out.reserveCapacity(path.utf8.count)
        var previousSlash = false
        for scalar in path.unicodeScalars {
            if scalar == "/" {
                if previousSlash { continue }
                previousSlash = true
            } else {
                previousSlash = false
            }
            out.unicodeScalars.append(scalar)
        }
        if out.utf8.count > 1, out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// Whether `path` is two slashes or more and nothing else: NSString answers "" for both methods.
    static func onlySlashes(_ path: String) -> Bool { path.utf8.count > 1 && path.utf8.allSatisfy { $0 == UInt8(ascii: "/") } }

    /// The last component: "/tmp/x.pem" → "x.pem", "/tmp/" → "tmp", "/" → "/", "" → "" (and "//" → "", as NSString).
    public static func lastComponent(_ path: String) -> String {
        if onlySlashes(path) { return "" }
        let fixed = fixingSlashes(path)
        guard fixed.utf8.count > 1, let slash = fixed.lastIndex(of: "/") else { return fixed }
        return String(fixed[fixed.index(after: slash)...])
    }

    /// The path without its last component: "/tmp/x.pem" → "/tmp", "/tmp" → "/", "x.pem" → "", "/" → "/"
    /// (and "//" → "", as NSString).
    public static func deletingLastComponent(_ path: String) -> String {
        if onlySlashes(path) { return "" }
        let fixed = fixingSlashes(path)
        if fixed == "/" || fixed.isEmpty { return fixed }
        guard let slash = fixed.lastIndex(of: "/") else { return "" }
        if slash == fixed.startIndex { return "/" }
        return String(fixed[..<slash])
    }
}
