import Agent
import Checks
import FoundationEssentials
import NIS2
import Model
import OpenSSLKit

/// Delivers the outbox to the collector, following the push protocol (issue 11):
/// - 200 `duplicate` / 201 `accepted` → the pair is removed (only then);
/// - 400/403/413/422 → refused for good: kept, marked with the status, code and messages, not retried until
///   `push --retry-refused`;
/// - 408, 429, 5xx, no answer (connection, TLS, timeout) → transient: attempts and the error recorded, next
///   attempt after an exponential backoff with jitter, never before the collector's Retry-After;
/// - any other status (3xx, 401, 404, 405, 407 …: the URL points at something that is not a cyberctl
///   collector, or a proxy stands in the way) → the pair is kept and retried like a transient failure, but the
///   run stops and exits 78 (EX_CONFIG), so that a timer's unit fails and a person fixes `collector.url`.
///
/// When the collector as a whole is unreachable or asks to slow down (transport failure, 429, 503) the run
/// stops at once: the pairs not tried keep their place and are marked with the same next attempt, so a
/// collector down for days costs one connection attempt per run, not one per pair.
public struct Pusher {
    public let outbox: Outbox
    public let client: CollectorClient

    public init(outbox: Outbox, client: CollectorClient) {
        self.outbox = outbox
        self.client = client
    }

    public struct Options: Sendable {
        /// Re-queue the refused pairs before sending (`--retry-refused`).
        public var retryRefused = false
        /// Send the pairs waiting for their backoff too (`--now`).
        public var ignoreSchedule = false
        public init(retryRefused: Bool = false, ignoreSchedule: Bool = false) {
            self.retryRefused = retryRefused
            self.ignoreSchedule = ignoreSchedule
        }
    }

    /// Sends every due pair, in queue order. The caller holds the outbox lock.
    /// - Parameters:
    ///   - now: the clock (injectable for tests).
    ///   - random: a number in 0..<1 for the jitter.
    ///   - progress: called after each pair.
    /// - Throws: `OutboxError` when the outbox itself cannot be read or updated (the run stops; nothing is lost).
    public func run(
        options: Options = Options(), now: () -> Date = Date.init, random: () -> Double = { Double.random(in: 0..<1) },
        progress: (PushOutcome) -> Void = { _ in }
    ) throws(OutboxError) -> PushSummary {
        outbox.sweep(now: now())
        var outcomes: [PushOutcome] = []
        var entries = try outbox.entries()
        if options.retryRefused {
            for index in entries.indices {
                guard var state = entries[index].state, state.refusal != nil else { continue }
                state.refusal = nil
                state.nextAttemptAt = nil
                try outbox.save(state, for: entries[index])
                entries[index].state = state
            }
        }
        var stopped: (until: Date, reason: String, reasonFR: String)?
        for entry in entries {
            guard var state = entry.state else {
                let outcome = PushOutcome(entry: entry, result: .damaged, message: entry.problem?.fr, messageEN: entry.problem?.en)
                outcomes.append(outcome)
                progress(outcome)
                continue
            }
            if let refusal = state.refusal {
                let outcome = PushOutcome(entry: entry, result: .refused, httpStatus: refusal.httpStatus, code: refusal.code, message: refusal.message, messageEN: refusal.messageEN, previously: true)
                outcomes.append(outcome)
                progress(outcome)
                continue
            }
            if let stopped {
                // The collector is unreachable or asked to slow down: do not try the rest now.
                state.nextAttemptAt = max(state.nextAttemptAt ?? .distantPast, stopped.until)
                state.lastError = "not tried: \(stopped.reason)"
                state.lastErrorFR = "pas tenté : \(stopped.reasonFR)"
                try outbox.save(state, for: entry)
                let outcome = PushOutcome(entry: entry, result: .notTried, message: stopped.reasonFR, messageEN: stopped.reason, nextAttemptAt: state.nextAttemptAt)
                outcomes.append(outcome)
                progress(outcome)
                continue
            }
            if !options.ignoreSchedule, let next = state.nextAttemptAt, next > now() {
                let outcome = PushOutcome(entry: entry, result: .notDue, message: state.lastErrorFR ?? state.lastError, messageEN: state.lastError, nextAttemptAt: next)
                outcomes.append(outcome)
                progress(outcome)
                continue
            }
            let outcome = try send(entry, state: &state, now: now, random: random)
            outcomes.append(outcome)
            progress(outcome)
            if outcome.stopsRun, let next = state.nextAttemptAt {
                stopped = (next, outcome.messageEN ?? "collector unavailable", outcome.message ?? "collecteur indisponible")
            }
        }
        let remaining = try outbox.entries()
        return PushSummary(
            outcomes: outcomes, misconfigured: outcomes.contains { $0.misconfigured },
            pending: remaining.filter { $0.state != nil && $0.state?.refusal == nil }.count,
            refused: remaining.filter { $0.state?.refusal != nil }.count,
            damaged: remaining.filter { $0.state == nil }.count)
    }

