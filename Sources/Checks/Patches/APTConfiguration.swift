import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// apt's configuration as files give it, for the few options the patch check reads
/// (`APT::Default-Release`, `APT::Periodic::*`).
///
/// apt reads `/etc/apt/apt.conf.d` files whose names have only letters, digits, `_`, `-` and `.`, with
/// no extension or `.conf` (apt.conf(5)), in lexical order, then `/etc/apt/apt.conf`; a later value
/// wins. A file or folder that exists but cannot be read is a problem (apt itself stops with
/// "E: Opening configuration file … Permission denied"): options read from the rest may be wrong.
struct APTConfiguration: Sendable {
    static let directory = "/etc/apt/apt.conf.d"
    static let mainFile = "/etc/apt/apt.conf"

    /// Files read, in apt's order, with their text.
    private(set) var files: [(path: String, text: String)] = []
    /// What could not be read: file and reason.
    private(set) var problems: [LocalizedText] = []

    static func read(_ root: FileSystemRoot) -> APTConfiguration {
        var configuration = APTConfiguration()
        var paths: [String] = []
        do {
            let names = try root.entries(directory) ?? []
            paths = names.filter { name in
                name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
                    && (!name.contains(".") || name.hasSuffix(".conf"))
            }.map { directory + "/" + $0 }
        } catch {
            configuration.problems.append(error.localizedText + LocalizedText(fr: " : la configuration d'apt ne peut être lue", en: ": apt's configuration cannot be read"))
        }
        if root.isPresent(mainFile) {
            paths.append(mainFile)
        }
        for path in paths {
            do {
                configuration.files.append((path, try root.readText(path, limit: 1 << 20)))
            } catch {
                configuration.problems.append(error.localizedText + LocalizedText(fr: " : la configuration d'apt ne peut être lue", en: ": apt's configuration cannot be read"))
            }
        }
        return configuration
    }

    /// The last value given to `option` (flat `A::B::C "value";` syntax), with the file that gives it.
    func value(_ option: String) -> (value: String, file: String)? {
        var found: (String, String)?
        for (path, text) in files {
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimming(.whitespaces)
                guard !trimmed.hasPrefix("//"), !trimmed.hasPrefix("#"), trimmed.lowercased().hasPrefix(option.lowercased()) else { continue }
                let rest = trimmed.dropFirst(option.count)
                guard rest.first == " " || rest.first == "\t" || rest.first == "\"" else { continue }
                let parts = rest.split(separator: "\"")
                if let value = parts.first(where: { !$0.trimming(.whitespaces).isEmpty }) {
                    found = (String(value), path)
                }
            }
        }
        return found
    }
}
