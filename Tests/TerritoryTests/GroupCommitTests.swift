import Foundation
import Model
import TestSupport
import Testing
@testable import Territory
import Trust

/// The collector's group commit (`Ingest.ingest(verified:…)` from several threads): reports waiting together are
/// written in one transaction, each caller gets its own report's fate, and a failure is never another report's.
@Suite("Group commit of reports handed over one at a time by several threads")
struct GroupCommitTests {
    /// Runs `body(i)` for `count` indices, each on its own thread, all at once (as the collector's verification
    /// threads are; a dispatch queue would run only as many as there are cores); results by index.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: count)
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread {
                slots[index] = body(index)
                done.leave()
            }.start()
        }
        done.wait()
        return slots.values
    }

    /// Report id `index` (a UUID, as the schema requires); ids compare as their indices do.
    static func id(_ index: Int) -> String { "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - String(index).count) + String(index) }

    static func outcome(_ index: Int) -> Ingest.Outcome {
        .rejected(path: "r\(index)", sha256: "", code: "c\(index)", message: .verbatim(""))
    }

    /// Waits (bounded) until `condition` holds; a state to reach, not a time to assert.
    static func await(_ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while !condition() {
            guard Date() < deadline else { throw TestSupportError("condition not reached in 30 s") }
            usleep(1_000)
        }
    }

    @Test("Callers that arrive while a write runs are written together (at most the limit per group), and each gets its own result")
    func groups() throws {
        let group = GroupCommit()
        let batches = Locked<[[String]]>([])
        let results = Self.concurrently(16) { index in
            Result {
                try group.submit(.init(outcome: Self.outcome(index), recordingRejection: true), limit: 5) { batch in
                    // The first write holds until the 15 others wait behind it.
                    if batches.value.isEmpty { try? Self.await { group.waitingCount == 15 } }
                    let paths = batch.map { pending -> String in
                        guard case .rejected(let path, _, _, _) = pending.outcome else { return "?" }
                        return path
                    }
                    batches.mutate { $0.append(paths) }
                    return batch.map { pending in
                        guard case .rejected(_, _, let code, _) = pending.outcome else { return .failure(TestSupportError("?")) }
                        return .success(.rejected(code: code, message: .verbatim("")))
                    }
                }
            }
        }
        for (index, result) in results.enumerated() {
            #expect(try result.get() == .rejected(code: "c\(index)", message: .verbatim("")))
        }
        let sizes = batches.value.map(\.count)
        #expect(sizes.reduce(0, +) == 16 && Set(batches.value.flatMap { $0 }).count == 16)
        #expect(sizes.first == 1 && sizes.dropFirst() == [5, 5, 5], "\(sizes)")
    }

    @Test("A write that fails as a whole fails each of its callers with its error, and the next caller writes again")
    func failure() throws {
        let group = GroupCommit()
        struct Full: Error, Equatable {}
        #expect(throws: Full.self) {
            try group.submit(.init(outcome: Self.outcome(0), recordingRejection: true), limit: 8) { _ in [.failure(Full())] }
        }
        #expect(try group.submit(.init(outcome: Self.outcome(1), recordingRejection: true), limit: 8) { batch in
            batch.map { _ in .success(.alreadyStored) }
        } == .alreadyStored)
    }

    @Test("40 reports, each handed over twice, and one reusing a report id, each on its own thread at once: 40 stored once, the others known, the conflict refused")
    func store() throws {
        let fixture = try TerritoryFixture()
        let verifier = try fixture.verifier()
        var handed: [(VerifiedReport, JSONValue, String)] = []
        for index in 0..<40 {
            let path = try fixture.write(
                "r\(index).json", host: "srv-\(index % 4)", daysAgo: Double(index % 10) + 1, results: TerritoryFixture.mixed(index),
                id: Self.id(index))
            let (bytes, signature) = try ReportVerifier.readPair(reportPath: path)
            let (verified, document) = try verifier.verifyDocument(reportBytes: bytes, signatureBytes: signature)
            handed.append((verified, document, path))
        }
        let conflictPath = try fixture.write("conflict.json", host: "srv-9", daysAgo: 1, results: TerritoryFixture.mixed(), id: Self.id(7))
        let (bytes, signature) = try ReportVerifier.readPair(reportPath: conflictPath)
        let (conflict, conflictDocument) = try verifier.verifyDocument(reportBytes: bytes, signatureBytes: signature)

        let ingest = Ingest(store: try fixture.store(), verifier: verifier, batchSize: 16)
        let all = handed + handed + [(conflict, conflictDocument, conflictPath)]
        let outcomes = Self.concurrently(all.count) { index in
            Result { try ingest.ingest(verified: all[index].0, document: all[index].1, path: all[index].2) }
        }
        var stored = 0, known = 0
        var refused: [String] = []
        for outcome in outcomes {
            switch try outcome.get() {
            case .stored: stored += 1
            case .alreadyStored: known += 1
            case .rejected(let code, let message):
                refused.append(code)
                // The agent is told of the conflict, not where the other report is kept.
                #expect(message.en.hasSuffix("is already stored with other content") && !message.en.contains(fixture.inbox), "\(message.en)")
            }
        }
        // The conflicting report may arrive before report 7: then it is stored, and both copies of report 7 are refused.
        #expect(refused == [RejectionCode.reportIDConflict] || refused == [RejectionCode.reportIDConflict, RejectionCode.reportIDConflict])
        #expect(stored == 40 && known == 40 - (refused.count - 1), "stored \(stored), known \(known), refused \(refused)")
        let counts = try fixture.store().read { db in
            (try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") ?? -1,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(DISTINCT sha256) FROM report") ?? -1,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result") ?? -1)
        }
        #expect(counts.0 == 40 && counts.1 == 40 && counts.2 == 40 * TerritoryFixture.mixed().count, "\(counts)")
        // Each host's latest is its newest report, whatever order the groups were written in.
        let latest = try fixture.store().read { db in
            try db.fetchRows(sql: "SELECT h.hostname, r.id FROM host h JOIN report r ON r.key = h.latestReportKey ORDER BY h.hostname")
                .map { "\($0["hostname"] as String)=\($0["id"] as String)" }
        }
        // Newest: generated last (index % 10 + 1 days ago, signed a minute after), then the greater id.
        var expected: [String: Int] = [:]
        for index in 0..<40 where index != 7 {
            let host = "srv-\(index % 4)"
            if let best = expected[host], (-(best % 10), best) >= (-(index % 10), index) { continue }
            expected[host] = index
        }
        var wanted = expected.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.id($0.value))" }
        if refused.count == 2 { wanted.append("srv-9=\(Self.id(7))") }
        #expect(latest == wanted, "\(latest)")
    }
}

/// A value shared between threads, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value { lock.withLock { _value } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&_value) } }
}
