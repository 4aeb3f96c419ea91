internal import CUnbound
import Dispatch
import FoundationEssentials
import FoundationGaps
import NIS2

#if canImport(Glibc)
import Glibc
import Model
#endif

/// DNS record types the exposure checks ask for (IANA "Resource Record (RR) TYPEs").
public enum DNSType: Int32, Sendable, CaseIterable {
    case a = 1, ns = 2, cname = 5, soa = 6, mx = 15, txt = 16, aaaa = 28, ds = 43, dnskey = 48, tlsa = 52, caa = 257

    public var name: String {
        switch self {
        case .a: return "A"
        case .ns: return "NS"
        case .cname: return "CNAME"
        case .soa: return "SOA"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        case .ds: return "DS"
        case .dnskey: return "DNSKEY"
        case .tlsa: return "TLSA"
        case .caa: return "CAA"
        }
    }
}

/// What DNSSEC validation said about an answer (RFC 4035 §4.3 states).
public enum DNSSecurity: Sendable, Equatable {
    /// Validated from the trust anchor down.
    case secure
    /// Provably unsigned (an insecure delegation), or validation was not possible because no trust anchor is set.
    case insecure
    /// Signed, but the signatures do not validate; the reason as libunbound gives it (`why_bogus`).
    case bogus(String)
}

/// One answer from the resolver: records, "no such name", "no such record", or a failure.
///
/// A failure (SERVFAIL, REFUSED, timeout, a bogus DNSSEC answer) says nothing about whether the record
/// exists: the rules turn it into `error`, never into "absent" (NXDOMAIN and NODATA are the only "absent").
public struct DNSAnswer: Sendable {
    public let name: String
    public let type: DNSType
    /// Record data in wire format, one element per record (names uncompressed).
    public var records: [[UInt8]] = []
    /// The DNS response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).
    public var rcode: Int = 0
    public var security: DNSSecurity = .insecure
    /// Why no usable answer came back; nil for records, NXDOMAIN and NODATA.
    public var failure: String?
    /// The name the records belong to after CNAMEs, when it differs from `name`.
    public var canonicalName: String?

    public init(name: String, type: DNSType) {
        self.name = name
        self.type = type
    }

    /// The name does not exist (NXDOMAIN): a verified absence.
    public var isNXDomain: Bool { failure == nil && rcode == 3 }
    /// The resolver answered and there is no record of this type (NODATA or NXDOMAIN): a verified absence.
    public var isAbsent: Bool { failure == nil && records.isEmpty }

    /// `TXT mairie.test: SERVFAIL` for reasons.
    public var describedFailure: String { "\(type.name) \(name): \(failure ?? "no failure")" }

    /// `describedFailure` in both languages (`TXT mairie.test : délai dépassé`); rcode names and libunbound's own
    /// texts as they are.
    public var localizedFailure: LocalizedText {
        let why = failure.map(Self.failureText) ?? LocalizedText(fr: "aucun échec", en: "no failure")
        return LocalizedText(fr: "\(type.name) \(name) : \(why.fr)", en: "\(type.name) \(name): \(why.en)")
    }

    /// A `failure` in both languages.
    public static func failureText(_ failure: String) -> LocalizedText {
        switch failure {
        case "resolver closed": return LocalizedText(fr: "résolveur fermé", en: failure)
        case "cancelled": return LocalizedText(fr: "annulé", en: failure)
        default: break
        }
        if failure.hasPrefix("no answer within "), failure.hasSuffix(" (timeout)") {
            let seconds = failure.dropFirst("no answer within ".count).dropLast(" (timeout)".count)
            return LocalizedText(fr: "pas de réponse en \(seconds) (délai dépassé)", en: failure)
        }
        if failure.hasPrefix("DNSSEC validation failed (bogus): ") {
            return LocalizedText(fr: "échec de la validation DNSSEC (bogus) : " + failure.dropFirst("DNSSEC validation failed (bogus): ".count), en: failure)
        }
        return .verbatim(failure)
    }

    static func rcodeName(_ rcode: Int) -> String {
        switch rcode {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "RCODE \(rcode)"
        }
    }
}

