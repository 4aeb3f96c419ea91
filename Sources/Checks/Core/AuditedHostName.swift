import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
#endif

/// The audited system's host name, as reports and backup tools know it.
public enum AuditedHostName {
    /// On the live system (`root` is `/`): the kernel's name (`gethostname(2)`), the one restic
    /// (`os.Hostname`) and Borg (`socket.gethostname`, cut at the first dot) record in their
    /// snapshots. On an image (`--root`): the first line of its `/etc/hostname` that is neither empty
    /// nor a comment (hostname(5)), never the name of the machine running cyberctl.
    /// - Returns: nil when neither gives a name.
    public static func name(root: FileSystemRoot) -> String? {
        if root.isSystemRoot {
            var buffer = [CChar](repeating: 0, count: 256)
            if gethostname(&buffer, buffer.count) == 0 {
                let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !name.isEmpty { return name }
            }
        }
        guard let text = try? root.readText("/etc/hostname", limit: 4096) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let name = line.trimming(.whitespaces)
            if !name.isEmpty && !name.hasPrefix("#") { return name }
        }
        return nil
    }

    /// A DNS domain this host belongs to, and the file that says so.
    public struct Domain: Sendable, Equatable {
        /// Lowercased, without a trailing dot (`locmaria.fr`).
        public let name: String
        /// `host name`, `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf domain`, `/etc/resolv.conf search`.
        public let source: String

        public init(name: String, source: String) {
            self.name = name
            self.source = source
        }
    }

    /// The domains a short host name `name` is completed with on this system, as `hostname -f`
    /// and the resolver would: the name's own domain when it is fully qualified; the image's or
    /// system's `/etc/hostname` when it holds `name.domain`; the names on an `/etc/hosts` line that
    /// also names `name` (`127.0.1.1 mairie.locmaria.fr mairie`); `domain` and `search` in
    /// `/etc/resolv.conf` (resolv.conf(5)). Files read through `root`; unreadable ones give nothing.
    /// No DNS query is made.
    public static func domains(of name: String, root: FileSystemRoot) -> [Domain] {
        let name = name.lowercased().trimmingSuffixDot()
        let short = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        var found: [Domain] = []
        func add(_ domain: Substring, _ source: String) {
            let domain = String(domain).lowercased().trimmingSuffixDot()
            guard !domain.isEmpty, !found.contains(where: { $0.name == domain }) else { return }
            found.append(Domain(name: domain, source: source))
        }
        func domain(of fullName: Substring) -> Substring? {
            let lower = fullName.lowercased()
            guard lower.hasPrefix(short + "."), lower.count > short.count + 1 else { return nil }
            return fullName.dropFirst(short.count + 1)
        }
        if let dot = name.firstIndex(of: ".") { add(name[name.index(after: dot)...], "host name") }
        func lines(_ path: String) -> [Substring] {
            guard let text = try? root.readText(path, limit: 1 << 20) else { return [] }
            return text.split(whereSeparator: \.isNewline).map { line in
                line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            }
        }
        for line in lines("/etc/hostname") {
            let word = line.trimming(.whitespaces)
            if word.isEmpty { continue }
            if let rest = domain(of: Substring(word)) { add(rest, "/etc/hostname") }
            break
        }
        for line in lines("/etc/hosts") {
            let names = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst()
            guard names.contains(where: { $0.lowercased().trimmingSuffixDot() == short || $0.lowercased().trimmingSuffixDot() == name }) else { continue }
            for fullName in names { if let rest = domain(of: fullName) { add(rest, "/etc/hosts") } }
        }
        for line in lines("/etc/resolv.conf") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first, keyword == "domain" || keyword == "search" else { continue }
            for word in words.dropFirst() where word != "." { add(word, "/etc/resolv.conf \(keyword)") }
        }
        return found
    }

    /// Whether `recorded`, a host name a backup tool wrote, names the same host as one of `names`:
    /// equal ignoring case (and a trailing dot); a short recorded name matches a fully qualified
    /// name of ours on its first label (Borg records `hostname --short`); a fully qualified recorded
    /// name matches a short name of ours only completed with one of this host's own `domains`
    /// (`domains(of:root:)`), never any domain: `mairie.locmaria.fr` is another host for a
    /// `mairie` whose domain is not `locmaria.fr`.
    public static func matches(_ recorded: String, _ names: [String], domains: [String] = []) -> Bool {
        let recorded = recorded.lowercased().trimmingSuffixDot()
        guard !recorded.isEmpty else { return false }
        return names.contains { candidate in
            let name = candidate.lowercased().trimmingSuffixDot()
            if name == recorded { return true }
            switch (name.contains("."), recorded.contains(".")) {
            case (true, false):
                return name.split(separator: ".").first.map(String.init) == recorded
            case (false, true):
                return domains.contains { recorded == name + "." + $0.lowercased().trimmingSuffixDot() }
            default:
                return false
            }
        }
    }
}

extension String {
    /// The name without one trailing dot (`mairie.fr.` → `mairie.fr`).
    fileprivate func trimmingSuffixDot() -> String { hasSuffix(".") ? String(dropLast()) : self }
}
