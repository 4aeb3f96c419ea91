import Checks
import Testing

/// The one duration parser of the command line, the agent configuration and the profiles (issue 18).
@Suite("Durations in French and English units")
struct DurationTextTests {
    static let day = 86_400.0
    /// Each text and its seconds.
    static let cases: [(String, Double)] = [
        ("60d", 60 * day), ("60j", 60 * day), ("60 jours", 60 * day), ("60 days", 60 * day),
        ("8w", 56 * day), ("8sem", 56 * day), ("8 semaines", 56 * day), ("8 Weeks", 56 * day),
        ("24h", day), ("24 heures", day), ("24 hours", day), ("90m", 5400.0), ("90min", 5400.0), ("90 minutes", 5400.0),
        ("45s", 45.0), ("45 sec", 45.0), ("45 secondes", 45.0), ("1h30m", 5400.0), ("1j 12h", 129_600.0), ("1d12h", 129_600.0),
        ("1,5h", 5400.0), ("1.5h", 5400.0), ("2\u{00A0}j", 172_800.0), ("  7J  ", 604_800.0),
    ]

    @Test("French and English units are the same duration", arguments: cases)
    func units(text: String, seconds: Double) {
        #expect(DurationText.seconds(text, bareUnit: nil) == seconds, "\(text)")
    }

    @Test("A bare number counts in the caller's unit, or is refused without one (except 0)")
    func bareNumbers() {
        #expect(DurationText.seconds("60", bareUnit: .days) == 5_184_000.0)
        #expect(DurationText.seconds("10", bareUnit: .seconds) == 10.0)
        #expect(DurationText.seconds("2.5", bareUnit: .seconds) == 2.5)
        #expect(DurationText.seconds("24", bareUnit: nil) == nil)
        #expect(DurationText.seconds("0", bareUnit: nil) == 0.0)
        // A bare number only alone: "1h 30" is not 1 h 30 min by guess.
        #expect(DurationText.seconds("1h 30", bareUnit: .minutes) == nil)
    }

    @Test("Not durations: unknown units, months, signs, empty text, units without numbers", arguments: [
        "", "  ", "soon", "demain", "6x", "2mo", "1mois", "1y", "1an", "-1d", "+1d", "d", "j5", "1.2.3h", "1 h h", "٣d", "1e3s",
    ])
    func refused(text: String) {
        #expect(DurationText.seconds(text, bareUnit: .days) == nil, "\(text)")
    }

    @Test("Whole units: 24h is one day, 36h is not a whole number of days")
    func whole() {
        #expect(DurationText.whole("24h", in: .days, bareUnit: .days) == 1)
        #expect(DurationText.whole("8sem", in: .days, bareUnit: .days) == 56)
        #expect(DurationText.whole("36h", in: .days, bareUnit: .days) == nil)
        #expect(DurationText.whole("99999999999999w", in: .days, bareUnit: .days) == nil)
    }

    @Test("Profiles' durations (backup max_age) take the same units")
    func profiles() {
        #expect(BackupUnits.duration("7j") == BackupUnits.duration("7d"))
        #expect(BackupUnits.duration("1sem") == 604_800.0)
        #expect(BackupUnits.duration("0h") == nil, "a zero maximum age means nothing")
        #expect(BackupUnits.duration("26") == nil, "a profile's duration names its unit")
    }
}
