import FoundationEssentials
import Model

/// The live system's mounts (`/proc/self/mountinfo`), to name the filesystem behind a device
/// number in `backup.separate-storage` evidence (`/dev/sdb1`, `ext4`, mounted on `/mnt/sauvegardes`;
/// `nas:/export`, `nfs4`). Read on a live system only: an image's /proc is not its mount table.
struct MountTable: Sendable {
    struct Mount: Sendable, Equatable {
        let mountPoint: String
        let type: String
        let source: String
    }

    /// `major:minor` → the first mount of that device.
    let mounts: [String: Mount]

    /// Parses mountinfo lines: `id parent major:minor root mount-point options … - type source options`.
    init(mountinfo text: String) {
        var mounts: [String: Mount] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator + 2 < fields.count else { continue }
            let device = fields[2]
            guard mounts[device] == nil else { continue }
            mounts[device] = Mount(mountPoint: Self.unescape(fields[4]), type: fields[separator + 1], source: Self.unescape(fields[separator + 2]))
        }
        self.mounts = mounts
    }

    /// The live system's table, or nil when it cannot be read or the audit is of an image.
    static func live(_ root: FileSystemRoot) -> MountTable? {
        // /proc files report a size of 0, so they are read to the end rather than through `root.read`.
        guard root.isSystemRoot, let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        return MountTable(mountinfo: text)
    }

    func evidence(forDevice device: UInt64) -> JSONValue? {
        guard let mount = mounts[BackupRules.deviceText(device)] else { return nil }
        return .object(["mountPoint": .string(mount.mountPoint), "type": .string(mount.type), "source": .string(mount.source)])
    }

    /// mountinfo writes space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`.
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == 0x5C, index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
