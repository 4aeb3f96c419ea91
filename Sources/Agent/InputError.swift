import Checks
import Foundation

/// Bad or missing input, with where it is and what was expected. The command line maps the kind to
/// a sysexits code (README, "Exit codes").
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Wrong command-line usage (64).
        case usage
        /// The data is malformed: profile, report, configuration (65).
        case invalidData
        /// The input does not exist (66).
        case missing
        /// Reading or writing failed (74).
        case io
    }

    public let kind: Kind
    /// The file concerned, when there is one.
    public let file: String?
    /// 1-based line (and column) in `file`, when known.
    public let line: Int?
    public let column: Int?
    /// The message in French (the default language), or the only text a thrower gave.
    public let message: String
    /// The message in English, when the thrower gave both languages (`init(_:file:line:column:fr:en:)`).
    public let englishMessage: String?

    /// An error with one text, shown whatever the language asked.
    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.englishMessage = nil
    }

    /// An error in both languages: the command shows the one of its `--lang` (`description(in:)`).
    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil, fr: String, en: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = fr
        self.englishMessage = en
    }

    /// `file:line:column: message` in French, the form editors and compilers use.
    public var description: String { description(in: .fr) }

    /// `file:line:column: message` in `language`.
    public func description(in language: Language) -> String {
        var location = file ?? ""
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let text = language == .en ? englishMessage ?? message : message
        return location.isEmpty ? text : "\(location): \(text)"
    }

    /// sysexits code for this kind.
    public var exitCode: Int32 {
        switch kind {
        case .usage: return 64
        case .invalidData: return 65
        case .missing: return 66
        case .io: return 74
        }
    }
}

extension InputError {
    /// Reads a whole input file the user named (profile, configuration), at most `limit` bytes.
    /// - Throws: `.missing` (66) when it does not exist or cannot be opened, `.invalidData` (65) when it
    ///   is a folder, a device or too large — each message names the file and the reason.
    public static func readInput(_ path: String, what: String, limit: Int = 1 << 20) throws(InputError) -> [UInt8] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        do {
            return try FileSystemRoot.system.read(absolute, limit: limit)
        } catch {
            switch error {
            case .notFound: throw InputError(.missing, file: path, "\(what) not found")
            case .permissionDenied: throw InputError(.missing, file: path, "\(what) cannot be read: permission denied")
            case .isADirectory: throw InputError(.invalidData, file: path, "is a folder: expected a YAML \(what) file")
            case .tooLarge(_, let bytes, let limit):
                throw InputError(.invalidData, file: path, "\(bytes) bytes: a \(what) is expected to be under \(limit) bytes")
            case .notARegularFile, .notADirectory, .tooManyLinks, .other:
                throw InputError(.invalidData, file: path, "cannot be read as a \(what): \(error)")
            }
        }
    }
}
