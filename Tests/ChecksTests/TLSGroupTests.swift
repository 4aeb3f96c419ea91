import Checks
import Foundation
import Testing
import TestSupport
import TLSProbe

/// Groups as the probe finds them on real servers restricted with `-groups`: TLS 1.3 through raw
/// hellos with an empty key_share (HelloRetryRequest), TLS 1.2 through the ServerKeyExchange's curve.
@Suite(.serialized)
struct TLSGroupTests {
    static func groups(_ server: BackgroundServer, root: CertificateFactory.Issued) async -> [String] {
        let check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: server.host, port: server.port), https: false)], discover: false, caFile: root.certificatePath)
        let results = await check.run(CheckContext(root: .system))
        guard case .array(let items)? = results.first(where: { $0.code == "tls.forward-secrecy" })?.evidence["groups"] else { return [] }
        return items.compactMap(\.stringValue)
    }

    @Test func tls13AndTLS12GroupsAreTheServersOnly() async throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-tls-groups")
        let factory = try CertificateFactory(folder: folder.url("pki"))
        let root = try factory.issue(name: "root", subject: "/CN=Groups Root", isCA: true)
        let leaf = try factory.issue(name: "leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"], issuer: root)

        let tls13 = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_3", "-groups", "X448:ffdhe2048:P-521"], folder: folder.path)
        #expect(await Self.groups(tls13, root: root) == ["X448", "P-521", "ffdhe2048"])

        // An RSA leaf: with an ECDSA one, a TLS 1.2 server also needs its certificate's curve among the
        // offered groups (RFC 8422 §5.1), so a hello offering one other group alone is refused.
        let rsaLeaf = try factory.issue(name: "rsa-leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"], key: .rsa(2048), issuer: root)
        let tls12 = try TLSTestServers.openssl(
            cert: rsaLeaf.certificatePath, key: rsaLeaf.keyPath, arguments: ["-tls1_2", "-groups", "P-384:P-256"], folder: folder.path)
        #expect(await Self.groups(tls12, root: root) == ["P-256", "P-384"])
    }
}
