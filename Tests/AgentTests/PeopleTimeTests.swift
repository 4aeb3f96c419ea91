import Agent
import Foundation
import Model
import Testing

/// PeopleTime computes Europe/Paris itself (the agent has no ICU, issue 19); the time zone database, through
/// Foundation in this test process, is the reference.
@Suite struct PeopleTimeTests {
    static let paris = TimeZone(identifier: "Europe/Paris")!

    /// Foundation's rendering of what PeopleTime.string(from:) shows.
    static func reference(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = paris
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = paris.secondsFromGMT(for: date)
        let minutes = abs(offset) / 60
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d %@%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
            offset < 0 ? "-" : "+", minutes / 60, minutes % 60)
    }

    @Test("every hour from 1996 to 2040, and the second before each, reads as the time zone database says")
    func everyHour() {
        let start = Date(timeIntervalSince1970: 820_454_400)  // 1996-01-01T00:00:00Z
        let end = Date(timeIntervalSince1970: 2_208_988_800)  // 2040-01-01T00:00:00Z
        var date = start
        var mismatches: [String] = []
        while date < end {
            for instant in [date, date - 1] {
                let shown = PeopleTime.string(from: instant)
                if shown != Self.reference(instant) || PeopleTime.parisOffset(at: instant) != Self.paris.secondsFromGMT(for: instant) {
                    mismatches.append("\(instant): \(shown) ≠ \(Self.reference(instant))")
                }
            }
            date += 3600
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("the 2026 changes: 29 March 01:00 UTC and 25 October 01:00 UTC")
    func changesOf2026() throws {
        let iso = Date.ISO8601FormatStyle()
        func shown(_ text: String) throws -> String { PeopleTime.string(from: try iso.parse(text)) }
        #expect(try shown("2026-03-29T00:59:59Z") == "2026-03-29 01:59:59 +01:00")
        #expect(try shown("2026-03-29T01:00:00Z") == "2026-03-29 03:00:00 +02:00")
        #expect(try shown("2026-10-25T00:59:59Z") == "2026-10-25 02:59:59 +02:00")
        #expect(try shown("2026-10-25T01:00:00Z") == "2026-10-25 02:00:00 +01:00")
        #expect(PeopleTime.day(iso: "2026-12-31T23:30:00Z") == "2027-01-01")
        #expect(PeopleTime.string(iso: "not a time") == "not a time")
    }
}