/// How the resolver finds answers and validates them.
public struct DNSResolverConfiguration: Sendable, Equatable {
    /// Resolvers to forward to (`192.0.2.53`, `127.0.0.1@5353`, `2001:db8::53`); empty: those of `resolvConf`.
    public var forwarders: [String] = []
    /// A resolv.conf whose `nameserver` lines are the forwarders when none is given.
    public var resolvConf = "/etc/resolv.conf"
    /// Trust anchor file (DS or DNSKEY records in zone-file format, as Debian's `/usr/share/dns/root.key`);
    /// nil: no DNSSEC validation (every answer is then `insecure`, and `dns.dnssec` says it could not validate).
    public var trustAnchorFile: String?
    /// A stub zone: every name under `zone` is asked of `address` directly (no recursion), with no
    /// validation. Used to ask one authoritative server for its SOA.
    public var stub: (zone: String, address: String)? {
        get { stubZone.map { ($0, stubAddress ?? "") } }
        set {
            stubZone = newValue?.zone
            stubAddress = newValue?.address
        }
    }
    private var stubZone: String?
    private var stubAddress: String?
    /// Deadline of one query, seconds: past it the query is cancelled and answers a timeout failure.
    public var queryTimeout: Double = 5

    /// Debian's copy of the root zone's trust anchor (package dns-root-data).
    public static let systemTrustAnchor = "/usr/share/dns/root.key"

    public init() {}
}

/// Why a resolver could not be set up.
public struct DNSResolverError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A validating DNS resolver over libunbound (NLnet Labs), shared by the checks of one run.
///
/// Queries are asynchronous (`ub_resolve_async`) and each has a deadline: a query still unanswered
/// after `queryTimeout` seconds is cancelled (`ub_cancel`) and answers a failure, so no domain can hold a
/// scan longer than its bounds. One thread owns the libunbound context: it submits queries, waits on the
/// context's file descriptor with `poll(2)` and delivers answers (`ub_process`); callers only queue
/// requests and wait for their answer. Call `close()` when done (the thread stops, the context is freed).
public final class DNSResolver: @unchecked Sendable {
    private let context: OpaquePointer
    private let timeout: Double
    private let lock = Lock()
    /// Queries waiting to be submitted by the resolver thread.
    private var inbox: [Request] = []
    /// Submitted queries, by libunbound's async id.
    private var pending: [Int32: Request] = [:]
    private var closed = false
    /// The callback boxes of submitted queries (resolver thread only).
    private var boxes: [Int32: Unmanaged<CallbackBox>] = [:]
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private let finished = DispatchSemaphore(value: 0)

    final class Request: @unchecked Sendable {
        let name: String
        let type: DNSType
        let deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<DNSAnswer, Never>?
        var cancelled = false
        init(name: String, type: DNSType, deadline: ContinuousClock.Instant, continuation: CheckedContinuation<DNSAnswer, Never>) {
            self.name = name
            self.type = type
            self.deadline = deadline
            self.continuation = continuation
        }

        func finish(_ answer: DNSAnswer) {
            continuation?.resume(returning: answer)
            continuation = nil
        }
    }

