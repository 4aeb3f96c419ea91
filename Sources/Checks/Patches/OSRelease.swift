import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// The fields of os-release(5) the patch check needs.
struct OSRelease {
    var id: String?
    var versionID: String?
    /// `VERSION_CODENAME` (`bookworm`); Debian testing and unstable have it but no `VERSION_ID`.
    var codename: String?
    var idLike: [String] = []
    /// `UBUNTU_CODENAME` / `DEBIAN_CODENAME`: the base release of a derived distribution (Linux Mint,
    /// Pop!_OS, LMDE…), whose security suite it uses.
    var ubuntuCodename: String?
    var debianCodename: String?
    var path: String?
    /// Why the file could not be read or says nothing usable; nil when `id` is known.
    var problem: LocalizedText?

    /// Debian, Ubuntu, or a system that says it is like them (`ID_LIKE`): its packages are dpkg's.
    var isDebianFamily: Bool {
        guard let id else { return false }
        return ["debian", "ubuntu"].contains(id) || idLike.contains { ["debian", "ubuntu"].contains($0) }
    }

    var isRHELFamily: Bool {
        guard let id else { return false }
        return ["rhel", "rocky", "almalinux", "centos", "fedora", "ol"].contains(id)
            || idLike.contains { ["rhel", "fedora", "centos"].contains($0) }
    }

    static func read(_ root: FileSystemRoot) -> OSRelease {
        var release = OSRelease()
        for path in ["/etc/os-release", "/usr/lib/os-release"] where root.exists(path) {
            release.path = path
            do {
                let text = try root.readText(path, limit: 65536)
                var fields: [String: String] = [:]
                for line in text.split(whereSeparator: \.isNewline) {
                    let trimmed = line.trimming(.whitespaces)
                    guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
                    var value = String(trimmed[trimmed.index(after: equals)...])
                    if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                        value = String(value.dropFirst().dropLast())
                    }
                    fields[String(trimmed[..<equals])] = value
                }
                release.id = fields["ID"].map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
                release.versionID = fields["VERSION_ID"]
                release.codename = fields["VERSION_CODENAME"].flatMap { $0.isEmpty ? nil : $0 }
                    // Older releases (Debian 8) name it only in VERSION: `8 (jessie)`.
                    ?? fields["VERSION"].flatMap { version in
                        guard let open = version.firstIndex(of: "("), let close = version.lastIndex(of: ")"), open < close else { return nil }
                        let inside = version[version.index(after: open)..<close].split(separator: " ").first.map { String($0).lowercased() }
                        return inside.flatMap { $0.isEmpty || !$0.allSatisfy(\.isLetter) ? nil : $0 }
                    }
                release.ubuntuCodename = fields["UBUNTU_CODENAME"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
                release.debianCodename = fields["DEBIAN_CODENAME"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
                release.idLike = (fields["ID_LIKE"] ?? "").split(separator: " ").map { String($0).lowercased() }
                if release.id == nil { release.problem = LocalizedText(
                    fr: "\(path) n'a pas de champ ID : la distribution est inconnue", en: "\(path) has no ID field: the distribution is unknown") }
            } catch {
                release.problem = error.localizedText
            }
            return release
        }
        release.problem = LocalizedText(
            fr: "ni /etc/os-release ni /usr/lib/os-release n'existe : la distribution est inconnue",
            en: "neither /etc/os-release nor /usr/lib/os-release exists: the distribution is unknown")
        return release
    }
}
