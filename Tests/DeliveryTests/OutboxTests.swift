import Agent
@testable import Delivery
import Foundation
import TestSupport
import Testing

/// The outbox on disk: complete-or-invisible entries, crash leftovers, state, locking; and the protocol's
/// reading of answers and the backoff.
@Suite("Outbox, answers and backoff")
struct OutboxTests {
    static let report = Array(#"{"schema":"cyberctl.report/1","id":"a"}"#.utf8)
    static let signature: [UInt8] = [0x30, 0x82, 0x01, 0x00, 0xFF, 0x00, 0x0D, 0x0A]

    @Test("A queued pair is complete and visible at once, with its state; queueing the same bytes again is a no-op")
    func enqueue() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let entry = try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: "r.json", now: now)
        #expect(entry.name == "r")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: entry.reportPath))) == Self.report)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: entry.signaturePath))) == Self.signature)
        let listed = try outbox.entries()
        #expect(listed.map(\.name) == ["r"])
        #expect(listed.first?.state?.queuedAt == now)
        #expect(listed.first?.state?.attempts == 0)
        #expect(listed.first?.state?.sha256 == Digest256.hex(Self.report))
        let mode = try FileManager.default.attributesOfItem(atPath: entry.reportPath)[.posixPermissions] as? NSNumber
        #expect(mode.map { $0.intValue & 0o007 } == 0, "never world-readable")

