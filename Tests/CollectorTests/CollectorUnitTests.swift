import Collector
import Foundation
import NIOCore
import Testing

/// The collector's pieces on their own: the multipart body, the listen address, file names, the rate limit.
@Suite("Collector parts")
struct CollectorUnitTests {
    static func body(_ parts: [(name: String, filename: String?, bytes: String)], boundary: String = "b0undary", close: Bool = true) -> ByteBuffer {
        var text = ""
        for part in parts {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"" + (part.filename.map { "; filename=\"\($0)\"" } ?? "") + "\r\n\r\n"
            text += part.bytes + "\r\n"
        }
        if close { text += "--\(boundary)--\r\n" }
        return ByteBuffer(string: text)
    }

    @Test("two parts, report and signature, in any order; bytes kept exactly (CR, LF and dashes inside)")
    func parsesTwoParts() throws {
        let report = "{\"a\":\"x\r\n--b0und\"}"
        let upload = try ReportUpload.parse(
            Self.body([("signature", "r.json.p7s", "\u{30}\r\n\u{82}--"), ("report", "r.json", report)]),
            contentType: "multipart/form-data; boundary=\"b0undary\"")
        #expect(upload.report == Array(report.utf8))
        #expect(upload.signature == Array("\u{30}\r\n\u{82}--".utf8))
        #expect(upload.reportFileName == "r.json")
    }

    @Test("refusals: not multipart, one part, three parts, unknown or repeated name, no closing delimiter, empty part")
    func refusals() {
        func code(_ body: ByteBuffer, _ type: String? = "multipart/form-data; boundary=b0undary") -> String? {
            do {
                _ = try ReportUpload.parse(body, contentType: type)
                return nil
            } catch {
                return error.code
            }
        }
        let good: [(name: String, filename: String?, bytes: String)] = [("report", "r.json", "{}"), ("signature", nil, "sig")]
        #expect(code(Self.body(good)) == nil)
        #expect(code(Self.body(good), "application/json") == "not-multipart")
        #expect(code(Self.body(good), nil) == "not-multipart")
        #expect(code(Self.body([good[0]])) == "part-count")
        #expect(code(Self.body(good + [("extra", nil, "x")])) == "part-count")
        #expect(code(Self.body([good[0], ("other", nil, "x")])) == "part-name")
        #expect(code(Self.body([good[0], good[0]])) == "part-duplicate")
        #expect(code(Self.body(good, close: false)) == "multipart-incomplete")
        #expect(code(Self.body([good[0], ("signature", nil, "")])) == "part-empty")
    }

    @Test("listen addresses: IPv4, IPv6 in brackets, host names; bad ones refused")
    func listen() {
        #expect(CollectorConfiguration.parseListen("127.0.0.1:8443")! == ("127.0.0.1", 8443))
        #expect(CollectorConfiguration.parseListen("[::1]:8443")! == ("::1", 8443))
        #expect(CollectorConfiguration.parseListen("[::]:0")! == ("::", 0))
        #expect(CollectorConfiguration.parseListen("collector.example.fr:443")! == ("collector.example.fr", 443))
        for bad in ["8443", "::1:8443", "127.0.0.1:", "127.0.0.1:70000", "[::1]8443", ":8443"] {
            #expect(CollectorConfiguration.parseListen(bad) == nil, "\(bad)")
        }
    }

    @Test("file names: the agent's plain *.json name, never a path")
    func fileNames() {
        let sha = String(repeating: "a", count: 64)
        #expect(InboxStore.safeFileName("srv-mairie-2026-11-29.json", sha256: sha) == "srv-mairie-2026-11-29.json")
        for bad in [nil, "../x.json", "a/b.json", ".hidden.json", "report.txt", "é.json", String(repeating: "a", count: 300) + ".json"] {
            #expect(InboxStore.safeFileName(bad, sha256: sha) == "report-\(sha).json")
        }
    }

    @Test("rate limit: a minute's allowance at once, then one token every 60/N seconds, per client")
    func rateLimiter() {
        // 60 a minute: one token a second, exactly representable.
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        for _ in 0..<60 { #expect(limiter.take("a", now: start) == nil) }
        #expect(limiter.take("a", now: start) == 1)
        #expect(limiter.take("b", now: start) == nil)
        #expect(limiter.take("a", now: start + .milliseconds(500)) == 1)
        #expect(limiter.take("a", now: start + .seconds(1)) == nil)
        #expect(limiter.take("a", now: start + .seconds(1)) == 1)
        let slow = RateLimiter(perMinute: 2)
        #expect(slow.take("a", now: start) == nil)
        #expect(slow.take("a", now: start) == nil)
        #expect(slow.take("a", now: start) == 30)
    }
}