    /// Sets up libunbound: threads instead of a forked process, forwarders (or resolv.conf), trust anchor.
    /// - Throws: `DNSResolverError` naming the setting libunbound refused (an unreadable trust anchor
    ///   file, a malformed forwarder address, a missing resolv.conf).
    public init(_ configuration: DNSResolverConfiguration) throws(DNSResolverError) {
        guard let context = ub_ctx_create() else { throw DNSResolverError(description: "libunbound: ub_ctx_create failed") }
        self.context = context
        timeout = configuration.queryTimeout
        func check(_ code: Int32, _ what: String) throws(DNSResolverError) {
            guard code == 0 else {
                ub_ctx_delete(context)
                throw DNSResolverError(description: "\(what): \(String(cString: ub_strerror(code)))")
            }
        }
        // Resolve in threads of this process: the default forks a worker, unsafe in a threaded program.
        try check(ub_ctx_async(context, 1), "libunbound: threaded mode")
        // No answer is worth more than the deadline; keep libunbound's own retries within it.
        _ = ub_ctx_set_option(context, "outgoing-range:", "256")
        if let stub = configuration.stub {
            try check(ub_ctx_set_option(context, "do-not-query-localhost:", "no"), "libunbound: do-not-query-localhost")
            try check(ub_ctx_set_stub(context, stub.zone, stub.address, 0), "stub zone \(stub.zone) at \(stub.address)")
        } else if configuration.forwarders.isEmpty {
            try check(ub_ctx_resolvconf(context, configuration.resolvConf), "resolver configuration \(configuration.resolvConf)")
            try check(ub_ctx_set_option(context, "do-not-query-localhost:", "no"), "libunbound: do-not-query-localhost")
        } else {
            try check(ub_ctx_set_option(context, "do-not-query-localhost:", "no"), "libunbound: do-not-query-localhost")
            for forwarder in configuration.forwarders {
                try check(ub_ctx_set_fwd(context, forwarder), "forwarder \"\(forwarder)\"")
            }
        }
        if let anchor = configuration.trustAnchorFile {
            guard FileManager.default.isReadableFile(atPath: anchor) else {
                ub_ctx_delete(context)
                throw DNSResolverError(description: "trust anchor \(anchor): not a readable file")
            }
            try check(ub_ctx_add_ta_file(context, anchor), "trust anchor \(anchor)")
        }
        // libunbound answers the RFC 6761 name "test." itself (NXDOMAIN); let a lab's own .test zones (tests,
        // training set-ups) be asked of the resolver instead. No public name is affected. This call ends the
        // configuration (libunbound finalises it), so it comes last.
        try check(ub_ctx_zone_remove(context, "test."), "libunbound: local zone test.")
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            ub_ctx_delete(context)
            throw DNSResolverError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
        DetachedThread.start(name: "cyberctl-dns") { [self] in loop() }
    }

    deinit {
        ub_ctx_delete(context)
        if wakeRead >= 0 { Glibc.close(wakeRead) }
        if wakeWrite >= 0 { Glibc.close(wakeWrite) }
    }

    /// Stops the resolver thread; queries still waiting answer a failure. Safe to call twice.
    public func close() {
        let wasClosed = lock.withLock {
            let was = closed
            closed = true
            return was
        }
        guard !wasClosed else { return }
        wake()
        finished.wait()
    }