        let again = try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: "r.json")
        #expect(again.name == "r")
        #expect(try outbox.entries().count == 1)
        // Other bytes under the same name get their own entry.
        let other = try outbox.enqueue(report: Self.report + [0x0A], signature: Self.signature, fileName: "r.json")
        #expect(other.name == "r-2")
        #expect(try outbox.entries().map(\.name).sorted() == ["r", "r-2"])
        // Nothing is left in staging.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url("outbox/.incoming")).isEmpty)
    }

    @Test("File names that could escape the outbox are refused")
    func unsafeNames() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        for name in ["../r.json", ".hidden.json", "a/b.json", ""] {
            #expect(throws: OutboxError.self) { try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: name) }
        }
        #expect(try outbox.entries().isEmpty)
    }

    @Test("What a crash leaves behind (a half-staged pair, an interrupted removal) is never listed, and is swept")
    func crashLeftovers() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        // A scan killed while staging: the report written, no signature, no state.
        try folder.write("outbox/.incoming/r.staging-ABC123/r.json", Data(Self.report))
        // A push killed between the removal rename and the deletion.
        try folder.write("outbox/.incoming/delivered-s-42/s.json", Data(Self.report))
        // A fresh staging folder (a scan queueing right now) must survive the sweep.
        try folder.write("outbox/.incoming/t.staging-DEF456/t.json", Data(Self.report))
        let old = Date().addingTimeInterval(-2 * Outbox.stagingLifetime)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder.url("outbox/.incoming/r.staging-ABC123"))
        #expect(try outbox.entries().isEmpty)
        outbox.sweep()
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.url("outbox/.incoming"))
        #expect(left == ["t.staging-DEF456"])
    }

    @Test("Removal takes the whole entry away; an unreadable state is listed with its problem and kept")
    func removalAndDamage() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        let entry = try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: "r.json")
        try outbox.remove(entry)
        #expect(try outbox.entries().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: entry.path))

        let damaged = try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: "d.json")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: damaged.statePath))
        let listed = try #require(try outbox.entries().first)
        #expect(listed.state == nil)
        #expect(listed.problem?.en.contains("state.json") == true)
    }

    @Test("State survives a save and reload, refusal included")
    func stateRoundTrip() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        let entry = try outbox.enqueue(report: Self.report, signature: Self.signature, fileName: "r.json")
        var state = try #require(entry.state)
        state.attempts = 3
        state.lastAttemptAt = Date(timeIntervalSince1970: 1_795_000_100)
        state.nextAttemptAt = Date(timeIntervalSince1970: 1_795_000_400)
        state.lastError = "connection: Failed to connect"
        state.refusal = .init(httpStatus: 422, status: "refused", code: "identity-mismatch", message: "m", messageEN: "e", at: Date(timeIntervalSince1970: 1_795_000_100))
        try outbox.save(state, for: entry)
        #expect(try outbox.entries().first?.state == state)
    }

    @Test("One lock holder at a time; the lock is free again once released")
    func locking() throws {
        let folder = try TemporaryDirectory()
        let outbox = try Outbox(directory: folder.url("outbox"), create: true)
        var first = try outbox.lock(wait: false)
        #expect(first != nil)
        // flock locks belong to open file descriptions: a second open, even in this process, conflicts.
        #expect(try outbox.lock(wait: false) == nil)
        first = nil
        #expect(try outbox.lock(wait: false) != nil)
    }

    @Test("A missing outbox is reported as missing, not created, unless asked")
    func missingOutbox() throws {
        let folder = try TemporaryDirectory()
        do {
            _ = try Outbox(directory: folder.url("absent"), create: false)
            Issue.record("a missing outbox must throw")
        } catch {
            #expect(error.missing)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.url("absent")))
        _ = try Outbox(directory: folder.url("deep/new/outbox"), create: true)
        #expect(FileManager.default.fileExists(atPath: folder.url("deep/new/outbox/.incoming")))
    }

    @Test("Answers read as the protocol says: 200/201 remove, 400/403/413/422 refuse, 408/429/5xx and no answer retry")
    func verdicts() {
        let sha = String(repeating: "ab", count: 32)
        func verdict(_ status: Int, _ body: String = "", retryAfter: TimeInterval? = nil) -> Verdict {
            Verdict(.http(status: status, body: Array(body.utf8), truncated: false, retryAfter: retryAfter), expectedSHA256: sha)
        }
        #expect(verdict(201, #"{"status":"accepted","sha256":"\#(sha)"}"#).kind == .delivered)
        #expect(verdict(200, #"{"status":"duplicate"}"#).kind == .duplicate)
        // An acknowledgement for other bytes keeps the pair.
        #expect(verdict(201, #"{"status":"accepted","sha256":"00"}"#).kind == .transient)
        for status in [400, 403, 413, 422] { #expect(verdict(status).kind == .refused, "\(status)") }
        let refused = verdict(422, #"{"status":"refused","code":"signature-invalid","message":"signature invalide","message_en":"invalid signature"}"#)
        #expect(refused.code == "signature-invalid" && refused.message == "signature invalide" && refused.messageEN == "invalid signature")
        for status in [408, 500, 502, 504] {
            let reading = verdict(status)
            #expect(reading.kind == .transient && !reading.collectorWide && !reading.misconfigured, "\(status)")
        }
        // Outside the protocol: a wrong URL or a proxy. Kept and retried, but the run stops and says so (exit 78).
        for status in [404, 401, 301, 405] {
            let reading = verdict(status)
            #expect(reading.kind == .transient && reading.collectorWide && reading.misconfigured, "\(status)")
        }
        for status in [429, 503] {
            let reading = verdict(status, retryAfter: 30)
            #expect(reading.kind == .transient && reading.collectorWide && reading.retryAfter == 30, "\(status)")
        }
        let down = Verdict(.transport(kind: .connect, message: "Failed to connect"), expectedSHA256: sha)
        #expect(down.kind == .transient && down.collectorWide)
        #expect(down.errorSummary == "connection: Failed to connect")
        // A body that is not JSON is no reason to crash or to refuse a 201.
        #expect(verdict(201, "<html>ok</html>").kind == .delivered)
    }

    @Test("Backoff: doubles from one minute, capped at six hours, jittered within [d/2, d], never before Retry-After")
    func backoff() {
        #expect(Backoff.delay(attempts: 1, retryAfter: nil, random: 0) == 30)
        #expect(Backoff.delay(attempts: 1, retryAfter: nil, random: 1) == 60)
        #expect(Backoff.delay(attempts: 3, retryAfter: nil, random: 1) == 240)
        #expect(Backoff.delay(attempts: 30, retryAfter: nil, random: 1) == Backoff.cap)
        #expect(Backoff.delay(attempts: 30, retryAfter: nil, random: 0) == Backoff.cap / 2)
        #expect(Backoff.delay(attempts: 1, retryAfter: 900, random: 0.5) == 900)
        #expect(Backoff.delay(attempts: 1, retryAfter: 1e9, random: 0.5) == Backoff.retryAfterCap)
        #expect(Backoff.delay(attempts: 12, retryAfter: 5, random: 0) == Backoff.cap / 2)
    }

    @Test("Retry-After: seconds or an HTTP date")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)  // Wed, 18 Nov 2026 11:06:40 GMT
        #expect(CollectorClient.retryAfterSeconds("120", now: now) == 120)
        #expect(CollectorClient.retryAfterSeconds(" 0 ", now: now) == 0)
        #expect(CollectorClient.retryAfterSeconds("Wed, 18 Nov 2026 11:11:40 GMT", now: now) == 300)
        #expect(CollectorClient.retryAfterSeconds("soon", now: now) == nil)
        #expect(CollectorClient.retryAfterSeconds("-5", now: now) == nil)
    }
}

/// SHA-256 through the openssl command, independent of the code under test.
enum Digest256 {
    static func hex(_ bytes: [UInt8]) -> String {
        let output = try? Command.run("openssl", ["dgst", "-sha256", "-r"], input: Data(bytes))
        return String(output?.stdout.prefix(64) ?? "")
    }
}
