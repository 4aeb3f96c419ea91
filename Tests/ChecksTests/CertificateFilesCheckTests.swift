@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

@Suite struct CertificateFilesCheckTests {
    /// (target, code) → status and severity, for a whole run.
    static func table(_ results: [CheckResult]) -> [String: String] {
        var table: [String: String] = [:]
        for result in results { table["\(result.target) \(result.code)"] = "\(result.status.rawValue)/\(result.severity.rawValue)" }
        return table
    }

    @Test func fixtureTreeGivesTheExpectedVerdictPerCertificate() async throws {
        let now = Date()
        let fixture = try CertificateFixture.make(now: now)
        var check = CertificateFilesCheck()
        check.paths = ["/etc/ssl/cyberctl/folder.pem"]
        let context = CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(now))
        let results = await check.run(context)
        let table = Self.table(results)

        let expected: [String: String] = [
            // nginx: leaf 200 days (chain in one PEM), intermediate second.
            "/etc/ssl/cyberctl/portail-fullchain.pem#1 cert.expiry": "pass/high",
            "/etc/ssl/cyberctl/portail-fullchain.pem#1 cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/portail-fullchain.pem#1 cert.signature-algorithm": "pass/high",
            "/etc/ssl/cyberctl/portail-fullchain.pem#1 cert.self-signed": "pass/medium",
            "/etc/ssl/cyberctl/portail-fullchain.pem#2 cert.expiry": "pass/high",
            "/etc/ssl/cyberctl/portail-fullchain.pem#2 cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/portail-fullchain.pem#2 cert.signature-algorithm": "pass/high",
            // nginx: expired.
            "/etc/ssl/cyberctl/webmail.pem cert.expiry": "fail/critical",
            "/etc/ssl/cyberctl/webmail.pem cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/webmail.pem cert.signature-algorithm": "pass/high",
            "/etc/ssl/cyberctl/webmail.pem cert.self-signed": "pass/medium",
            // Postfix: 10 days left, RSA 1024.
            "/etc/postfix/smtp.pem cert.expiry": "fail/high",
            "/etc/postfix/smtp.pem cert.key-strength": "fail/high",
            "/etc/postfix/smtp.pem cert.signature-algorithm": "pass/high",
            "/etc/postfix/smtp.pem cert.self-signed": "pass/medium",
            // Postfix chain file: SHA-1 signature.
            "/etc/ssl/cyberctl/relay-chain.pem cert.expiry": "pass/high",
            "/etc/ssl/cyberctl/relay-chain.pem cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/relay-chain.pem cert.signature-algorithm": "fail/high",
            "/etc/ssl/cyberctl/relay-chain.pem cert.self-signed": "pass/medium",
            // Dovecot: DER, 25 days left; garbage PEM.
            "/etc/ssl/cyberctl/imap.der cert.expiry": "warn/medium",
            "/etc/ssl/cyberctl/imap.der cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/imap.der cert.signature-algorithm": "pass/high",
            "/etc/ssl/cyberctl/imap.der cert.self-signed": "pass/medium",
            "/etc/ssl/cyberctl/garbage.pem cert.file": "error/medium",
            // Apache: self-signed PKCS#12, missing chain file.
            "/etc/ssl/cyberctl/intranet.p12 cert.expiry": "pass/high",
            "/etc/ssl/cyberctl/intranet.p12 cert.key-strength": "pass/high",
            "/etc/ssl/cyberctl/intranet.p12 cert.self-signed": "warn/medium",
            "/etc/ssl/cyberctl/absent-chain.pem cert.file": "error/medium",
            // Let's Encrypt through a relative link: leaf 70 days + intermediate.
            "/etc/letsencrypt/live/demarches/fullchain.pem#1 cert.expiry": "pass/high",
            "/etc/letsencrypt/live/demarches/fullchain.pem#1 cert.key-strength": "pass/high",
            "/etc/letsencrypt/live/demarches/fullchain.pem#1 cert.signature-algorithm": "pass/high",
            "/etc/letsencrypt/live/demarches/fullchain.pem#1 cert.self-signed": "pass/medium",
            "/etc/letsencrypt/live/demarches/fullchain.pem#2 cert.expiry": "pass/high",
            "/etc/letsencrypt/live/demarches/fullchain.pem#2 cert.key-strength": "pass/high",
            "/etc/letsencrypt/live/demarches/fullchain.pem#2 cert.signature-algorithm": "pass/high",
            // Profile path that is a folder.
            "/etc/ssl/cyberctl/folder.pem cert.file": "error/medium",
            // nginx names a certificate through a variable and no file matches: not verified.
            "/etc/nginx/$ssl_server_name.pem cert.discovery": "error/medium",
        ]
        #expect(table == expected)
        // The trust store and commented-out lines are never targets.
        #expect(!results.contains { $0.target.hasPrefix("/etc/ssl/certs/") || $0.target.contains("commented-out") })
        // Errors name the file and the reason.
        let garbage = try #require(results.first { $0.target == "/etc/ssl/cyberctl/garbage.pem" })
        #expect(garbage.reason?.contains("PEM file without a readable certificate") == true)
        let absent = try #require(results.first { $0.target == "/etc/ssl/cyberctl/absent-chain.pem" })
        #expect(absent.reason == "/etc/ssl/cyberctl/absent-chain.pem: no such file or directory")
        let folder = try #require(results.first { $0.target == "/etc/ssl/cyberctl/folder.pem" })
        #expect(folder.reason?.contains("is a directory") == true)
    }

    @Test("only a PEM file of private keys (Postfix's key file in smtpd_tls_chain_files) is set aside")
    func keyOnlyFiles() throws {
        let key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
        let ecKey = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
            + "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n"
        let certificate = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
        #expect(CertificateFilesCheck.holdsOnlyPrivateKeys(Array(key.utf8)))
        #expect(CertificateFilesCheck.holdsOnlyPrivateKeys(Array(ecKey.utf8)))
        #expect(CertificateFilesCheck.holdsOnlyPrivateKeys(Array("-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n".utf8)))
        #expect(!CertificateFilesCheck.holdsOnlyPrivateKeys(Array((key + certificate).utf8)))
        #expect(!CertificateFilesCheck.holdsOnlyPrivateKeys(Array("not PEM at all".utf8)))
        #expect(!CertificateFilesCheck.holdsOnlyPrivateKeys([]))
    }

    @Test func evidenceNamesTheServiceAndTheFacts() async throws {
        let now = Date()
        let fixture = try CertificateFixture.make(now: now)
        let results = await CertificateFilesCheck().run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(now)))
        let smtp = try #require(results.first { $0.target == "/etc/postfix/smtp.pem" && $0.code == "cert.expiry" })
        #expect(smtp.evidence["daysLeft"] == .int(10))
        #expect(smtp.evidence["usedBy"] == .string("postfix /etc/postfix/main.cf:3"))
        #expect(smtp.evidence["subject"] == .string("CN=smtp.mairie.test"))
        #expect(smtp.references.contains("NIS2-21.2.h"))
        let key = try #require(results.first { $0.target == "/etc/postfix/smtp.pem" && $0.code == "cert.key-strength" })
        #expect(key.evidence["keyType"] == .string("RSA"))
        #expect(key.evidence["keyBits"] == .int(1024))
        let portal = try #require(results.first { $0.target == "/etc/ssl/cyberctl/portail-fullchain.pem#1" && $0.code == "cert.expiry" })
        #expect(portal.evidence["usedBy"] == .string("nginx /etc/nginx/sites-enabled/portail:4"))
        #expect(portal.evidence["role"] == .string("leaf"))
        #expect(portal.evidence["subjectAltNames"] == .strings(["DNS:portail.mairie.test"]))
        #expect(portal.evidence["issuer"] == .string("O=Syndicat informatique,CN=Intermediaire de test"))
        #expect(portal.evidence["keyType"] == .string("EC"))
        #expect(portal.evidence["curve"] == .string("prime256v1"))
        #expect(portal.evidence["sha256"]?.stringValue?.count == 95)
        let intermediate = try #require(results.first { $0.target == "/etc/ssl/cyberctl/portail-fullchain.pem#2" && $0.code == "cert.expiry" })
        #expect(intermediate.evidence["role"] == .string("intermediate"))
        let sha1 = try #require(results.first { $0.code == "cert.signature-algorithm" && $0.status == .fail })
        // The intermediate holds a P-256 key, so SHA-1 appears as ECDSA with SHA-1.
        #expect(sha1.evidence["signatureAlgorithm"] == .string("ecdsa-with-SHA1"))
        #expect(sha1.evidence["digest"] == .string("SHA1"))
        let p12 = try #require(results.first { $0.target == "/etc/ssl/cyberctl/intranet.p12" && $0.code == "cert.expiry" })
        #expect(p12.evidence["format"] == .string("PKCS#12"))
    }

    @Test func thresholdsComeFromTheParameters() async throws {
        let now = Date()
        let fixture = try CertificateFixture.make(now: now)
        // With a 100-day warning, the 70-day Let's Encrypt certificate warns; with 5 days critical, 10 days only warns.
        let check = CertificateFilesCheck(paths: [], discover: true, thresholds: .init(warningDays: 100, criticalDays: 5))
        let results = await check.run(CheckContext(root: try FileSystemRoot(fixture.root), clock: .fixed(now)))
        let table = Self.table(results)
        #expect(table["/etc/letsencrypt/live/demarches/fullchain.pem#1 cert.expiry"] == "warn/medium")
        #expect(table["/etc/postfix/smtp.pem cert.expiry"] == "warn/medium")
        #expect(table["/etc/ssl/cyberctl/imap.der cert.expiry"] == "warn/medium")
    }

    @Test func notYetValidFails() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let future = try factory.issue(
            name: "future", subject: "/CN=future.test", notBefore: Date() + 5 * 86_400, notAfter: Date() + 400 * 86_400)
        let results = await CertificateFilesCheck(paths: [future.certificatePath], discover: false)
            .run(CheckContext(root: .system))
        let expiry = try #require(results.first { $0.code == "cert.expiry" })
        #expect(expiry.status == .fail)
        #expect(expiry.evidence["state"] == .string("not-yet-valid"))
    }

    @Test func passwordProtectedPKCS12IsAnErrorNamingTheReason() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let issued = try factory.issue(name: "p", subject: "/CN=p.test")
        let p12 = directory.url("protected.p12")
        try factory.openssl(["pkcs12", "-export", "-in", issued.certificatePath, "-inkey", issued.keyPath, "-out", p12, "-passout", "pass:secret"])
        let results = await CertificateFilesCheck(paths: [p12], discover: false).run(CheckContext(root: .system))
        #expect(results.count == 1)
        #expect(results.first?.status == .error)
        #expect(results.first?.reason == "PKCS#12 file protected by a password")
    }

    @Test func profileParametersAreValidated() throws {
        let decoder = JSONDecoder()
        let valid = try decoder.decode(CertificateFilesCheck.self, from: Data(#"{"paths": ["/etc/ssl/a.pem"], "warning_days": 40, "critical_days": 7}"#.utf8))
        #expect(valid.thresholds == .init(warningDays: 40, criticalDays: 7))
        #expect(throws: DecodingError.self) {
            try decoder.decode(CertificateFilesCheck.self, from: Data(#"{"warning_days": 5, "critical_days": 7}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(CertificateFilesCheck.self, from: Data(#"{"paths": ["relative.pem"]}"#.utf8))
        }
    }

    @Test func aSelfSignedServerCertificateMarkedCAStillWarns() async throws {
        let directory = try TemporaryDirectory()
        let certificate = directory.url("portail.pem")
        // OpenSSL 3's `req -x509` adds basicConstraints CA:TRUE unless told otherwise.
        try Command.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=portail",
            "-days", "200", "-keyout", directory.url("portail.key"), "-out", certificate,
        ])
        let results = await CertificateFilesCheck(paths: [certificate], discover: false).run(CheckContext(root: .system))
        let selfSigned = try #require(results.first { $0.code == "cert.self-signed" })
        #expect(selfSigned.status == .warn)
        #expect(results.first { $0.code == "cert.expiry" }?.evidence["role"] == .string("leaf"))
    }

    @Test func aGlobOverTheCertsFolderSkipsTheTrustStore() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let root = try factory.issue(name: "root", subject: "/CN=Old Root", notBefore: Date() - 900 * 86_400, notAfter: Date() - 86_400, isCA: true)
        let served = try factory.issue(name: "served", subject: "/CN=portail.mairie.test")
        try directory.write("usr/share/ca-certificates/mozilla/Old_Root.crt", root.pem)
        try directory.makeDirectory("etc/ssl/certs")
        try FileManager.default.createSymbolicLink(
            atPath: directory.url("etc/ssl/certs/Old_Root.pem"), withDestinationPath: "/usr/share/ca-certificates/mozilla/Old_Root.crt")
        try directory.write("etc/ssl/certs/ca-certificates.crt", root.pem)
        try directory.write("etc/ssl/certs/portail.pem", served.pem)
        let check = CertificateFilesCheck(paths: ["/etc/ssl/certs/*"], discover: false)
        let results = await check.run(CheckContext(root: try FileSystemRoot(directory.path)))
        #expect(Set(results.map(\.target)) == ["/etc/ssl/certs/portail.pem"])
        // Named literally, a trust-store file is checked as asked.
        let literal = await CertificateFilesCheck(paths: ["/etc/ssl/certs/Old_Root.pem"], discover: false)
            .run(CheckContext(root: try FileSystemRoot(directory.path)))
        #expect(literal.first { $0.code == "cert.expiry" }?.status == .fail)
    }
    /// A chain file whose second block is damaged: the leaf is judged, and the rest of the file is an
    /// error, not silently dropped (nginx refuses such a file; reading stops at the bad block).
    @Test func aDamagedBlockInAChainIsAnErrorNotAShorterChain() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let ca = try factory.issue(name: "ca", subject: "/CN=Intermediaire Test", isCA: true)
        let leaf = try factory.issue(name: "leaf", subject: "/CN=portail.mairie.test", issuer: ca)
        let damaged = "-----BEGIN CERTIFICATE-----\nMIIBdamaged\n-----END CERTIFICATE-----\n"
        let file = try directory.write("fullchain.pem", leaf.pem + damaged + ca.pem)
        let results = await CertificateFilesCheck(paths: [file], discover: false).run(CheckContext(root: .system))
        #expect(results.first { $0.target == file && $0.code == "cert.expiry" }?.status == .pass)
        let error = try #require(results.first { $0.code == "cert.file" })
        #expect(error.status == .error)
        #expect(error.target == file + "#2")
        #expect(error.evidence["blocks"] == .int(3))
        #expect(error.reason == "certificate block 2 of 3 could not be parsed: it and the blocks after it are not checked")
        // The intermediate after the damaged block is not claimed as checked.
        #expect(!results.contains { $0.target.hasSuffix("#3") })
    }

    /// A certificate met in many files (the CA appended to every chain, copies) is parsed once per run:
    /// the results must be exactly those of files checked one by one, on both workers (130 files).
    @Test func repeatedCertificatesGiveTheSameResultsAsFilesReadAlone() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let ca = try factory.issue(name: "ca", subject: "/CN=Intermediaire Test", isCA: true)
        let leafA = try factory.issue(name: "a", subject: "/CN=a.mairie.test", key: .rsa(2048), issuer: ca)
        let leafB = try factory.issue(name: "b", subject: "/CN=b.mairie.test", notAfter: Date() + 20 * 86_400, issuer: ca)
        let contents = [leafA.pem + ca.pem, leafB.pem + ca.pem, ca.pem, leafA.pem + leafA.pem, "garbage\n"]
        for index in 0..<130 { try directory.write("srv/certs/\(1000 + index).pem", contents[index % contents.count]) }
        let root = try FileSystemRoot(directory.path)
        let now = Date()
        func withoutDurations(_ results: [CheckResult]) -> [CheckResult] {
            results.map { var result = $0; result.durationMs = 0; return result }
        }
        let together = withoutDurations(
            await CertificateFilesCheck(paths: ["/srv/certs/*.pem"], discover: false).run(CheckContext(root: root, clock: .fixed(now))))
        var alone: [CheckResult] = []
        for index in 0..<130 {
            alone += withoutDurations(await CertificateFilesCheck(paths: ["/srv/certs/\(1000 + index).pem"], discover: false)
                .run(CheckContext(root: root, clock: .fixed(now))))
        }
        #expect(together.count == alone.count)
        #expect(together == alone)
        // The CA is a root in chain files and the served leaf where it stands alone.
        #expect(together.contains { $0.target == "/srv/certs/1002.pem" && $0.code == "cert.self-signed" && $0.status == .warn })
        #expect(together.filter { $0.code == "cert.file" }.count == 26)
    }
}
