import Foundation
import Testing
import TestSupport

/// `cyberctl tls` end to end, and the same endpoint through `cyberctl scan`: same engine, same results.
@Suite(.serialized)
struct TLSCommandTests {
    struct Setup {
        let folder: TemporaryDirectory
        let root: CertificateFactory.Issued
        let leaf: CertificateFactory.Issued
        init(leafKey: CertificateFactory.KeyKind = .ec("prime256v1")) throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-tls-e2e")
            let factory = try CertificateFactory(folder: folder.url("pki"))
            root = try factory.issue(name: "root", subject: "/CN=E2E Root", isCA: true)
            leaf = try factory.issue(name: "leaf", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"], key: leafKey, issuer: root)
        }
    }

    /// (code → status) of a JSON output's results.
    static func statuses(_ data: Data) throws -> [String: String] {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        var statuses: [String: String] = [:]
        for result in results {
            statuses[result["code"] as! String] = result["status"] as? String
        }
        return statuses
    }

    @Test func tls13EndpointAsJSONExitsZero() throws {
        let setup = try Setup()
        let server = try TLSTestServers.openssl(cert: setup.leaf.certificatePath, key: setup.leaf.keyPath, arguments: ["-tls1_3"], folder: setup.folder.path)
        let output = try BuiltBinary.run(["tls", server.endpoint, "--ca-file", setup.root.certificatePath, "--format", "json"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let statuses = try Self.statuses(output.stdoutData)
        #expect(statuses.count == 13)
        #expect(statuses["tls.legacy-protocols"] == "pass")
        #expect(statuses["tls.cert.trust"] == "pass")
        #expect(statuses["tls.ocsp-stapling"] == "warn")
    }

    @Test func legacyEndpointExitsOneWithTableInFrench() throws {
        let setup = try Setup(leafKey: .rsa(2048))
        let server = try TLSTestServers.openssl(
            cert: setup.leaf.certificatePath, key: setup.leaf.keyPath, arguments: ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"], folder: setup.folder.path)
        let output = try BuiltBinary.run(["tls", server.endpoint, "--ca-file", setup.root.certificatePath])
        #expect(output.exitCode == 1)
        #expect(output.stdout.contains("Versions obsolètes de TLS/SSL"))
        #expect(output.stdout.contains("ÉCHEC"))
        #expect(output.stdout.contains("TLSv1"))
    }

    @Test func badUsageExits64() throws {
        let output = try BuiltBinary.run(["tls", "127.0.0.1:99999"])
        #expect(output.exitCode == 64)
        let missing = try BuiltBinary.run(["tls", "127.0.0.1:443", "--ca-file", "/nonexistent/ca.pem"])
        #expect(missing.exitCode == 66)
    }

    @Test func scanGivesTheSameResultsAsTheTLSCommand() throws {
        let setup = try Setup()
        let server = try TLSTestServers.openssl(cert: setup.leaf.certificatePath, key: setup.leaf.keyPath, arguments: [], folder: setup.folder.path)
        let profile = try setup.folder.write("tls-profile.yaml", """
            name: tls-only
            checks:
              tls.endpoint:
                discover: false
                ca_file: \(setup.root.certificatePath)
                endpoints:
                  - {host: 127.0.0.1, port: \(server.port), https: false}
            """)
        let report = setup.folder.url("report.json")
        let scan = try BuiltBinary.run(["scan", "--profile", profile, "--only", "tls", "--out", report, "--format", "json"], currentDirectory: setup.folder.path)
        #expect(scan.exitCode == 0 || scan.exitCode == 1, "\(scan.stderr)")
        let fromScan = try Self.statuses(Data(contentsOf: URL(fileURLWithPath: report)))
        let adHoc = try BuiltBinary.run(["tls", server.endpoint, "--ca-file", setup.root.certificatePath, "--format", "json", "--no-hsts"])
        let fromCommand = try Self.statuses(adHoc.stdoutData)
        #expect(fromScan.count == 13)
        #expect(fromScan == fromCommand)
    }

    /// `--format json` writes each endpoint as soon as it and the earlier ones are done: the output is
    /// still one JSON document, in the order the endpoints were given (the closed port, done first,
    /// comes last), with the summary of every result.
    @Test func streamedJSONKeepsEndpointOrderAndSummary() throws {
        let setup = try Setup()
        let server = try TLSTestServers.openssl(cert: setup.leaf.certificatePath, key: setup.leaf.keyPath, arguments: ["-tls1_3"], folder: setup.folder.path)
        let closed = "127.0.0.1:\(try BackgroundServer.freePort())"
        let output = try BuiltBinary.run(["tls", server.endpoint, closed, "--ca-file", setup.root.certificatePath, "--format", "json", "--no-hsts"])
        #expect(output.exitCode == 1, "\(output.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        #expect(Set(object.keys) == ["results", "summary"])
        let results = try #require(object["results"] as? [[String: Any]])
        let targets = results.compactMap { $0["target"] as? String }
        #expect(targets.count == 14)
        #expect(Set(targets.prefix(13)) == [server.endpoint])
        #expect(targets.last == closed)
        #expect(results.last?["code"] as? String == "tls.connection")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["score"] is Int)
        #expect((summary["domains"] as? [String: Any])?["tls"] != nil)
    }

    /// An unprivileged agent that may not read the socket table gets a `tls.discovery` error, never
    /// "no TLS service"; a table it reads, without TLS service, gives a skip that says so.
    @Test func unreadableSocketTableIsAnErrorNotNoService() throws {
        let directory = try TemporaryDirectory()
        let image = try directory.makeDirectory("image")
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        let ssh = "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1682 1 0 100 0 0 10 0\n"
        try directory.write("image/proc/net/tcp6", header)
        let table = try directory.write("image/proc/net/tcp", header + ssh)
        func scan() throws -> [String: Any] {
            let results = try CertificateDiscoveryScanTests.scanAsNobody(image, only: "tls", in: directory)
            #expect(results.count == 1)
            return try #require(results.first)
        }
        let readable = try scan()
        #expect(readable["code"] as? String == "tls.discovery")
        #expect(readable["status"] as? String == "skip")
        #expect((readable["reason"] as? String)?.hasPrefix("no TLS service listens on this host") == true)

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: table)
        let locked = try scan()
        #expect(locked["code"] as? String == "tls.discovery")
        #expect(locked["status"] as? String == "error")
        #expect((locked["reason"] as? String)?.contains("/proc/net/tcp: permission denied") == true, "\(locked)")
    }

    /// `cyberctl tls` on nginx on a random port: HTTPS recognised by ALPN, HSTS judged (here missing).
    @Test func httpsOnAnyPortIsJudged() throws {
        let setup = try Setup()
        let server = try TLSTestServers.nginx(cert: setup.leaf.certificatePath, key: setup.leaf.keyPath, extra: "", folder: setup.folder.path)
        let output = try BuiltBinary.run(["tls", server.endpoint, "--ca-file", setup.root.certificatePath, "--format", "json"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(try Self.statuses(output.stdoutData)["tls.hsts"] == "fail")
    }

    @Test func badProfileParametersNameTheFileAndLine() throws {
        let folder = try TemporaryDirectory()
        let profile = try folder.write("bad.yaml", """
            name: bad
            checks:
              tls.endpoint:
                endpoints:
                  - {host: mail.example.fr, port: 587, starttls: smtps}
            """)
        let output = try BuiltBinary.run(["scan", "--profile", profile, "--out", folder.url("r.json")])
        #expect(output.exitCode == 65)
        #expect(output.stderr.contains("bad.yaml"))
        #expect(output.stderr.contains("smtps"))

        let typo = try folder.write("typo.yaml", """
            name: typo
            checks:
              tls.endpoint:
                endpoints:
                  - {host: 192.0.2.10, port: 443, sin: portail.example.fr}
            """)
        let typoOutput = try BuiltBinary.run(["scan", "--profile", typo, "--out", folder.url("r.json")])
        #expect(typoOutput.exitCode == 65)
        #expect(typoOutput.stderr.contains("typo.yaml:5"))
        #expect(typoOutput.stderr.contains("unknown key \"sin\""), "the check's own reason, quoted: \(typoOutput.stderr)")
    }
}
