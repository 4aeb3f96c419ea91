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

    /// Whether `recorded`, a host name a backup tool wrote, names the same host as one of `names`:
    /// equal ignoring case, or, when one of the two is a short name, equal first labels (Borg records
    /// `hostname --short`, restic the kernel's name, which may be fully qualified).
    public static func matches(_ recorded: String, _ names: [String]) -> Bool {
        let recorded = recorded.lowercased()
        guard !recorded.isEmpty else { return false }
        return names.contains { candidate in
            let name = candidate.lowercased()
            if name == recorded { return true }
            guard !name.contains(".") || !recorded.contains(".") else { return false }
            return name.split(separator: ".").first == recorded.split(separator: ".").first
        }
    }
}