    /// One upload and what it does to the entry.
    func send(_ entry: OutboxEntry, state: inout OutboxState, now: () -> Date, random: () -> Double) throws(OutboxError) -> PushOutcome {
        let report: [UInt8]
        let signature: [UInt8]
        do {
            report = try FileSystemRoot.system.read(entry.reportPath, limit: 256 << 20)
            signature = try FileSystemRoot.system.read(entry.signaturePath, limit: 16 << 20)
        } catch {
            return PushOutcome(
                entry: entry, result: .damaged, message: "impossible de lire la paire en file : \(error.description(in: .fr))",
                messageEN: "cannot read the queued pair: \(error)")
        }
        let started = now()
        state.attempts += 1
        state.lastAttemptAt = started
        let sha256 = Digest.sha256Hex(report)
        guard sha256 == state.sha256 else {
            // Never send bytes other than those queued: the pair changed on disk.
            let message = "the queued report changed on disk (SHA-256 \(sha256), queued as \(state.sha256)): not sent"
            state.refusal = .init(httpStatus: nil, status: "altered", code: "outbox-altered", message: message, messageEN: message, at: started)
            try outbox.save(state, for: entry)
            return PushOutcome(entry: entry, result: .refused, code: "outbox-altered", message: message, messageEN: message)
        }
        let answer = client.post(report: report, signature: signature, fileName: entry.fileName, sha256: sha256)
        let verdict = Verdict(answer, expectedSHA256: sha256)
        switch verdict.kind {
        case .delivered, .duplicate:
            try outbox.remove(entry)
            return PushOutcome(
                entry: entry, result: verdict.kind == .delivered ? .delivered : .duplicate, httpStatus: verdict.httpStatus,
                message: verdict.message, messageEN: verdict.messageEN)
        case .refused:
            state.refusal = .init(
                httpStatus: verdict.httpStatus, status: verdict.status, code: verdict.code, message: verdict.message,
                messageEN: verdict.messageEN, at: started)
            state.nextAttemptAt = nil
            state.lastError = nil
            state.lastErrorFR = nil
            try outbox.save(state, for: entry)
            return PushOutcome(entry: entry, result: .refused, httpStatus: verdict.httpStatus, code: verdict.code, message: verdict.message, messageEN: verdict.messageEN)
        case .transient:
            let delay = Backoff.delay(attempts: state.attempts, retryAfter: verdict.retryAfter, random: random())
            state.nextAttemptAt = started.addingTimeInterval(delay)
            state.lastError = verdict.errorSummary
            state.lastErrorFR = verdict.frenchSummary
            try outbox.save(state, for: entry)
            return PushOutcome(
                entry: entry, result: .deferred, httpStatus: verdict.httpStatus, code: verdict.code,
                message: verdict.frenchSummary, messageEN: verdict.errorSummary, nextAttemptAt: state.nextAttemptAt,
                retryAfter: verdict.retryAfter, stopsRun: verdict.collectorWide, misconfigured: verdict.misconfigured)
        }
    }
}

