import FoundationEssentials
import Model

/// Durations as people type them, in French or English units, read the same way by every duration option of
/// the command line, the agent configuration and the profiles (issue 18).
///
/// A duration is one or more `<number><unit>` groups, spaces allowed between and inside groups
/// (`60d`, `60j`, `8w`, `8sem`, `24h`, `90min`, `1h30m`, `1 j 12 h`, `1,5h`). Units, case-insensitive:
///
/// | unit      | French                              | English                     |
/// |-----------|-------------------------------------|-----------------------------|
/// | second    | `s`, `sec`, `seconde(s)`            | `s`, `sec`, `second(s)`     |
/// | minute    | `m`, `min`, `minute(s)`             | `m`, `min`, `minute(s)`     |
/// | hour      | `h`, `heure(s)`                     | `h`, `hour(s)`              |
/// | day       | `j`, `jour(s)`                      | `d`, `day(s)`               |
/// | week      | `sem`, `semaine(s)`                 | `w`, `week(s)`              |
///
/// Months and years are not accepted: their length varies, and `m` already means minutes (as in systemd).
/// A bare number (`60`) is read in the unit the caller names, or refused when the caller names none; `0` alone is
/// zero in any unit. A decimal separator may be `.` or `,` (`1,5h`).
public enum DurationText {
    /// The units of a bare number, and the granularity of an option.
    public enum Unit: Sendable, Equatable {
        case seconds, minutes, hours, days, weeks

        /// Length of one unit, in seconds.
        public var seconds: Double {
            switch self {
            case .seconds: return 1
            case .minutes: return 60
            case .hours: return 3600
            case .days: return 86_400
            case .weeks: return 7 * 86_400
            }
        }
    }

    /// Every unit name accepted, lower-case, with its unit.
    public static let unitNames: [String: Unit] = [
        "s": .seconds, "sec": .seconds, "seconde": .seconds, "secondes": .seconds, "second": .seconds, "seconds": .seconds,
        "m": .minutes, "min": .minutes, "minute": .minutes, "minutes": .minutes,
        "h": .hours, "heure": .hours, "heures": .hours, "hour": .hours, "hours": .hours,
        "j": .days, "jour": .days, "jours": .days, "d": .days, "day": .days, "days": .days,
        "sem": .weeks, "semaine": .weeks, "semaines": .weeks, "w": .weeks, "week": .weeks, "weeks": .weeks,
    ]

    /// The accepted units as a person reads them in help texts and errors.
    public static func unitsList(english: Bool) -> String {
        english
            ? "s, min (or m), h, d (or j), w (or sem)"
            : "s, min (ou m), h, j (ou d), sem (ou w)"
    }

    /// Seconds in `text`, or nil when it is not a duration (see the type's documentation). `bareUnit` is the unit of
    /// a number typed without one; nil refuses such a number unless it is zero. Never negative; may be zero.
    public static func seconds(_ text: String, bareUnit: Unit?) -> Double? {
        let spaces: Set<Character> = [" ", "\t", "\u{00A0}", "\u{202F}"]
        let characters = Array(text.lowercased())
        var index = 0
        func skipSpaces() { while index < characters.count, spaces.contains(characters[index]) { index += 1 } }
        skipSpaces()
        guard index < characters.count else { return nil }
        var total = 0.0
        var groups = 0
        while index < characters.count {
            var number = ""
            while index < characters.count, characters[index].isASCII, characters[index].isNumber || characters[index] == "." || characters[index] == "," {
                number.append(characters[index] == "," ? "." : characters[index])
                index += 1
            }
            guard !number.isEmpty, let value = Double(number), value.isFinite else { return nil }
            skipSpaces()
            var name = ""
            while index < characters.count, characters[index].isLetter { name.append(characters[index]); index += 1 }
            skipSpaces()
            if name.isEmpty {
                // A bare number: only alone.
                guard groups == 0, index == characters.count else { return nil }
                if let bareUnit { return value * bareUnit.seconds }
                return value == 0 ? 0 : nil
            }
            guard let unit = unitNames[name] else { return nil }
            total += value * unit.seconds
            groups += 1
        }
        return total.isFinite ? total : nil
    }

    /// A duration as people read it, rounded to what matters: minutes under an hour (`45 min`), hours under two
    /// days (`26 h`), else days and hours with the unit of `language` (`3 j 4 h` in French, `3 d 4 h` in English;
    /// `20 j`, `20 d`). Negative durations read as `0 min`.
    public static func describe(_ seconds: TimeInterval, in language: Language) -> String {
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(max(0, total / 60)) min" }
        if total < 48 * 3600 { return "\(total / 3600) h" }
        let days = total / 86_400
        let hours = (total % 86_400) / 3600
        let day = language == .fr ? "j" : "d"
        return hours == 0 ? "\(days) \(day)" : "\(days) \(day) \(hours) h"
    }

    /// Whole units of `granularity` in `text` (`24h` is 1 day, `8sem` is 56 days), or nil when `text` is not a
    /// duration or not a whole number of them (`36h` in days).
    public static func whole(_ text: String, in granularity: Unit, bareUnit: Unit?) -> Int? {
        guard let seconds = seconds(text, bareUnit: bareUnit) else { return nil }
        let count = seconds / granularity.seconds
        guard count <= Double(Int32.max), count.rounded() == count else { return nil }
        return Int(count)
    }
}
