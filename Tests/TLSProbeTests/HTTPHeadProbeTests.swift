import Foundation
import Testing
import TestSupport
@testable import TLSProbe

/// `HTTPHeadProbe`, which replaced libcurl for `tls.hsts` (issue 19): the same status, HSTS header and
/// redirect URL as the curl command line reads from real nginx on loopback, and the same failure classes.
@Suite(.serialized) struct HTTPHeadProbeTests {
    /// Runs `exchange` against canned answers (one chunk per receive, then end of stream).
    static func exchange(_ chunks: [String], base: String = "http://example.test") -> Result<HTTPHeadProbe.Response, HTTPHeadProbe.Failure> {
        var pending = chunks.map { Array($0.utf8) }
        return HTTPHeadProbe.exchange(
            Array("GET / HTTP/1.1\r\n\r\n".utf8), base: base, send: { _ throws(ProbeNetworkError) in },
            receive: { () throws(ProbeNetworkError) in
                guard !pending.isEmpty else { throw .closed }
                return pending.removeFirst()
            })
    }

    @Test("status line, first HSTS header whatever its case, Location only on a 3xx and made absolute, 1xx skipped")
    func headsAreReadAsCurlReadsThem() throws {
        let ok = try Self.exchange(["HTTP/1.1 200 OK\r\nstrict-transport-security:  max-age=63072000 \r\n", "Strict-Transport-Security: max-age=1\r\nLocation: /x\r\n\r\nbody"]).get()
        #expect(ok == .init(status: 200, hsts: "max-age=63072000", location: nil))
        let interim = try Self.exchange(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 301 Moved\r\nLocation: /login\r\n\r\n"]).get()
        #expect(interim == .init(status: 301, hsts: nil, location: "http://example.test/login"))
        #expect(try Self.exchange(["HTTP/2 308 \r\nLocation: https://example.test:8443/\r\n\r\n"]).get().location == "https://example.test:8443/")
        #expect(try Self.exchange(["HTTP/1.0 302 Found\nLocation: //other.test/\n\n"]).get().location == "http://other.test/")
        #expect(HTTPHeadProbe.resolve("next", against: "https://h.test:8443") == "https://h.test:8443/next")
    }

    @Test("no byte, bytes that are not a status line, a malformed status line: not HTTP; a cut head proves nothing")
    func failuresAreClassified() {
        guard case .failure(.notHTTP) = Self.exchange([]) else { Issue.record("empty reply"); return }
        guard case .failure(.notHTTP) = Self.exchange(["SSH-2.0-OpenSSH_9.2p1\r\n"]) else { Issue.record("SSH banner"); return }
        guard case .failure(.notHTTP) = Self.exchange(["\u{15}\u{03}\u{03}\u{00}\u{02}\u{02}\u{46}"]) else { Issue.record("TLS alert"); return }
        guard case .failure(.notHTTP) = Self.exchange(["HTTP/1.1 OK\r\n\r\n"]) else { Issue.record("malformed status"); return }
        guard case .failure(.other) = Self.exchange(["HTTP/1.1 200 OK\r\nServer: x\r\n"]) else { Issue.record("cut head"); return }
    }

    /// nginx with HSTS and `error_page 497` sending plain requests on its TLS port to https://.
    static func nginx(folder: TemporaryDirectory) throws -> BackgroundServer {
        let factory = try CertificateFactory(folder: folder.url("pki"))
        let leaf = try factory.issue(name: "leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"])
        let extra = #"add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;"#
            + "\nerror_page 497 =301 https://$host:$server_port/from-plain;"
        return try TLSTestServers.nginx(cert: leaf.certificatePath, key: leaf.keyPath, extra: extra, folder: folder.path)
    }

    /// What the curl command line reads: status, HSTS header, redirect URL.
    static func curl(_ url: String) throws -> HTTPHeadProbe.Response {
        let output = try Command.run("curl", ["-sk", "--http1.1", "-o", "/dev/null", "-D", "-", "-w", "\n%{http_code} %{redirect_url}", url])
        let lines = output.stdout.components(separatedBy: "\r\n").flatMap { $0.components(separatedBy: "\n") }
        let hsts = lines.first { $0.lowercased().hasPrefix("strict-transport-security:") }
            .map { String($0.dropFirst("strict-transport-security:".count)).trimmingCharacters(in: .whitespaces) }
        let last = lines.last { !$0.isEmpty }?.split(separator: " ", maxSplits: 1).map(String.init) ?? []
        return .init(status: Int(last.first ?? "") ?? -1, hsts: hsts, location: last.count > 1 ? last[1] : nil)
    }

    @Test("against real nginx on loopback: over TLS and in clear on its TLS port, what curl reads")
    func realNginxAgreesWithCurl() throws {
        let folder = try TemporaryDirectory()
        let server = try Self.nginx(folder: folder)
        let https = try HTTPHeadProbe.get(host: "localhost", port: server.port, https: true, address: "127.0.0.1", timeout: 5).get()
        #expect(https == (try Self.curl("https://127.0.0.1:\(server.port)/")))
        #expect(https.status == 200)
        #expect(https.hsts == "max-age=63072000; includeSubDomains")
        let plain = try HTTPHeadProbe.get(host: "127.0.0.1", port: server.port, https: false, address: nil, timeout: 5).get()
        #expect(plain == (try Self.curl("http://127.0.0.1:\(server.port)/")))
        #expect(plain.status == 301)
        #expect(plain.location == "https://127.0.0.1:\(server.port)/from-plain")
    }

    @Test("a closed port is refused; a server that resets is a reset")
    func refusedAndReset() throws {
        let closed = try BackgroundServer.freePort()
        guard case .failure(.connectRefused) = HTTPHeadProbe.get(host: "127.0.0.1", port: closed, https: false, address: nil, timeout: 5) else {
            Issue.record("closed port not refused"); return
        }
        let folder = try TemporaryDirectory()
        let server = try TLSTestServers.python("reset", folder: folder.path)
        let outcome = HTTPHeadProbe.get(host: "127.0.0.1", port: server.port, https: false, address: nil, timeout: 5)
        guard case .failure(.reset) = outcome else { Issue.record("reset server: \(outcome)"); return }
    }
}