/// Retry delays: exponential from one minute, doubling per attempt, capped at six hours, with "equal
/// jitter" (half the delay fixed, half random) so that many agents do not retry in step; never shorter than
/// the collector's Retry-After (itself capped at seven days against a hostile value).
public enum Backoff {
    public static let base: TimeInterval = 60
    public static let cap: TimeInterval = 6 * 3600
    public static let retryAfterCap: TimeInterval = 7 * 86_400

    /// Seconds to wait after the `attempts`-th failed attempt (1 for the first); `random` in 0..<1.
    public static func delay(attempts: Int, retryAfter: TimeInterval?, random: Double) -> TimeInterval {
        let exponent = min(max(attempts - 1, 0), 20)
        let ceiling = min(cap, base * Double(1 << exponent))
        let jittered = ceiling / 2 + ceiling / 2 * min(max(random, 0), 1)
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, retryAfterCap))
    }
}

/// How the agent reads one collector answer (the protocol's table).
struct Verdict {
    enum Kind { case delivered, duplicate, refused, transient }
    var kind: Kind
    var httpStatus: Int?
    var status: String?
    var code: String?
    var message: String?
    var messageEN: String?
    var retryAfter: TimeInterval?
    /// The failure concerns the collector, not this pair: stop the run (transport failure, 429, 503).
    var collectorWide = false
    /// The answer is outside the protocol: the configured URL is not a collector's.
    var misconfigured = false
    /// One line for `lastError` (English, like libcurl's reasons).
    var errorSummary: String
    /// The same in French, for the terminal.
    var frenchSummary: String

    init(_ answer: CollectorAnswer, expectedSHA256: String) {
        switch answer {
        case .transport(let kind, let message):
            self.kind = .transient
            collectorWide = true
            code = kind.rawValue
            errorSummary = "\(kind.rawValue): \(message)"
            frenchSummary = "\(kind.frenchLabel) : \(message)"
            self.message = frenchSummary
            self.messageEN = errorSummary
        case .http(let httpStatus, let body, let truncated, let retryAfter):
            self.httpStatus = httpStatus
            self.retryAfter = retryAfter
            let fields = truncated ? [:] : Self.fields(body)
            status = fields["status"]
            code = fields["code"]
            message = fields["message"]
            messageEN = fields["message_en"]
            let said = (status == code ? [status] : [status, code]).compactMap { $0 }.joined(separator: " ")
            let text = messageEN ?? message
            errorSummary = "HTTP \(httpStatus)" + (said.isEmpty ? "" : " \(said)") + (text.map { ": \($0)" } ?? "")
            frenchSummary = "HTTP \(httpStatus)" + (said.isEmpty ? "" : " \(said)") + ((message ?? messageEN).map { " : \($0)" } ?? "")
            switch httpStatus {
            case 200, 201:
                if let echoed = fields["sha256"], echoed.lowercased() != expectedSHA256 {
                    // An acknowledgement for other bytes is no acknowledgement: keep the pair.
                    kind = .transient
                    errorSummary = "HTTP \(httpStatus) acknowledged SHA-256 \(echoed), expected \(expectedSHA256)"
                    frenchSummary = "HTTP \(httpStatus) : accusé de réception pour le SHA-256 \(echoed) au lieu de \(expectedSHA256)"
                } else {
                    kind = httpStatus == 201 ? .delivered : .duplicate
                }
            case 400, 403, 413, 422:
                kind = .refused
            case 429, 503:
                kind = .transient
                collectorWide = true
            case 408, 500...599:
                kind = .transient
            default:
                // Outside the protocol (3xx, 401, 404 …: a wrong URL or a proxy). The pair cannot cause it:
                // kept and retried, never dropped; but the configuration needs a person.
                kind = .transient
                collectorWide = true
                misconfigured = true
                errorSummary += " (is collector.url the collector's address? it answers outside the push protocol)"
                frenchSummary += " (collector.url est-elle bien l'adresse du collecteur ? la réponse sort du protocole d'envoi)"
            }
        }
    }

