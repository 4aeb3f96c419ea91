import Checks
import FoundationEssentials
import Model

extension InputError {
    /// Reads a whole input file the user named (profile, configuration), at most `limit` bytes. `what` names the
    /// file for a person, in both languages, without article: `LocalizedText(fr: "profil", en: "profile")`.
    /// - Throws: `.missing` (66) when it does not exist or cannot be opened, `.invalidData` (65) when it
    ///   is a folder, a device or too large — each message names the file and the reason.
    public static func readInput(_ path: String, what: InputNoun, limit: Int = 1 << 20) throws(InputError) -> [UInt8] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        do {
            return try FileSystemRoot.system.read(absolute, limit: limit)
        } catch {
            switch error {
            case .notFound:
                throw InputError(.missing, file: path, fr: "\(what.fr) introuvable", en: "\(what.en) not found")
            case .permissionDenied:
                throw InputError(
                    .missing, file: path, fr: "lecture impossible (\(what.fr)) : permission refusée",
                    en: "\(what.en) cannot be read: permission denied")
            case .isADirectory:
                throw InputError(
                    .invalidData, file: path, fr: "c'est un dossier : un fichier YAML (\(what.fr)) est attendu",
                    en: "is a folder: expected a YAML \(what.en) file")
            case .tooLarge(_, let bytes, let limit):
                throw InputError(
                    .invalidData, file: path, fr: "\(bytes) octets (\(what.fr)) : moins de \(limit) octets sont attendus",
                    en: "\(bytes) bytes: a \(what.en) is expected to be under \(limit) bytes")
            case .notARegularFile, .notADirectory, .tooManyLinks, .other:
                throw InputError(
                    .invalidData, file: path, fr: "lecture impossible (\(what.fr)) : \(Self.french(error))",
                    en: "cannot be read as a \(what.en): \(error)")
            }
        }
    }

    /// `error` in French: `FileAccessError`'s own description is English (Checks owns it).
    static func french(_ error: FileAccessError) -> String {
        switch error {
        case .notFound(let path): return "\(path) introuvable"
        case .permissionDenied(let path): return "\(path) : permission refusée"
        case .isADirectory(let path): return "\(path) est un dossier"
        case .notADirectory(let path): return "\(path) n'est pas un dossier"
        case .notARegularFile(let path): return "\(path) n'est pas un fichier ordinaire"
        case .tooLarge(let path, let bytes, let limit): return "\(path) : \(bytes) octets, plus que la limite de \(limit)"
        case .tooManyLinks(let path): return "\(path) : trop de liens symboliques"
        case .other(let path, let reason): return "\(path) : \(reason)"
        }
    }
}
