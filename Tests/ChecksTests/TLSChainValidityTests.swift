import Checks
import Foundation
import Model
import Testing
import TestSupport
import TLSProbe

/// `tls.cert.trust` says what a standard TLS client sees at scan time: chains made at test time (leaf
/// valid under an intermediate that is valid, expired or not yet valid; an expired leaf), served by a
/// real `openssl s_server` on loopback, judged by cyberctl and by the reference tools on the same
/// chain: `openssl verify -CAfile root -untrusted intermediate leaf` and
/// `openssl s_client -verify_return_error`.
@Suite(.serialized)
struct TLSChainValidityTests {
    /// What a reference tool said: OpenSSL's verify error (0 when the chain verified) and its depth.
    struct Verdict: Equatable {
        var error: Int
        var depth: Int?
    }

    struct Chain {
        let folder: TemporaryDirectory
        let root: CertificateFactory.Issued
        let intermediate: CertificateFactory.Issued
        let leaf: CertificateFactory.Issued

        init(intermediateNotBefore: Date = Date() - 30 * 86_400, intermediateNotAfter: Date = Date() + 365 * 86_400,
             leafNotAfter: Date = Date() + 200 * 86_400) throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-chain")
            let factory = try CertificateFactory(folder: folder.url("pki"))
            root = try factory.issue(name: "root", subject: "/CN=Chain Test Root", notBefore: Date() - 400 * 86_400,
                                     notAfter: Date() + 3_650 * 86_400, isCA: true)
            intermediate = try factory.issue(
                name: "intermediate", subject: "/CN=Chain Test Intermediate", notBefore: intermediateNotBefore,
                notAfter: intermediateNotAfter, issuer: root, isCA: true)
            leaf = try factory.issue(
                name: "leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"],
                notBefore: Date() - 60 * 86_400, notAfter: leafNotAfter, issuer: intermediate)
        }
    }

    /// `openssl verify -CAfile root -untrusted intermediate leaf`.
    static func opensslVerify(_ chain: Chain) throws -> Verdict {
        let output = try Command.run("openssl", [
            "verify", "-CAfile", chain.root.certificatePath, "-untrusted", chain.intermediate.certificatePath, chain.leaf.certificatePath,
        ])
        if output.exitCode == 0 { return Verdict(error: 0) }
        let text = output.stdout + output.stderr
        let match = try #require(text.firstMatch(of: /error (\d+) at (\d+) depth lookup/), "openssl verify said: \(text)")
        return Verdict(error: Int(match.1)!, depth: Int(match.2)!)
    }

    /// `openssl s_client -verify_return_error` against the running server.
    static func opensslClient(_ server: BackgroundServer, root: String) throws -> Verdict {
        let output = try Command.run("openssl", [
            "s_client", "-connect", server.endpoint, "-servername", "localhost", "-CAfile", root, "-verify_return_error",
        ], input: Data())
        let text = output.stdout + output.stderr
        if output.exitCode == 0, text.contains("Verify return code: 0 (ok)") { return Verdict(error: 0) }
        let error = try #require(text.firstMatch(of: /verify error:num=(\d+)/), "s_client said: \(text)")
        // s_client prints "depth=N …" for each certificate it examines; the last one is where it stopped.
        let depth = text.matches(of: /depth=(\d+)/).last.map { Int($0.1)! }
        return Verdict(error: Int(error.1)!, depth: depth)
    }

    /// cyberctl's results for the chain served by `openssl s_server`, with the reference verdicts.
    static func judge(_ chain: Chain) async throws -> (results: [String: CheckResult], verify: Verdict, client: Verdict) {
        let server = try TLSTestServers.openssl(
            cert: chain.leaf.certificatePath, key: chain.leaf.keyPath, chain: chain.intermediate.certificatePath,
            arguments: [], folder: chain.folder.path)
        var check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: server.host, port: server.port, serverName: "localhost"), https: false)],
            discover: false, caFile: chain.root.certificatePath)
        check.connectionTimeout = 5
        let results = await check.run(CheckContext(root: .system))
        let verify = try opensslVerify(chain)
        let client = try opensslClient(server, root: chain.root.certificatePath)
        return (Dictionary(results.map { ($0.code, $0) }) { first, _ in first }, verify, client)
    }

    /// cyberctl's verdict as a `Verdict`: 0 when trusted, else OpenSSL's code and depth from the evidence.
    static func verdict(_ trust: CheckResult?) -> Verdict? {
        guard let trust else { return nil }
        if trust.status == .pass { return Verdict(error: 0) }
        guard case .int(let code)? = trust.evidence["verifyErrorCode"], case .int(let depth)? = trust.evidence["errorDepth"] else { return nil }
        return Verdict(error: code, depth: depth)
    }

    static func failed(_ trust: CheckResult?) -> [String: JSONValue] {
        guard case .object(let object)? = trust?.evidence["failedCertificate"] else { return [:] }
        return object
    }

    @Test func validChainPassesAsForOpenSSL() async throws {
        let (results, verify, client) = try await Self.judge(try Chain())
        #expect(verify == Verdict(error: 0))
        #expect(client == Verdict(error: 0))
        #expect(results["tls.cert.trust"]?.status == .pass)
        #expect(results["tls.cert.expiry"]?.status == .pass)
    }

    @Test func expiredIntermediateFailsTrustAsForOpenSSL() async throws {
        let chain = try Chain(intermediateNotBefore: Date() - 400 * 86_400, intermediateNotAfter: Date() - 86_400)
        let (results, verify, client) = try await Self.judge(chain)
        // X509_V_ERR_CERT_HAS_EXPIRED at depth 1, for both reference tools.
        #expect(verify == Verdict(error: 10, depth: 1))
        #expect(client.error == 10)
        let trust = results["tls.cert.trust"]
        #expect(trust?.status == .fail)
        #expect(Self.verdict(trust) == verify)
        #expect(trust?.evidence["problem"] == "expired")
        let failed = Self.failed(trust)
        #expect(failed["role"] == "intermediate")
        #expect(failed["subject"]?.stringValue?.contains("Chain Test Intermediate") == true)
        #expect(failed["depth"] == .int(1))
        #expect(trust?.reason?.hasPrefix("intermediate certificate \"CN=Chain Test Intermediate\": certificate has expired (notAfter ") == true, "\(trust?.reason ?? "")")
        // The served intermediate is expired: the expiry rule says so too.
        #expect(results["tls.cert.expiry"]?.status == .fail)
        #expect(results["tls.cert.expiry"]?.evidence["position"] == .int(2))
    }

    @Test func notYetValidIntermediateFailsTrustAsForOpenSSL() async throws {
        let chain = try Chain(intermediateNotBefore: Date() + 2 * 86_400, intermediateNotAfter: Date() + 400 * 86_400)
        let (results, verify, client) = try await Self.judge(chain)
        // X509_V_ERR_CERT_NOT_YET_VALID at depth 1.
        #expect(verify == Verdict(error: 9, depth: 1))
        #expect(client.error == 9)
        let trust = results["tls.cert.trust"]
        #expect(trust?.status == .fail)
        #expect(Self.verdict(trust) == verify)
        #expect(trust?.evidence["problem"] == "not-yet-valid")
        #expect(Self.failed(trust)["role"] == "intermediate")
        #expect(trust?.reason?.contains("certificate is not yet valid (notBefore ") == true, "\(trust?.reason ?? "")")
    }

    @Test func expiredLeafFailsTrustAsForOpenSSL() async throws {
        let chain = try Chain(leafNotAfter: Date() - 86_400)
        let (results, verify, client) = try await Self.judge(chain)
        #expect(verify == Verdict(error: 10, depth: 0))
        #expect(client.error == 10)
        let trust = results["tls.cert.trust"]
        #expect(trust?.status == .fail)
        #expect(Self.verdict(trust) == verify)
        #expect(Self.failed(trust)["role"] == "leaf")
        #expect(results["tls.cert.expiry"]?.status == .fail)
        #expect(results["tls.cert.expiry"]?.severity == .critical)
    }
}
