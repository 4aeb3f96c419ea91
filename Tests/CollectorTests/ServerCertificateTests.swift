import Agent
import Foundation
import OpenSSLKit
import TestSupport
import Testing
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// `cyberctl pki issue --server` through the built binary, checked with the openssl command; agent
/// certificates checked as TLS client certificates and as CMS signers.
@Suite("Server and client certificates")
struct ServerCertificateTests {
    @Test("pki issue --server: serverAuth, SANs, keyUsage, CA:FALSE, recorded in the index, verifies for sslserver")
    func serverCertificate() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-pki-server")
        let (certificate, _) = try fixture.serverCertificate()
        let text = try CollectorFixture.check(Command.run("openssl", ["x509", "-in", certificate, "-noout", "-text"])).stdout
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(!text.contains("TLS Web Client Authentication"))
        #expect(text.contains("DNS:localhost"))
        #expect(text.contains("IP Address:127.0.0.1"))
        #expect(text.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("Digital Signature"))
        #expect(!text.contains("Key Encipherment"))  // ECDSA key
        #expect(text.contains("CN = collector.test"))
        let verify = try Command.run("openssl", ["verify", "-CAfile", fixture.caPath, "-purpose", "sslserver", certificate])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        let asClient = try Command.run("openssl", ["verify", "-CAfile", fixture.caPath, "-purpose", "sslclient", certificate])
        #expect(asClient.exitCode != 0)

        let list = try CollectorFixture.check(BuiltBinary.run(["pki", "list", "--dir", fixture.authority.directory, "--format", "json"]))
        let rows = try JSONSerialization.jsonObject(with: list.stdoutData) as? [[String: Any]] ?? []
        #expect(rows.count == 1)
        #expect(rows.first?["usage"] as? String == "server")
        #expect(rows.first?["subjectAlternativeNames"] as? [String] == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
    }

    @Test("an RSA server key also gets keyEncipherment; a bad SAN or no SAN is a usage error")
    func rsaAndBadSANs() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-pki-server")
        let key = fixture.folder.url("rsa.key")
        let csr = fixture.folder.url("rsa.csr")
        try CollectorFixture.check(Command.run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]))
        try CollectorFixture.check(Command.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=collector.example.fr", "-out", csr]))
        let out = fixture.folder.url("rsa.crt")
        try CollectorFixture.check(BuiltBinary.run([
            "pki", "issue", csr, "--server", "--san", "DNS:collector.example.fr", "--dir", fixture.authority.directory, "--out", out,
        ]))
        let text = try CollectorFixture.check(Command.run("openssl", ["x509", "-in", out, "-noout", "-text"])).stdout
        #expect(text.contains("Digital Signature, Key Encipherment"))
        #expect(text.contains("DNS:collector.example.fr"))

        for bad in [["--san", "DNS:bad_name!"], ["--san", "IP:999.1.1.1"], ["--san", "URI:https://x"], []] {
            let result = try BuiltBinary.run(["pki", "issue", csr, "--server", "--dir", fixture.authority.directory, "--out", fixture.folder.url("x.crt")] + bad)
            #expect(result.exitCode == 64, "\(bad): \(result.stderr)")
        }
        let sanWithoutServer = try BuiltBinary.run(["pki", "issue", csr, "--san", "DNS:a.fr", "--dir", fixture.authority.directory])
        #expect(sanWithoutServer.exitCode == 64)
    }

    @Test("agent certificates serve both as TLS client certificates (sslclient) and as CMS signers")
    func agentCertificateBothWays() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-pki-agent")
        let agent = try fixture.agent()
        let verify = try Command.run("openssl", ["verify", "-CAfile", fixture.caPath, "-purpose", "sslclient", agent.certificatePath])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        let text = try CollectorFixture.check(Command.run("openssl", ["x509", "-in", agent.certificatePath, "-noout", "-text"])).stdout
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(text.contains("Digital Signature"))
        let upload = try fixture.signedReport(agent)
        let cms = try Command.run("openssl", [
            "cms", "-verify", "-binary", "-inform", "DER", "-in", upload.signaturePath, "-content", upload.reportPath,
            "-CAfile", fixture.caPath, "-purpose", "any", "-out", "/dev/null",
        ])
        #expect(cms.exitCode == 0, "\(cms.stderr)")
        #expect(cms.stderr.contains("Verification successful"))
        // And the CMS check fails on a changed report.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: upload.reportPath))
        let tampered = try Command.run("openssl", [
            "cms", "-verify", "-binary", "-inform", "DER", "-in", upload.signaturePath, "-content", upload.reportPath,
            "-CAfile", fixture.caPath, "-purpose", "any", "-out", "/dev/null",
        ])
        #expect(tampered.exitCode != 0)
    }
}