    /// Asks for `type` records of `name`.
    /// - Returns: the answer, or a failure (timeout after `queryTimeout` seconds, SERVFAIL, bogus, closed
    ///   resolver, task cancelled). Never throws.
    public func query(_ name: String, _ type: DNSType) async -> DNSAnswer {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let slot = RequestSlot()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let created = Request(name: name, type: type, deadline: deadline, continuation: continuation)
                let accepted = lock.withLock {
                    guard !closed else { return false }
                    // A task cancelled before this point ran its handler with no request to mark: mark it here,
                    // or the query would wait for its whole timeout.
                    created.cancelled = slot.cancelled || Task.isCancelled
                    slot.request = created
                    inbox.append(created)
                    return true
                }
                if accepted {
                    wake()
                } else {
                    var answer = DNSAnswer(name: name, type: type)
                    answer.failure = "resolver closed"
                    created.finish(answer)
                }
            }
        } onCancel: {
            lock.withLock {
                slot.cancelled = true
                slot.request?.cancelled = true
            }
            wake()
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// The resolver thread: submit, wait, deliver, expire.
    private func loop() {
        let unboundFD = ub_fd(context)
        var fds = [pollfd(fd: unboundFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while true {
            let (stop, newRequests) = lock.withLock { () -> (Bool, [Request]) in
                let taken = inbox
                inbox.removeAll()
                return (closed, taken)
            }
            if stop { break }
            for request in newRequests { submit(request) }
            expire()
            // Sleep until an answer, a new request, or the nearest deadline (at most 250 ms).
            let nearest = lock.withLock { pending.values.map(\.deadline).min() }
            var waitMs: Int32 = 250
            if let nearest {
                let left = nearest - ContinuousClock.now
                let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                waitMs = Int32(max(0, min(250, ms + 1)))
            }
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, waitMs)
            if ready > 0 {
                if fds[1].revents != 0 {
                    var drain = [UInt8](repeating: 0, count: 64)
                    while read(wakeRead, &drain, drain.count) > 0 {}
                }
                if fds[0].revents != 0 { _ = ub_process(context) }
            }
        }
        // Closed: cancel what is left and answer it.
        let left = lock.withLock { () -> [Request] in
            let all = Array(pending.values) + inbox
            pending.removeAll()
            inbox.removeAll()
            return all
        }
        for (id, box) in boxes {
            _ = ub_cancel(context, id)
            box.release()
        }
        boxes.removeAll()
        for request in left {
            var answer = DNSAnswer(name: request.name, type: request.type)
            answer.failure = "resolver closed"
            request.finish(answer)
        }
        finished.signal()
    }

    private func submit(_ request: Request) {
        let box = Unmanaged.passRetained(CallbackBox(resolver: self, request: request))
        var id: Int32 = 0
        let code = ub_resolve_async(context, request.name, Int32(request.type.rawValue), 1, box.toOpaque(), dnsCallback, &id)
        if code != 0 {
            box.release()
            var answer = DNSAnswer(name: request.name, type: request.type)
            answer.failure = "libunbound: \(String(cString: ub_strerror(code)))"
            request.finish(answer)
            return
        }
        lock.withLock { pending[id] = request }
        box.takeUnretainedValue().id = id
        boxes[id] = box
    }

    /// Cancels queries past their deadline or whose task was cancelled, answering them a failure.
    private func expire() {
        let now = ContinuousClock.now
        let due = lock.withLock { () -> [(Int32, Request)] in
            let due = pending.filter { $0.value.deadline <= now || $0.value.cancelled }
            for (id, _) in due { pending[id] = nil }
            return Array(due)
        }
        for (id, request) in due {
            // After ub_cancel the callback is never called: its box is released here.
            _ = ub_cancel(context, id)
            boxes.removeValue(forKey: id)?.release()
            var answer = DNSAnswer(name: request.name, type: request.type)
            answer.failure = request.cancelled ? "cancelled" : "no answer within \(Self.seconds(timeout)) s (timeout)"
            request.finish(answer)
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Called on the resolver thread from `ub_process`.
    fileprivate func deliver(_ request: Request, id: Int32, error: Int32, result: UnsafeMutablePointer<ub_result>?) {
        let wasPending = lock.withLock { pending.removeValue(forKey: id) != nil }
        boxes.removeValue(forKey: id)?.release()
        defer { if let result { ub_resolve_free(result) } }
        guard wasPending else { return }
        var answer = DNSAnswer(name: request.name, type: request.type)
        guard error == 0, let result else {
            answer.failure = "libunbound: \(String(cString: ub_strerror(error)))"
            request.finish(answer)
            return
        }
        let value = result.pointee
        answer.rcode = Int(value.rcode)
        if value.bogus != 0 {
            let why = value.why_bogus.map { String(cString: $0) } ?? "signatures do not validate"
            answer.security = .bogus(why)
            answer.failure = "DNSSEC validation failed (bogus): \(why)"
        } else if value.secure != 0 {
            answer.security = .secure
        }
        if let canonical = value.canonname.map({ String(cString: $0) }), canonical.lowercased().trimmingSuffix(".") != request.name.lowercased().trimmingSuffix(".") {
            answer.canonicalName = canonical
        }
        if answer.failure == nil, value.rcode != 0, value.rcode != 3 {
            answer.failure = DNSAnswer.rcodeName(Int(value.rcode))
        }
        if answer.failure == nil, value.havedata != 0, let data = value.data, let lengths = value.len {
            var index = 0
            while let pointer = data[index] {
                let length = Int(lengths[index])
                answer.records.append(pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
                index += 1
            }
        }
        request.finish(answer)
    }
}

/// The request of one `query`, for its cancellation handler (guarded by the resolver's lock).
/// The request of one `query` call and whether its task was cancelled, shared with its cancellation
/// handler (guarded by the resolver's lock).
final class RequestSlot: @unchecked Sendable {
    var request: DNSResolver.Request?
    var cancelled = false
}

/// What the C callback needs: the resolver and the request. Retained from submission until the
/// callback runs or the query is cancelled (both on the resolver thread).
final class CallbackBox: @unchecked Sendable {
    let resolver: DNSResolver
    let request: DNSResolver.Request
    var id: Int32 = 0

    init(resolver: DNSResolver, request: DNSResolver.Request) {
        self.resolver = resolver
        self.request = request
    }
}

/// libunbound's result callback (`ub_callback_type`): runs on the resolver thread inside `ub_process`.
private let dnsCallback: ub_callback_type = { data, error, result in
    guard let data else { return }
    let box = Unmanaged<CallbackBox>.fromOpaque(data).takeUnretainedValue()
    box.resolver.deliver(box.request, id: box.id, error: error, result: result)
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
