import Checks
import FoundationEssentials

/// Times shown to a person (messages, errors, logs meant for people): Europe/Paris local time with its
/// offset, `2026-03-29 14:05:00 +02:00`, so a reader in France reads their own clock and the instant stays
/// exact. Machine formats (JSON, file names, the store) keep UTC ISO 8601 (`ISO8601`).
public enum PeopleTime {
    /// Europe/Paris, the legal time of metropolitan France.
    public static let paris = TimeZone(identifier: "Europe/Paris")!

    /// `2026-03-29 14:05:00 +02:00`.
    public static func string(from date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = paris
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = paris.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d %@%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, sign, minutes / 60, minutes % 60)
    }

    /// `2026-03-29`: the Europe/Paris calendar day of `date`.
    public static func day(_ date: Date) -> String { String(string(from: date).prefix(10)) }

    /// A UTC ISO 8601 time as a machine format holds it (`2026-03-29T12:05:00Z`), shown as `string(from:)`
    /// shows it; a text that is not such a time is returned as it is.
    public static func string(iso: String) -> String { ISO8601.date(from: iso).map(string(from:)) ?? iso }

    /// The Europe/Paris calendar day of a UTC ISO 8601 time, or the text as it is.
    public static func day(iso: String) -> String { ISO8601.date(from: iso).map(day) ?? iso }
}
