import Checks
import Foundation
import Model
import Testing
import TestSupport
import TLSProbe

/// `tls.legacy-protocols` (SSLv3), `tls.compression`, `tls.renegotiation` and the http→https part
/// of `tls.hsts`, against servers started on loopback.
///
/// What is real and what is scripted: no library installed on this Debian can serve SSLv3 or TLS
/// compression (OpenSSL 3.0 is built with `no-ssl3` and `no-zlib`: `openssl list -disabled` lists
/// SSL3 and ZLIB; GnuTLS 3.7 removed both, `gnutls-cli --list --priority NORMAL:+VERS-SSL3.0:+COMP-DEFLATE`
/// shows neither). For those two cases a small Python front (`sslv3-front`, `deflate-front` in
/// `TLSTestServers`) answers the one ClientHello it is about with real ServerHello, Certificate and
/// ServerHelloDone bytes per RFC 6101 / RFC 5246 + RFC 3749, and relays every other connection to a real
/// `openssl s_server`. The renegotiation case is a real GnuTLS server (`%DISABLE_SAFE_RENEGOTIATION`),
/// the redirect cases real nginx on ports 80 and 443.
@Suite(.serialized)
struct TLSLegacyPropertiesTests {
    let folder: TemporaryDirectory
    let factory: CertificateFactory
    let root: CertificateFactory.Issued

    init() throws {
        folder = try TemporaryDirectory(prefix: "cyberctl-tls-legacy")
        factory = try CertificateFactory(folder: folder.url("pki"))
        root = try factory.issue(name: "root", subject: "/CN=Test Root CA/O=Commune de Test", isCA: true)
    }

    /// An RSA leaf (static-RSA suites need one) for localhost and the loopback addresses.
    func leaf(_ name: String, sans: [String] = ["DNS:localhost", "IP:127.0.0.1"]) throws -> CertificateFactory.Issued {
        try factory.issue(name: name, subject: "/CN=localhost", sans: sans, key: .rsa(2048),
                          notBefore: Date().addingTimeInterval(-86_400), notAfter: Date().addingTimeInterval(200 * 86_400), issuer: root)
    }

    func check(_ server: BackgroundServer, https: Bool = false) async -> [String: CheckResult] {
        let check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: server.host, port: server.port), https: https)],
            discover: false, caFile: root.certificatePath)
        let results = await check.run(CheckContext(root: .system))
        return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func acceptedNames(_ result: CheckResult?, version: String) -> [String] {
        guard case .object(let accepted)? = result?.evidence["accepted"], case .array(let items)? = accepted[version] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { return object["openssl"]?.stringValue } else { return nil } }
    }

    /// SSLv3 answered by the scripted front (DES-CBC3-SHA, AES128-SHA, AES256-SHA in that server
    /// order), TLS 1.2 by the real s_server behind it.
    @Test func sslv3AcceptedFailsLegacyProtocols() async throws {
        let leaf = try leaf("sslv3")
        let backend = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_2"], folder: folder.path)
        let front = try TLSTestServers.python("sslv3-front", cert: leaf.certificatePath, key: leaf.keyPath, backend: backend.port, folder: folder.path)
        let results = await check(front)
        #expect(results["tls.connection"] == nil)
        #expect(results["tls.legacy-protocols"]?.status == .fail)
        // TLSRules: "SSLv3, TLS 1.0 or TLS 1.1 accepted (SSLv3: critical)".
        #expect(results["tls.legacy-protocols"]?.severity == .critical)
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["SSLv3", "TLSv1.2"])
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["refused"]) == ["TLSv1", "TLSv1.1", "TLSv1.3"])
        #expect(Set(Self.acceptedNames(results["tls.weak-ciphers"], version: "SSLv3")) == ["DES-CBC3-SHA", "AES128-SHA", "AES256-SHA"])
        #expect(results["tls.weak-ciphers"]?.status == .fail)
        #expect(results["tls.compression"]?.status == .pass)
        #expect(results["tls.renegotiation"]?.status == .pass)
        #expect(results["tls.cert.trust"]?.status == .pass)
    }

    /// A ClientHello offering DEFLATE gets a ServerHello choosing it (compression_method 1).
    @Test func compressionAcceptedFails() async throws {
        let leaf = try leaf("deflate")
        let backend = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"], folder: folder.path)
        let front = try TLSTestServers.python("deflate-front", cert: leaf.certificatePath, key: leaf.keyPath, backend: backend.port, folder: folder.path)
        let results = await check(front)
        #expect(results["tls.compression"]?.status == .fail)
        #expect(results["tls.compression"]?.severity == .high)
        #expect(results["tls.compression"]?.evidence["compressionAccepted"] == .bool(true))
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1.2"])
        #expect(results["tls.legacy-protocols"]?.status == .pass)

        // The same real server without the front: compression refused.
        let direct = await check(backend)
        #expect(direct["tls.compression"]?.status == .pass)
        #expect(direct["tls.compression"]?.evidence["compressionAccepted"] == .bool(false))
    }

    /// A real GnuTLS server that does not send renegotiation_info (RFC 5746).
    @Test func missingSecureRenegotiationFails() async throws {
        let leaf = try leaf("insecure-renegotiation")
        let insecure = try TLSTestServers.gnutls(
            cert: leaf.certificatePath, key: leaf.keyPath, priority: "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION", folder: folder.path)
        let results = await check(insecure)
        #expect(results["tls.renegotiation"]?.status == .fail)
        #expect(results["tls.renegotiation"]?.severity == .medium)
        #expect(results["tls.renegotiation"]?.evidence["secureRenegotiation"] == .bool(false))
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1.2"])

        let secure = try TLSTestServers.gnutls(
            cert: leaf.certificatePath, key: leaf.keyPath, priority: "NORMAL:-VERS-ALL:+VERS-TLS1.2", folder: folder.path)
        let secureResults = await check(secure)
        #expect(secureResults["tls.renegotiation"]?.status == .pass)
        #expect(secureResults["tls.renegotiation"]?.evidence["secureRenegotiation"] == .bool(true))
    }

    /// nginx on 80 and 443: `return 301 https://…` passes, a plain 200 on port 80 warns.
    @Test(.enabled(if: getuid() == 0, "ports 80 and 443 need root"))
    func httpRedirectToHTTPS() async throws {
        let certificate = try leaf("redirect")
        let redirecting = try TLSTestServers.nginxStandardPorts(
            cert: certificate.certificatePath, key: certificate.keyPath, redirect: true, folder: folder.path)
        let results = await check(redirecting, https: true)
        #expect(results["tls.hsts"]?.status == .pass)
        #expect(results["tls.hsts"]?.evidence["httpRedirect"] == "redirected")
        #expect(results["tls.hsts"]?.evidence["httpLocation"] == .string("https://\(redirecting.host)/"))
        #expect(results["tls.hsts"]?.evidence["maxAge"] == .int(63_072_000))

        let plain = try TLSTestServers.nginxStandardPorts(
            cert: certificate.certificatePath, key: certificate.keyPath, redirect: false, folder: folder.path)
        let plainResults = await check(plain, https: true)
        #expect(plainResults["tls.hsts"]?.status == .warn)
        #expect(plainResults["tls.hsts"]?.severity == .medium)
        #expect(plainResults["tls.hsts"]?.evidence["httpRedirect"] == "not-redirected")
    }
}
