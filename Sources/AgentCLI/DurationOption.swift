import ArgumentParser
import Checks
import Model

/// The value of a duration option as typed (`60d`, `60j`, `8w`, `8sem`, `24h`, `90min`), kept as text until the
/// command knows its `--lang`; a `DurationOption` reads it with `DurationText`, the one parser of every duration
/// option (issue 18).
public struct DurationArgument: ExpressibleByArgument, Sendable, Equatable {
    public let text: String

    public init(_ text: String) { self.text = text }
    public init?(argument: String) { text = argument }

    /// What `--help` shows as the default: the text as a person would type it.
    public var defaultValueDescription: String { text }
}

/// What one duration option accepts and how it is reported: its name, the unit of its range (and of a number typed
/// without a unit, when `bareNumber`), its range, and examples for the error message.
public struct DurationOption: Sendable {
    /// `--expiring`.
    public let name: String
    /// The unit of the range, of a bare number and of `wholeValue`.
    public let unit: DurationText.Unit
    /// Whether a number without a unit counts in `unit` (`--expiring 60`); otherwise only `0` may lack one.
    public let bareNumber: Bool
    /// Largest value, in `unit`.
    public let maximum: Double
    /// Whether zero is allowed (a window) or not (a timeout must be greater than 0).
    public let zeroAllowed: Bool
    /// Examples shown in the error, most usual first (`60j, 8sem, 24h`).
    public let examples: String
    /// Whether the value must be a whole number of `unit` (read with `wholeValue`).
    public var whole = false

    public init(name: String, unit: DurationText.Unit, bareNumber: Bool, maximum: Double, zeroAllowed: Bool, examples: String, whole: Bool = false) {
        self.name = name
        self.unit = unit
        self.bareNumber = bareNumber
        self.maximum = maximum
        self.zeroAllowed = zeroAllowed
        self.examples = examples
        self.whole = whole
    }

    /// A window in whole days: `--expiring`, `--warning-days`, `--critical-days` (0 to 36,500 days).
    public static func days(_ name: String, examples: String = "30, 30j, 30d, 4sem, 4w", maximum: Double = 36_500, zeroAllowed: Bool = true) -> DurationOption {
        DurationOption(name: name, unit: .days, bareNumber: true, maximum: maximum, zeroAllowed: zeroAllowed, examples: examples, whole: true)
    }

    /// A timeout in seconds, greater than 0 (`--timeout 60`, `--timeout 1min`).
    public static func seconds(_ name: String, maximum: Double) -> DurationOption {
        DurationOption(name: name, unit: .seconds, bareNumber: true, maximum: maximum, zeroAllowed: false, examples: "10, 10s, 90s, 2min")
    }

    /// Seconds in `argument`. Throws a `ValidationError` (exit 64) naming the option, what was typed, the range and
    /// the accepted forms, in `language` (both, French first, when nil: a command without `--lang`).
    public func seconds(_ argument: DurationArgument, language: Language?) throws(ValidationError) -> Double {
        guard let seconds = DurationText.seconds(argument.text, bareUnit: bareNumber ? unit : nil),
              zeroAllowed ? seconds >= 0 : seconds > 0, seconds <= maximum * unit.seconds
        else { throw error(argument, language: language) }
        return seconds
    }

    /// Whole units of `unit` in `argument` (`24h` is 1 day; `36h` is refused for a number of days).
    public func wholeValue(_ argument: DurationArgument, language: Language?) throws(ValidationError) -> Int {
        let seconds = try seconds(argument, language: language)
        let count = seconds / unit.seconds
        guard count.rounded() == count else { throw error(argument, language: language) }
        return Int(count)
    }

    /// The message of a refused value.
    public func error(_ argument: DurationArgument, language: Language?) -> ValidationError {
        let french = message(argument, english: false)
        let english = message(argument, english: true)
        switch language {
        case .fr?: return ValidationError(french)
        case .en?: return ValidationError(english)
        case nil: return ValidationError("\(french) (\(english))")
        }
    }

    public func message(_ argument: DurationArgument, english: Bool) -> String {
        let maximumText = maximum.rounded() == maximum ? String(Int(maximum)) : String(maximum)
        let unitName: String
        switch unit {
        case .seconds: unitName = english ? "seconds" : "secondes"
        case .minutes: unitName = english ? "minutes" : "minutes"
        case .hours: unitName = english ? "hours" : "heures"
        case .days: unitName = english ? "days" : "jours"
        case .weeks: unitName = english ? "weeks" : "semaines"
        }
        if english {
            let range = zeroAllowed ? "from 0 to \(maximumText) \(unitName)" : "greater than 0 and at most \(maximumText) \(unitName)"
            let bare = bareNumber ? "a bare number counts \(unitName)" : "a unit is required except for 0"
            return "\(name) \"\(argument.text)\": expected a duration such as \(examples), \(whole ? "a whole number of \(unitName) " : "")\(range); "
                + "units: \(DurationText.unitsList(english: true)); \(bare)."
        }
        let range = zeroAllowed ? "de 0 à \(maximumText) \(unitName)" : "supérieure à 0 et d'au plus \(maximumText) \(unitName)"
        let bare = bareNumber ? "un nombre seul compte en \(unitName)" : "l'unité est obligatoire sauf pour 0"
        return "\(name) \"\(argument.text)\" : une durée est attendue, par exemple \(examples), \(whole ? "en \(unitName) entiers, " : "")\(range) ; "
            + "unités : \(DurationText.unitsList(english: false)) ; \(bare)."
    }
}

extension DurationOption {
    /// The units as help texts name them, French.
    public static let unitsHelpFrench = "unités s, min, h, j ou d, sem ou w"
    /// The units as help texts name them, English.
    public static let unitsHelpEnglish = "units s, min, h, d or j, w or sem"
}

/// `--warning-days` and `--critical-days` of `cert` and `tls`: the certificate expiry thresholds, as durations
/// (`30`, `30j`, `4sem`), in whole days.
public struct ExpiryThresholdOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("warning-days"), help: "Avertissement sous cette durée restante sur un certificat : 30, 30j, 30d, 4sem, 4w ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (warn under this much time left: 30, 30d, 4w; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
    public var warning = DurationArgument("30")

    @Option(name: .customLong("critical-days"), help: "Échec sous cette durée restante sur un certificat : 14, 14j, 14d, 2sem, 2w ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (fail under this much time left: 14, 14d, 2w; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
    public var critical = DurationArgument("14")

    /// The thresholds in whole days (0 to 36,500 each, critical ≤ warning).
    /// - Throws: `ValidationError` (exit 64) naming the option at fault, in `language`.
    public func thresholds(language: Language) throws(ValidationError) -> CertificateRules.ExpiryThresholds {
        let warningDays = try DurationOption.days("--warning-days").wholeValue(warning, language: language)
        let criticalDays = try DurationOption.days("--critical-days").wholeValue(critical, language: language)
        guard criticalDays <= warningDays else {
            throw ValidationError(
                language == .en ? "Please give 0 <= --critical-days <= --warning-days." : "Il faut 0 <= --critical-days <= --warning-days.")
        }
        return .init(warningDays: warningDays, criticalDays: criticalDays)
    }
}
