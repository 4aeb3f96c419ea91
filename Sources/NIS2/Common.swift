import FoundationEssentials
import FoundationGaps
import InputFiles
import Model
import ShippedData
import YAML

/// A problem in an input file of the NIS 2 data (answers, questionnaire, scope rules), at a line
/// when known. The command line reports each as `file:line: message` and exits 65 (bad data) or
/// 66 (missing).
public struct NIS2InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One problem: 1-based line when known, and what is wrong and what was expected.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let line: Int?
        /// What is wrong, in French.
        public let message: String
        /// What is wrong, in English.
        public let englishMessage: String

        /// A problem in both languages (there is no single-text initialiser: a message is never in one language only).
        public init(line: Int?, fr: String, en: String) {
            self.line = line
            self.message = fr
            self.englishMessage = en
        }

        /// The message in French, or English when `english`.
        public func text(english: Bool) -> String { english ? englishMessage : message }

        public var description: String { line.map { "\($0): \(message)" } ?? message }
    }

    /// True when the file does not exist (66), false for bad content (65) or a read failure.
    public let missing: Bool
    public let file: String
    /// Every problem found, in file order.
    public let problems: [Problem]

    public init(file: String, missing: Bool = false, problems: [Problem]) {
        self.file = file
        self.missing = missing
        self.problems = problems
    }

    public init(file: String, line: Int? = nil, fr: String, en: String) {
        self.init(file: file, problems: [Problem(line: line, fr: fr, en: en)])
    }

    /// One `file:line: message` line per problem, in English: the form the organisational check quotes in its
    /// `reason` (Sources/Checks words its reasons in English until they carry both languages). What a person
    /// reads on the command line is `description(english:)` in the command's language.
    public var description: String { description(english: true) }

    /// One `file:line: message (English message)` line per problem, for a command without `--lang`.
    public var bothLanguagesDescription: String {
        problems.map { problem in
            let location = problem.line.map { "\(file):\($0)" } ?? file
            return problem.message == problem.englishMessage
                ? "\(location): \(problem.message)" : "\(location): \(problem.message) (\(problem.englishMessage))"
        }.joined(separator: "\n")
    }

    /// One `file:line: message` line per problem, in English when `english`, else in French.
    public func description(english: Bool) -> String {
        problems.map { problem in
            let text = problem.text(english: english)
            return problem.line.map { "\(file):\($0): \(text)" } ?? "\(file): \(text)"
        }.joined(separator: "\n")
    }

    /// sysexits code: 66 for a missing file, 65 for bad data.
    public var exitCode: Int32 { missing ? 66 : 65 }
}

/// Strict YAML reading with line numbers, for the NIS 2 data files.
enum YAMLReader {
    /// Largest NIS 2 file read (answers, scope rules, questionnaire, CSIRT directory): 1 MiB, the bound of
    /// profiles and agent configurations (a complete answers file is about 20 KB).
    static let maximumBytes = 1 << 20

    /// Reads a whole file as UTF-8 text: a regular file of at most `maximumBytes` (`RegularFile`: a FIFO
    /// or device is refused without blocking).
    static func readText(path: String, what: LocalizedText) throws(NIS2InputError) -> String {
        let data: [UInt8]
        do {
            data = try RegularFile.read(path, limit: maximumBytes)
        } catch {
            switch error {
            case .notFound: throw NIS2InputError(file: path, missing: true, problems: [.init(line: nil, fr: "\(what.fr) introuvable", en: "\(what.en) not found")])
            case .tooLarge(let bytes, let limit):
                throw NIS2InputError(file: path, fr: "\(bytes) octets ou plus (\(what.fr)) : moins de \(limit) octets sont attendus", en: "\(bytes) bytes or more: a \(what.en) is expected to be under \(limit) bytes")
            default: throw NIS2InputError(file: path, fr: "lecture impossible (\(what.fr)) : \(error.frenchDescription)", en: "cannot read \(what.en): \(error)")
            }
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw NIS2InputError(file: path, fr: "\(what.fr) : ce n'est pas du texte UTF-8", en: "\(what.en) is not UTF-8 text")
        }
        return text
    }

    /// Parses `text` into a node tree (`YAML.compose`, within `YAMLLimits.default`); an empty document is an error.
    static func compose(_ text: String, file: String) throws(NIS2InputError) -> Node {
        let node: Node?
        do {
            node = try YAML.compose(yaml: text)
        } catch {
            throw NIS2InputError(file: file, line: error.mark?.line, fr: error.messageFr, en: error.messageEn)
        }
        guard let node else {
            throw NIS2InputError(file: file, fr: "document vide : un dictionnaire YAML est attendu", en: "empty document: expected a YAML mapping")
        }
        return node
    }

    /// The key names of a mapping, each with its line.
    static func keys(_ mapping: Node.Mapping) -> [(name: String, line: Int?, value: Node)] {
        mapping.map { (name: $0.key.scalar?.string ?? "", line: $0.key.mark?.line, value: $0.value) }
    }

