import FoundationEssentials

/// Dates as mail and HTTP headers write them (RFC 5322 §3.3, RFC 9110 §5.6.7), in place of Foundation's
/// `DateFormatter` with the en_US_POSIX locale (not part of FoundationEssentials).
public enum InternetDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Parses `Www, D Mon YYYY HH:MM:SS ZONE` (day of one or two digits, English names in any case), in
    /// UTC: ZONE is `GMT`, `UTC`, `UT` or a numeric offset `±HHMM`; with `gmtOnly` (HTTP's IMF-fixdate)
    /// only `GMT`. The weekday is not checked against the date. Nil for anything else, or a day, hour,
    /// minute or second out of range.
    public static func parse(_ text: String, gmtOnly: Bool = false) -> Date? {
        let words = text.split(separator: " ")
        guard words.count == 6, words[0].hasSuffix(","), weekdays.contains(words[0].dropLast().lowercased()) else { return nil }
        guard let day = number(words[1], digits: 1...2), (1...31).contains(day),
              let month = months.firstIndex(of: words[2].lowercased()), let year = number(words[3], digits: 4...4) else { return nil }
        let clock = words[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, let hour = number(clock[0], digits: 2...2), let minute = number(clock[1], digits: 2...2),
              let second = number(clock[2], digits: 2...2), hour < 24, minute < 60, second < 60 else { return nil }
        let zone = words[5]
        var offset = 0
        switch zone.uppercased() {
        case "GMT": break
        case "UTC" where !gmtOnly, "UT" where !gmtOnly: break
        default:
            guard !gmtOnly, zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
                  let hours = number(zone.dropFirst().prefix(2), digits: 2...2), let minutes = number(zone.suffix(2), digits: 2...2),
                  minutes < 60 else { return nil }
            offset = (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let components = DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date.addingTimeInterval(TimeInterval(-offset))
    }

    private static func number(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
