import FoundationEssentials

/// Finds the data files shipped with cyberctl — profiles, NIS 2 tables — for an installed binary and
/// for a development build.
///
/// Search order for a folder `relative` of `Profiles/` (empty for the profiles themselves):
/// `<prefix>/share/cyberctl/profiles/<relative>` next to `<prefix>/bin/cyberctl`, then
/// `<checkout>/Profiles/<relative>` for a binary built in a checkout (`<checkout>/.build/<config>/cyberctl`).
/// The binary is located through argv[0] and through `/proc/self/exe`, since argv[0] may be a bare
/// name found through PATH.
public enum ShippedData {
    /// Existing folders, in search order, without duplicates.
    public static func folders(relative: String = "", executable: String = CommandLine.arguments.first ?? "") -> [String] {
        var executables = [executable]
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            executables.append(running)
        }
        let suffix = relative.isEmpty ? "" : "/" + relative
        var candidates: [String] = []
        for executable in executables where !executable.isEmpty {
            let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
            candidates.append(binary.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/cyberctl/profiles").path + suffix)
            var folder = binary.deletingLastPathComponent()
            for _ in 0..<6 {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                    candidates.append(folder.appendingPathComponent("Profiles").path + suffix)
                    break
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        var seen = Set<String>()
        return candidates.filter { FileManager.default.fileExists(atPath: $0) && seen.insert($0).inserted }
    }
}