    /// The response's string fields (`status`, `sha256`, `code`, `message`, `message_en`); empty when the
    /// body is not a JSON object.
    static func fields(_ body: [UInt8]) -> [String: String] {
        guard !body.isEmpty, let object = try? JSONDecoder().decode(ResponseFields.self, from: Data(body)) else { return [:] }
        return object.fields
    }

    /// A JSON object's string members among `ResponseFields.Key`; members of another type are left out.
    private struct ResponseFields: Decodable {
        enum Key: String, CodingKey, CaseIterable { case status, sha256, code, message, message_en }
        var fields: [String: String] = [:]
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in Key.allCases {
                if let value = try? container.decodeIfPresent(String.self, forKey: key) { fields[key.rawValue] = String(value.prefix(2000)) }
            }
        }
    }
}

/// What happened to one pair in a run.
public struct PushOutcome: Sendable, Encodable {
    public enum Result: String, Sendable, Encodable {
        /// 201: accepted and removed from the outbox.
        case delivered
        /// 200: the collector already had it; removed.
        case duplicate
        /// Refused for good (now or in an earlier run); kept.
        case refused
        /// Transient failure; kept, retried after `nextAttemptAt`.
        case deferred
        /// Waiting for its backoff; not sent this run.
        case notDue = "not-due"
        /// Not tried: the run stopped because the collector is unreachable or asked to slow down.
        case notTried = "not-tried"
        /// The entry's files cannot be read (left untouched).
        case damaged
    }

    public var name: String
    public var file: String
    public var result: Result
    public var httpStatus: Int?
    public var code: String?
    /// The collector's French message, or the agent's own explanation.
    public var message: String?
    public var messageEN: String?
    public var nextAttemptAt: Date?
    public var retryAfter: TimeInterval?
    /// The refusal dates from an earlier run.
    public var previously = false
    var stopsRun = false
    /// The collector's answer was outside the protocol (wrong URL or a proxy): exit 78.
    public var misconfigured = false

    init(
        entry: OutboxEntry, result: Result, httpStatus: Int? = nil, code: String? = nil, message: String? = nil,
        messageEN: String? = nil, nextAttemptAt: Date? = nil, retryAfter: TimeInterval? = nil, previously: Bool = false,
        stopsRun: Bool = false, misconfigured: Bool = false
    ) {
        name = entry.name
        file = entry.fileName
        self.result = result
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        self.messageEN = messageEN
        self.nextAttemptAt = nextAttemptAt
        self.retryAfter = retryAfter
        self.previously = previously
        self.stopsRun = stopsRun
        self.misconfigured = misconfigured
    }

    enum CodingKeys: String, CodingKey {
        case name, file, result, httpStatus, code, message, messageEN = "message_en", nextAttemptAt, retryAfter, previously
    }
}

/// The run as a whole, and what is left in the outbox.
public struct PushSummary: Sendable {
    public var outcomes: [PushOutcome]
    /// Pairs left waiting for a retry.
    public var pending: Int
    /// Pairs refused for good, waiting for a person.
    public var refused: Int
    /// Entries whose state cannot be read.
    public var damaged: Int
    /// The collector answered outside the push protocol (see `Pusher`).
    public var misconfigured: Bool

    public init(outcomes: [PushOutcome], misconfigured: Bool = false, pending: Int, refused: Int, damaged: Int) {
        self.outcomes = outcomes
        self.misconfigured = misconfigured
        self.pending = pending
        self.refused = refused
        self.damaged = damaged
    }

    /// sysexits: 78 (EX_CONFIG) when the collector URL answers outside the protocol, else 65 when pairs are
    /// refused (or damaged) and need a person, else 75 (EX_TEMPFAIL) when pairs wait for a retry, else 0.
    public var exitCode: Int32 {
        if misconfigured { return 78 }
        if refused > 0 || damaged > 0 { return 65 }
        if pending > 0 { return 75 }
        return 0
    }
}
