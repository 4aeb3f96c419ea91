import FoundationEssentials
import FoundationGaps

/// Times shown to a person (messages, errors, logs meant for people): Europe/Paris local time with its
/// offset, `2026-03-29 14:05:00 +02:00`, so a reader in France reads their own clock and the instant stays
/// exact. Machine formats (JSON, file names, the store) keep UTC ISO 8601 (`ISO8601`).
///
/// Europe/Paris is computed here, not read from the time zone database: without ICU (the agent links
/// FoundationEssentials only, issue 19) `TimeZone(identifier: "Europe/Paris")` is nil. The rule is the one
/// in force in metropolitan France since 1996: CET (UTC+1), and CEST (UTC+2) from the last Sunday of March
/// at 01:00 UTC to the last Sunday of October at 01:00 UTC (Directive 2000/84/EC, articles 2 and 3, which
/// kept the 1996 dates of the eighth directive 97/44/EC). Times before 1996 get the same rule (France then
/// ended summer time in September): no report or certificate the agent shows dates from then.
public enum PeopleTime {
    /// Europe/Paris's offset from UTC at `date`, in seconds: 7200 in summer time, else 3600.
    public static func parisOffset(at date: Date) -> Int {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down))
        let year = civil(days: floorDivide(seconds, 86_400)).year
        let start = lastSunday(month: 3, year: year) * 86_400 + 3600
        let end = lastSunday(month: 10, year: year) * 86_400 + 3600
        return seconds >= start && seconds < end ? 7200 : 3600
    }

    /// `2026-03-29 14:05:00 +02:00` (seconds truncated towards the past).
    public static func string(from date: Date) -> String {
        let offset = parisOffset(at: date)
        let local = Int((date.timeIntervalSince1970).rounded(.down)) + offset
        let days = floorDivide(local, 86_400)
        let second = local - days * 86_400
        let (year, month, day) = civil(days: days)
        let minutes = offset / 60
        return "\(year.zeroPadded(4))-\(month.zeroPadded(2))-\(day.zeroPadded(2)) "
            + "\((second / 3600).zeroPadded(2)):\((second / 60 % 60).zeroPadded(2)):\((second % 60).zeroPadded(2)) "
            + "+\((minutes / 60).zeroPadded(2)):\((minutes % 60).zeroPadded(2))"
    }

    /// `2026-03-29`: the Europe/Paris calendar day of `date`.
    public static func day(_ date: Date) -> String { String(string(from: date).prefix(10)) }

    /// A UTC ISO 8601 time as a machine format holds it (`2026-03-29T12:05:00Z`), shown as `string(from:)`
    /// shows it; a text that is not such a time is returned as it is.
    public static func string(iso: String) -> String { ISO8601.date(from: iso).map(string(from:)) ?? iso }

    /// The Europe/Paris calendar day of a UTC ISO 8601 time, or the text as it is.
    public static func day(iso: String) -> String { ISO8601.date(from: iso).map(day) ?? iso }

    /// Days since 1970-01-01 of the last Sunday of `month` (1–12, not December) in `year`.
    static func lastSunday(month: Int, year: Int) -> Int {
        let last = days(year: year, month: month + 1, day: 1) - 1
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
        return last - (((last + 4) % 7) + 7) % 7
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
