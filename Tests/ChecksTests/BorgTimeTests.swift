import Foundation
import Testing
@testable import Checks

/// Borg 1.x archive times (local time, microseconds, no offset) keep their fraction, so two archives
/// made within one second still sort by time.
struct BorgTimeTests {
    @Test func microsecondsAreKept() throws {
        let first = try #require(RepositoryListing.borgTime("2026-11-29T02:00:03.123456"))
        let second = try #require(RepositoryListing.borgTime("2026-11-29T02:00:03.654321"))
        #expect(second > first)
        #expect(abs(second.timeIntervalSince(first) - 0.530865) < 0.000_01)
        let whole = try #require(RepositoryListing.borgTime("2026-11-29T02:00:03"))
        #expect(abs(first.timeIntervalSince(whole) - 0.123456) < 0.000_01)
    }

    @Test func anOffsetIsReadAsRFC3339() throws {
        let date = try #require(RepositoryListing.borgTime("2026-11-29T02:00:03+01:00"))
        #expect(date == ISO8601DateFormatter().date(from: "2026-11-29T01:00:03Z"))
    }
}

/// cyberctl runs borg with `TZ=UTC`, so a time without an offset is UTC, whatever cyberctl's own zone.
struct BorgUTCTimeTests {
    @Test func aTimeWithoutOffsetIsUTC() throws {
        let date = try #require(RepositoryListing.borgTime("2026-11-29T02:00:03.500000"))
        #expect(date == ISO8601DateFormatter().date(from: "2026-11-29T02:00:03Z")!.addingTimeInterval(0.5))
        #expect(RepositoryListing.borgTime("hier soir") == nil)
    }
}
