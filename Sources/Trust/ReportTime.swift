import FoundationEssentials
import Model

/// The rules a report's `generatedAt` follows, the same for `cyberctl verify`, the consolidation and
/// the collector (the store applies them again before writing, so no path can disagree).
///
/// A time is `YYYY-MM-DDTHH:MM:SSZ` (UTC, the form the agent writes; the schema's `time` pattern) naming
/// a real instant: a year from 1970 (the store counts seconds since the Unix epoch), a month 01–12, a
/// day that exists in that month (no 31 April, 29 February only in leap years: Gregorian calendar),
/// 00–23 hours, 00–59 minutes, 00–60 seconds (a leap second). And a report cannot have been generated
/// after it was signed: `generatedAt` may be at most `ReportVerifier.clockSkew` (5 minutes) after the
/// signing time, so a report dated in the future cannot stay its host's latest report forever.
public enum ReportTime {
    /// Earliest year accepted: 1970, the Unix epoch.
    public static let earliestYear = 1970

    /// The instant `text` names, or nil when it is not a valid report time (see the type's rules).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), year >= earliestYear,
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        return ISO8601.date(from: text)
    }

    /// Days in `month` (1–12) of `year`, Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Why `generatedAt` cannot be accepted for a report signed at `signingTime`, or nil when it can: the failure
    /// code and its reason in French and English (the signing time in Europe/Paris time, for people).
    public static func problem(generatedAt text: String, signingTime: Date) -> (code: VerificationFailure.Code, text: LocalizedText)? {
        guard let generated = parse(text) else {
            let shown = text.count > 40 ? String(text.prefix(37)) + "…" : text
            return (.generatedAtInvalid, LocalizedText(
                fr: "generatedAt « \(shown) » n'est pas une date UTC réelle à partir de \(earliestYear) (AAAA-MM-JJTHH:MM:SSZ, un jour qui existe)",
                en: "generatedAt \"\(shown)\" is not a real UTC time from \(earliestYear) on (YYYY-MM-DDTHH:MM:SSZ, a day that exists)"))
        }
        if generated > signingTime.addingTimeInterval(ReportVerifier.clockSkew) {
            let signed = PeopleTime.string(from: signingTime)
            let skew = Int(ReportVerifier.clockSkew / 60)
            return (.generatedAfterSigning, LocalizedText(
                fr: "generatedAt \(text) est postérieur à la date de signature \(signed) (au-delà de \(skew) minutes de décalage d'horloge) : un rapport ne peut être produit après sa signature",
                en: "generatedAt \(text) is after the signing time \(signed) (more than \(skew) minutes of clock skew): a report cannot be generated after it was signed"))
        }
        return nil
    }
}