    /// The first key of `mapping` not in `allowed`, as a problem.
    static func unknownKeys(_ mapping: Node.Mapping, allowed: [String], context: LocalizedText) -> [NIS2InputError.Problem] {
        keys(mapping).filter { !allowed.contains($0.name) }.map {
            .init(line: $0.line, fr: "clé inconnue « \($0.name) » (\(context.fr)) ; clés possibles : \(allowed.joined(separator: ", "))", en: "unknown key \"\($0.name)\" in \(context.en); expected one of: \(allowed.joined(separator: ", "))")
        }
    }

    /// A plain scalar's text, or nil for a mapping, a sequence or a null.
    static func string(_ node: Node?) -> String? {
        guard let scalar = node?.scalar else { return nil }
        if scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return nil }
        return scalar.string
    }

    /// The text value of `key` in `mapping`: nil when absent or null; for a list or a mapping, nil and a
    /// problem at the key's line naming it as `label` (never dropped in silence: a file rewritten from what
    /// was read must not lose it).
    static func text(in mapping: Node.Mapping, _ key: String, label: String, problems: inout [NIS2InputError.Problem]) -> String? {
        guard let (name, value) = mapping.first(where: { $0.key.scalar?.string == key }) else { return nil }
        if value.scalar == nil {
            problems.append(.init(line: name.mark?.line, fr: "\(label) : un texte est attendu, trouvé \(value.sequence != nil ? "une liste" : "un dictionnaire")", en: "\(label): expected a text value, found \(value.sequence != nil ? "a list" : "a mapping")"))
            return nil
        }
        return string(value)
    }

    /// A sequence of scalars as strings; a single scalar is a one-element list.
    static func strings(_ node: Node?) -> [String]? {
        guard let node else { return nil }
        if let sequence = node.sequence { return sequence.compactMap { string($0) } }
        return string(node).map { [$0] }
    }

    /// Reads `{fr: …, en: …}`; a single string is French only, copied to English.
    static func localized(_ node: Node?) -> LocalizedText? {
        guard let node else { return nil }
        if let text = string(node) { return LocalizedText(fr: text, en: text) }
        guard let mapping = node.mapping, let fr = string(mapping["fr"]) else { return nil }
        return LocalizedText(fr: fr, en: string(mapping["en"]) ?? fr)
    }
}

/// Calendar days (`2026-03-12`) as used in the answers file, compared in UTC.
public struct CalendarDay: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD`; nil for anything else or an impossible date (2025-02-30).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard (1...12).contains(month), (1...31).contains(day),
              let date = Self.calendar.date(from: components),
              Self.calendar.component(.day, from: date) == day else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC day of `date`.
    public init(_ date: Date) {
        let components = Self.calendar.dateComponents([.year, .month, .day], from: date)
        year = components.year!
        month = components.month!
        day = components.day!
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar
    }()

    /// Midnight UTC of the day.
    public var date: Date {
        Self.calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    public func days(until other: CalendarDay) -> Int {
        Int((other.date.timeIntervalSince(date) / 86_400).rounded())
    }

    /// This day plus `days`.
    public func adding(days: Int) -> CalendarDay { CalendarDay(date.addingTimeInterval(Double(days) * 86_400)) }

    public var description: String { "\(year.zeroPadded(4))-\(month.zeroPadded(2))-\(day.zeroPadded(2))" }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Finds the data files shipped with cyberctl (`Profiles/nis2/`), the way profiles are found:
/// `<prefix>/share/cyberctl/profiles/nis2` next to `<prefix>/bin/cyberctl`, then the checkout's
/// `Profiles/nis2` for a development build. `CYBERCTL_NIS2_DATA` overrides both.
public enum NIS2DataLocator {
    public static let questionnaireFile = "questionnaire.yaml"
    public static let scopeFile = "scope.yaml"

    /// Existing folders, in search order.
    public static func searchDirectories(executable: String = CommandLine.arguments.first ?? "") -> [String] {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["CYBERCTL_NIS2_DATA"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        candidates += ShippedData.folders(relative: "nis2", executable: executable)
        var seen = Set<String>()
        return candidates.filter { FileManager.default.fileExists(atPath: $0) && seen.insert($0).inserted }
    }

    /// Path of the shipped file `name`.
    /// - Throws: `NIS2InputError` (missing) listing where it looked.
    public static func locate(_ name: String) throws(NIS2InputError) -> String {
        let folders = searchDirectories()
        for folder in folders where FileManager.default.fileExists(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        throw NIS2InputError(
            file: name, missing: true,
            problems: [.init(line: nil, fr: "introuvable dans \(folders.isEmpty ? "les dossiers de données NIS 2 (aucun trouvé)" : folders.joined(separator: ", "))", en: "not found in \(folders.isEmpty ? "any NIS 2 data folder" : folders.joined(separator: ", "))")])
    }
}
