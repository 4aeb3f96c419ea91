import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import FoundationGaps
import NIS2
import Model
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// Output formats; machine formats go to stdout.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

extension Language: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

/// `--fail-on`: the lowest severity of a finding or an error that makes the command exit 1, or `never`
/// (for timers and pipelines that read the report instead of the exit code).
public enum FailThreshold: ExpressibleByArgument, Equatable {
    case severity(Severity)
    case never

    public init?(argument: String) {
        if argument == "never" { self = .never; return }
        guard let severity = Severity(rawValue: argument) else { return nil }
        self = .severity(severity)
    }

    public static var allValueStrings: [String] { Severity.allCases.map(\.rawValue) + ["never"] }

    /// What `--help` shows as the default: the argument as typed (`high`), not the Swift value.
    public var defaultValueDescription: String {
        switch self {
        case .never: return "never"
        case .severity(let severity): return severity.rawValue
        }
    }

    /// Whether a finding of this severity makes the command exit 1.
    public func isTripped(by severity: Severity) -> Bool {
        switch self {
        case .never: return false
        case .severity(let threshold): return severity >= threshold
        }
    }

    /// Whether `result` makes the command exit 1: a finding (warn, fail) or an error at or above the threshold. A
    /// rule that could not be checked is never a pass: a timer or pipeline reading the exit code must not take it
    /// for "all is well".
    public func isTripped(by result: CheckResult) -> Bool {
        (result.status.isFinding || result.status == .error) && isTripped(by: result.severity)
    }
}

/// Options shared by the commands that run checks.
public struct RunOptions: ParsableArguments {
    public init() {}

    @Option(help: "Format de sortie : table ou json (output format).")
    public var format: OutputFormat = .table

    @Option(help: "Langue des textes : fr ou en (language of what people read).")
    public var lang: Language = .fr

    @Option(name: .customLong("fail-on"), help: "Code de sortie 1 dès qu'un constat (warn, fail) ou un contrôle en erreur atteint cette gravité : info, low, medium, high, critical, ou never pour jamais (exit 1 when a finding or an error reaches this severity; never: always 0).")
    public var failOn: FailThreshold = .severity(.high)

    @Flag(help: "Affiche aussi les contrôles conformes dans le tableau (show passing results too).")
    public var all = false
}

/// Identity of the entity, overriding the agent configuration.
struct EntityOptions: ParsableArguments {
    @Option(name: .customLong("entity-name"), help: "Nom de la collectivité (name of the local authority).")
    var name: String?
    @Option(name: .customLong("entity-siren"), help: "SIREN de la collectivité, 9 chiffres, espaces admis : 212 900 195 (SIREN, 9 digits, spaces allowed).")
    var siren: String?
    @Option(name: .customLong("entity-insee"), help: "Code INSEE de la commune, 5 caractères (INSEE code).")
    var insee: String?
    @Option(name: .customLong("entity-kind"), help: "Type de collectivité : commune, cc, ca, cu, metropole, departement, region ou syndicat (kind of local authority).")
    var kind: String?
    @Option(name: .customLong("entity-population"), help: "Population municipale, en habitants (population, inhabitants).")
    var population: Int?
    @Option(name: .customLong("entity-departement"), help: "Code du département : 29, 2A, 974 (département code).")
    var departement: String?
    @Option(name: .customLong("entity-region"), help: "Nom de la région (region name).")
    var region: String?

    /// `base` with every option given on the command line applied; a problem is reported in `language`.
    func apply(to base: Entity, language: Language = .fr) throws(InputError) -> Entity {
        var entity = base
        if let name { entity.name = name }
        if let siren { entity.siren = Identifiers.normalizedSIREN(siren) }
        if let insee { entity.insee = insee }
        if let kind { entity.kind = kind }
        if let population { entity.population = population }
        if let departement { entity.departement = departement }
        if let region { entity.region = region }
        if let problem = entity.problems().first { throw InputError(.usage, fr: "entité : \(problem.fr)", en: "entity \(problem.en)") }
        return entity
    }
}

