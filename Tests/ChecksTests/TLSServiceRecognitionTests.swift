import Checks
import Foundation
import Model
import Testing
import TestSupport
import TLSProbe

/// What an endpoint speaks, recognised from what it says, never from its port: HTTPS by ALPN or an
/// HTTP answer after the handshake (HSTS and the plain-http redirect then judged on any port), and
/// the plain protocol of a port that answers without TLS (HTTP, SSH, SMTP, IMAP, POP3). Real nginx,
/// openssl, sshd, aiosmtpd and Dovecot servers on random loopback ports.
@Suite(.serialized)
struct TLSServiceRecognitionTests {
    final class PKI {
        let folder: TemporaryDirectory
        let root: CertificateFactory.Issued
        let leaf: CertificateFactory.Issued

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-tls-web")
            let factory = try CertificateFactory(folder: folder.url("pki"))
            root = try factory.issue(name: "root", subject: "/CN=Web Test Root", isCA: true)
            leaf = try factory.issue(name: "leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"], issuer: root)
        }

        var path: String { folder.path }
    }

    /// Runs the check on `host:port`, with `https` left to detection unless given; results by code.
    func check(_ port: UInt16, pki: PKI, https: Bool? = nil, startTLS: StartTLSProtocol? = nil) async -> [String: CheckResult] {
        var check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: "127.0.0.1", port: port, startTLS: startTLS), https: https)],
            discover: false, caFile: pki.root.certificatePath)
        check.connectionTimeout = 5
        let results = await check.run(CheckContext(root: .system))
        return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
    }

    static let hsts = #"add_header Strict-Transport-Security "max-age=63072000" always;"#

    // MARK: - HTTPS whatever the port

    @Test func nginxOnARandomPortIsHTTPSByALPNAndHSTSIsJudged() async throws {
        let pki = try PKI()
        let with = try TLSTestServers.nginx(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: Self.hsts, folder: pki.path)
        let withResults = await check(with.port, pki: pki)
        let hsts = withResults["tls.hsts"]
        #expect(hsts?.status == .pass, "\(hsts?.reason ?? "") \(hsts?.evidence ?? [:])")
        #expect(hsts?.evidence["recognisedBy"] == "alpn")
        #expect(hsts?.evidence["alpn"] == "http/1.1")
        #expect(hsts?.evidence["maxAge"] == .int(63_072_000))
        // Plain HTTP on the TLS port: nginx answers 400 ("plain HTTP request sent to HTTPS port").
        #expect(hsts?.evidence["httpURL"] == .string("http://127.0.0.1:\(with.port)/"))
        #expect(hsts?.evidence["httpRedirect"] == "plain-http-refused")
        #expect(hsts?.evidence["httpStatus"] == .int(400))

        let without = try TLSTestServers.nginx(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: "", folder: pki.path)
        let withoutResults = await check(without.port, pki: pki)
        #expect(withoutResults["tls.hsts"]?.status == .fail)
        #expect(withoutResults["tls.hsts"]?.evidence["recognisedBy"] == "alpn")
    }

    @Test func plainHTTPRedirectedOnTheSamePortPasses() async throws {
        let pki = try PKI()
        // nginx's 497: a plain HTTP request on an HTTPS port, sent to https:// on the same port.
        let extra = Self.hsts + "\nerror_page 497 =301 https://$host:$server_port$request_uri;"
        let server = try TLSTestServers.nginx(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: extra, folder: pki.path)
        let results = await check(server.port, pki: pki)
        #expect(results["tls.hsts"]?.status == .pass)
        #expect(results["tls.hsts"]?.evidence["httpRedirect"] == "redirected")
        #expect(results["tls.hsts"]?.evidence["httpLocation"]?.stringValue?.hasPrefix("https://127.0.0.1:\(server.port)/") == true)
    }

    @Test func tlsFrontWithoutALPNIsHTTPSByItsHTTPAnswer() async throws {
        let pki = try PKI()
        let with = try TLSTestServers.nginxStreamFront(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: Self.hsts, folder: pki.path)
        let withResults = await check(with.port, pki: pki)
        let hsts = withResults["tls.hsts"]
        #expect(hsts?.status == .pass, "\(hsts?.reason ?? "") \(hsts?.evidence ?? [:])")
        #expect(hsts?.evidence["recognisedBy"] == "http-answer")
        #expect(hsts?.evidence["alpn"] == nil)
        // The TLS front drops a plain request: nothing is served in clear.
        #expect(hsts?.evidence["httpRedirect"] == "no-http-service")

        let without = try TLSTestServers.nginxStreamFront(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: "", folder: pki.path)
        let withoutResults = await check(without.port, pki: pki)
        #expect(withoutResults["tls.hsts"]?.status == .fail)
        #expect(withoutResults["tls.hsts"]?.evidence["recognisedBy"] == "http-answer")
    }

    @Test func opensslWWWServerIsHTTPSByItsAnswer() async throws {
        let pki = try PKI()
        let server = try TLSTestServers.openssl(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, arguments: ["-tls1_3"], folder: pki.path)
        let results = await check(server.port, pki: pki)
        // s_server -www answers HTTP/1.0 200 without HSTS; a plain request gets nothing back.
        #expect(results["tls.hsts"]?.status == .fail)
        #expect(results["tls.hsts"]?.evidence["httpsStatus"] == .int(200))
        #expect(results["tls.hsts"]?.evidence["httpRedirect"] == "no-http-service")
    }

    @Test func tlsServiceRefusingWebALPNIsNotHTTPS() async throws {
        let pki = try PKI()
        // An ALPN server knowing only "imap" refuses h2/http/1.1 with no_application_protocol (RFC 7301 §3.2).
        let server = try TLSTestServers.openssl(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, arguments: ["-alpn", "imap"], folder: pki.path)
        let results = await check(server.port, pki: pki)
        #expect(results["tls.hsts"]?.status == .skip)
        #expect(results["tls.hsts"]?.reason?.contains("no_application_protocol") == true)
        // The probe went on without ALPN: every other rule was judged.
        #expect(results["tls.connection"] == nil)
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(results["tls.cert.trust"]?.status == .pass)
    }

    @Test func imapsIsNotAWebService() async throws {
        let pki = try PKI()
        let dovecot = try PlainTestServers.dovecot(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, folder: pki.path)
        let results = await check(dovecot.imaps, pki: pki)
        #expect(results["tls.connection"] == nil, "\(results["tls.connection"]?.reason ?? "")")
        let hsts = results["tls.hsts"]
        #expect(hsts?.status == .skip, "\(hsts?.reason ?? "")")
        #expect(hsts?.reason?.contains("no HTTP answer") == true, "\(hsts?.reason ?? "")")
        #expect(results["tls.cert.trust"]?.status == .pass)
        _ = dovecot.server
    }

    @Test func declaredHTTPSFalseSkipsWithTheReason() async throws {
        let pki = try PKI()
        let server = try TLSTestServers.nginx(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: "", folder: pki.path)
        let results = await check(server.port, pki: pki, https: false)
        #expect(results["tls.hsts"]?.status == .skip)
        #expect(results["tls.hsts"]?.reason == "declared https: false in the profile")
    }

    // MARK: - What a port that does not speak TLS speaks

    /// `tls.connection` errs and says what the port speaks instead.
    func expectSpeaks(_ results: [String: CheckResult], _ name: String, _ firstLine: String) {
        #expect(results.count == 1)
        let connection = results["tls.connection"]
        #expect(connection?.status == .error)
        #expect(connection?.evidence["speaks"] == .string(name), "\(connection?.reason ?? "")")
        #expect(connection?.evidence["firstLine"]?.stringValue?.hasPrefix(firstLine) == true, "\(connection?.evidence ?? [:])")
        #expect(connection?.reason?.contains("does not speak TLS: speaks \(name.uppercased())") == true, "\(connection?.reason ?? "")")
    }

    @Test func plainHTTPPortSaysHTTP() async throws {
        let pki = try PKI()
        let server = try TLSTestServers.nginxPlain(folder: pki.path)
        let results = await check(server.port, pki: pki)
        expectSpeaks(results, "http", "HTTP/1.1 400 Bad Request")
        #expect(results["tls.connection"]?.evidence["server"]?.stringValue?.hasPrefix("nginx") == true, "\(results["tls.connection"]?.evidence ?? [:])")
    }

    @Test func sshPortSaysSSH() async throws {
        let pki = try PKI()
        let server = try PlainTestServers.sshd(folder: pki.path)
        let results = await check(server.port, pki: pki)
        expectSpeaks(results, "ssh", "SSH-2.0-OpenSSH_")
    }

    @Test func smtpPortSaysSMTPAndSuggestsSTARTTLS() async throws {
        let pki = try PKI()
        let server = try PlainTestServers.smtp(folder: pki.path)
        let results = await check(server.port, pki: pki)
        expectSpeaks(results, "smtp", "220 ")
        #expect(results["tls.connection"]?.reason?.contains("give starttls: smtp") == true)
    }

    @Test func imapAndPOP3PortsSayWhatTheySpeak() async throws {
        let pki = try PKI()
        let dovecot = try PlainTestServers.dovecot(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, folder: pki.path)
        expectSpeaks(await check(dovecot.imap, pki: pki), "imap", "* OK")
        expectSpeaks(await check(dovecot.pop3, pki: pki), "pop3", "+OK Dovecot")
        // The same IMAP port with STARTTLS: a real TLS service.
        let upgraded = await check(dovecot.imap, pki: pki, startTLS: .imap)
        #expect(upgraded["tls.connection"] == nil, "\(upgraded["tls.connection"]?.reason ?? "")")
        #expect(upgraded["tls.hsts"]?.status == .skip)
        _ = dovecot.server
    }

    @Test func startTLSAgainstTheWrongProtocolNamesIt() async throws {
        let pki = try PKI()
        let server = try PlainTestServers.sshd(folder: pki.path)
        let results = await check(server.port, pki: pki, startTLS: .imap)
        #expect(results["tls.connection"]?.status == .error)
        #expect(results["tls.connection"]?.reason?.contains("(the port speaks SSH)") == true, "\(results["tls.connection"]?.reason ?? "")")
    }

    // MARK: - Discovery of TLS on other ports

    @Test func otherListeningPortsAreProbedOnlyWhenTheyAnswerTLS() async throws {
        let pki = try PKI()
        let console = try TLSTestServers.nginx(cert: pki.leaf.certificatePath, key: pki.leaf.keyPath, extra: "", folder: pki.path)
        let ssh = try PlainTestServers.sshd(folder: pki.path)
        let web = try TLSTestServers.nginxPlain(folder: pki.path)
        let prober = try TLSProber(limits: ProbeLimits(connectionTimeout: 5))
        #expect(await prober.speech(TLSEndpoint(host: "127.0.0.1", port: console.port)) == .tls)
        guard case .other(let banner) = await prober.speech(TLSEndpoint(host: "127.0.0.1", port: ssh.port)) else {
            Issue.record("sshd not recognised")
            return
        }
        #expect(banner.name == "ssh")
        guard case .other(let page) = await prober.speech(TLSEndpoint(host: "127.0.0.1", port: web.port)) else {
            Issue.record("plain nginx not recognised")
            return
        }
        #expect(page.name == "http")

        // Discovery through a socket table naming the three: only the TLS console is probed, as HTTPS.
        let folder = try TemporaryDirectory()
        func line(_ index: Int, _ port: UInt16) -> String {
            "   \(index): 0100007F:\(String(format: "%04X", port)) 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 \(1000 + index) 1 0 100 0 0 10 0"
        }
        try folder.write("proc/net/tcp", (["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"]
            + [console.port, ssh.port, web.port].enumerated().map { line($0.offset, $0.element) }).joined(separator: "\n") + "\n")
        var check = TLSEndpointCheck()
        check.caFile = pki.root.certificatePath
        let results = await check.run(CheckContext(root: try FileSystemRoot(folder.path)))
        #expect(Set(results.map(\.target)) == ["127.0.0.1:\(console.port)"], "\(results.map { "\($0.target) \($0.code) \($0.reason ?? "")" })")
        #expect(results.first { $0.code == "tls.hsts" }?.status == .fail)
        #expect(results.first { $0.code == "tls.cert.hostname" }?.status == .skip)
    }
}
