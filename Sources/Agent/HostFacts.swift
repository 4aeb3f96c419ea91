import Checks
import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
#endif

/// Facts that identify the audited host in a report.
public struct HostFacts: Codable, Sendable, Equatable {
    public var hostname: String
    public var os: OperatingSystem
    /// Running kernel release (`uname -r`); nil when auditing an image with `--root`.
    public var kernel: String?
    /// `/etc/machine-id`, when present.
    public var machineID: String?

    /// From `/etc/os-release` (or `/usr/lib/os-release`).
    public struct OperatingSystem: Codable, Sendable, Equatable {
        /// `ID` (`debian`, `ubuntu`, `rocky`); `unknown` when there is no os-release.
        public var id: String
        /// `VERSION_ID` (`12`, `24.04`).
        public var version: String?
        /// `PRETTY_NAME`.
        public var name: String?
        /// `VERSION_CODENAME` (`bookworm`).
        public var codename: String?

        public init(id: String, version: String? = nil, name: String? = nil, codename: String? = nil) {
            self.id = id
            self.version = version
            self.name = name
            self.codename = codename
        }
    }

    public init(hostname: String, os: OperatingSystem, kernel: String?, machineID: String?) {
        self.hostname = hostname
        self.os = os
        self.kernel = kernel
        self.machineID = machineID
    }

    /// Reads the facts through `root`: the live host's own name and kernel when root is `/`,
    /// otherwise what the image's files say.
    public static func collect(root: FileSystemRoot) -> HostFacts {
        // The same name the backup check counts snapshots for.
        let hostname = AuditedHostName.name(root: root) ?? "unknown"
        var kernel: String?
        if root.isSystemRoot {
            var names = utsname()
            if uname(&names) == 0 {
                kernel = withUnsafeBytes(of: &names.release) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
            }
        }
        let release = (try? root.readText("/etc/os-release", limit: 65536))
            ?? (try? root.readText("/usr/lib/os-release", limit: 65536)) ?? ""
        let fields = parseOSRelease(release)
        let machineID = (try? root.readText("/etc/machine-id", limit: 4096))?
            .trimming(.whitespacesAndNewlines)
        return HostFacts(
            hostname: hostname,
            os: OperatingSystem(
                id: fields["ID"] ?? "unknown", version: fields["VERSION_ID"], name: fields["PRETTY_NAME"],
                codename: fields["VERSION_CODENAME"]),
            kernel: kernel,
            machineID: machineID?.isEmpty == false ? machineID : nil)
    }

    /// `KEY=value` lines of os-release(5); quotes removed, comments skipped.
    public static func parseOSRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimming(.whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var value = String(trimmed[trimmed.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            fields[String(trimmed[..<equals])] = value
        }
        return fields
    }
}