/// Refuses a numeric option outside `range` (exit 64, usage), naming the option, the value and the range
/// allowed, in `language` (French first with the English in parentheses for a command without `--lang`).
public func requireRange<T: Comparable & CustomStringConvertible>(
    _ value: T?, _ range: ClosedRange<T>, option: String, language: Language? = nil
) throws(ValidationError) {
    guard let value, !range.contains(value) else { return }
    let french = "\(option) \(value) : une valeur de \(range.lowerBound) à \(range.upperBound) est attendue."
    let english = "\(option) \(value): expected a value from \(range.lowerBound) to \(range.upperBound)."
    switch language {
    case .fr?: throw ValidationError(french)
    case .en?: throw ValidationError(english)
    case nil: throw ValidationError("\(french.dropLast()) (\(english.dropLast())).")
    }
}

/// Prints `error` on stderr and turns it into the documented exit code. The texts of the libraries' errors are
/// printed as they are; what this function adds follows `language` (the command's `--lang`), or is French first
/// with the English in parentheses when the command has no `--lang`.
public func failure(reporting error: any Error, language: Language? = nil) -> ExitCode {
    let message: String
    let code: Int32
    switch error {
    case let error as InputError:
        message = switch language {
        case let language?: error.description(in: language)
        case nil where error.englishMessage == error.message: error.description
        case nil: "\(error.description) (\(error.englishMessage))"
        }
        code = error.exitCode
    case let error as FileAccessError:
        message = error.description
        code = { if case .notFound = error { return 66 } else { return 74 } }()
    case let error as NIS2InputError:
        let text = switch language {
        case let language?: error.description(english: language == .en)
        case nil: error.bothLanguagesDescription
        }
        message = text.replacingAll("\n", with: "\ncyberctl: ")
        code = error.exitCode
    case let error as AtomicFileError:
        message = switch language {
        case let language?: error.description(in: language)
        case nil: "\(error.description(in: .fr)) (\(error.reason))"
        }
        code = 74
    case let error as VerificationFailure:
        message = switch language {
        case let language?: error.message(in: language)
        case nil: "\(error.text.fr) (\(error.text.en))"
        }
        code = 65
    default:
        message = switch language {
        case .fr?: "erreur interne : \(error)"
        case .en?: "internal error: \(error)"
        case nil: "erreur interne (internal error) : \(error)"
        }
        code = 70
    }
    writeStandard(Array("cyberctl: \(TerminalText.block(message))\n".utf8), to: STDERR_FILENO)
    return ExitCode(code)
}

/// Writes text to stdout, control and bidirectional formatting characters escaped (`TerminalText.block`:
/// text from signed reports and certificates never reaches the terminal raw; JSON keeps its value).
public func emit(_ text: String) {
    writeStandard(Array(TerminalText.block(text).utf8), to: STDOUT_FILENO)
}

/// Writes bytes (UTF-8 text already encoded, such as a report the agent itself wrote) to stdout.
public func emit(_ bytes: [UInt8]) {
    writeStandard(bytes, to: STDOUT_FILENO)
}

/// Writes a line to stderr (progress, notes), escaped as `emit` escapes.
public func note(_ text: String) {
    writeStandard(Array((TerminalText.block(text) + "\n").utf8), to: STDERR_FILENO)
}

/// Writes all of `bytes` to a standard stream (`STDOUT_FILENO`, `STDERR_FILENO`) with write(2). When the
/// reader has gone (`cyberctl scan --format json | head`), what it no longer reads is dropped and the run
/// goes on to finish its report file: SIGPIPE is ignored (`AgentCommand.main`), and EPIPE is not an error
/// here, where `FileHandle.write` would stop the process.
public func writeStandard(_ bytes: [UInt8], to descriptor: Int32) {
    _ = writeAll(bytes, to: descriptor)
}

/// True when stderr is a terminal (progress lines are drawn only then).
public var stderrIsTerminal: Bool { isatty(2) == 1 }

extension String {
    /// Padded with spaces to `width` characters for column output; never cut (codes must stay whole).
    /// Below `width` characters, spaces are added up to `width` UTF-16 units and a longer text is cut there,
    /// as Foundation's `padding(toLength:withPad:startingAt:)` did.
    public func padded(_ width: Int) -> String {
        guard count < width else { return self }
        let units = utf16.count
        if units <= width { return self + String(repeating: " ", count: width - units) }
        return String(decoding: Array(utf16.prefix(width)), as: UTF16.self)
    }
}
