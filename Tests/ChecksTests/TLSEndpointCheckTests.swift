import Checks
import Foundation
import Model
import Testing
import TestSupport
import TLSProbe

/// `tls.endpoint` against real servers started on loopback, with certificates made at test time.
/// Each case states the exact code and status the issue asks for.
@Suite(.serialized)
struct TLSEndpointCheckTests {
    /// A small PKI: a root CA, an intermediate, and helpers to issue leaves.
    final class PKI {
        let folder: TemporaryDirectory
        let factory: CertificateFactory
        let root: CertificateFactory.Issued
        let intermediate: CertificateFactory.Issued

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-tls")
            factory = try CertificateFactory(folder: folder.url("pki"))
            root = try factory.issue(name: "root", subject: "/CN=Test Root CA/O=Commune de Test", isCA: true)
            intermediate = try factory.issue(name: "intermediate", subject: "/CN=Test Intermediate CA", issuer: root, isCA: true)
        }

        /// A leaf for `localhost`, 127.0.0.1 and ::1, issued by the root unless told otherwise.
        func leaf(_ name: String, key: CertificateFactory.KeyKind = .ec("prime256v1"), sans: [String] = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"],
                  notAfter: Date = Date().addingTimeInterval(200 * 86_400), digest: String = "sha256",
                  issuer: CertificateFactory.Issued? = nil) throws -> CertificateFactory.Issued {
            try factory.issue(name: name, subject: "/CN=localhost", sans: sans, key: key, notBefore: Date().addingTimeInterval(-2 * 86_400),
                              notAfter: notAfter, digest: digest, issuer: issuer ?? root)
        }

        var path: String { folder.path }
    }

    /// Runs the check on one endpoint; results by rule code.
    func check(_ server: BackgroundServer, pki: PKI, serverName: String? = nil, startTLS: StartTLSProtocol? = nil,
               https: Bool? = false, timeout: Double = 5) async -> [String: CheckResult] {
        var check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: server.host, port: server.port, serverName: serverName, startTLS: startTLS), https: https)],
            discover: false, caFile: pki.root.certificatePath)
        check.connectionTimeout = timeout
        let results = await check.run(CheckContext(root: .system))
        return Dictionary(results.map { ($0.code, $0) }) { first, _ in first }
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func weakNames(_ result: CheckResult?) -> [String] {
        guard case .array(let items)? = result?.evidence["weak"] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { return object["openssl"]?.stringValue } else { return nil } }
    }

    static func acceptedNames(_ result: CheckResult?, version: String) -> [String] {
        guard case .object(let accepted)? = result?.evidence["accepted"], case .array(let items)? = accepted[version] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { return object["openssl"]?.stringValue } else { return nil } }
    }

    @Test func tls13OnlyServerPassesProtocolAndCipherRules() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("tls13")
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_3"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1.3"])
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["refused"]) == ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"])
        #expect(results["tls.weak-ciphers"]?.status == .pass)
        #expect(Set(Self.acceptedNames(results["tls.weak-ciphers"], version: "TLSv1.3")) == ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"])
        #expect(results["tls.forward-secrecy"]?.status == .pass)
        #expect(results["tls.dh-params"]?.status == .skip)
        #expect(results["tls.cert.trust"]?.status == .pass)
        #expect(results["tls.cert.hostname"]?.status == .pass)
        #expect(results["tls.cert.expiry"]?.status == .pass)
        #expect(results["tls.cert.key-strength"]?.status == .pass)
        #expect(results["tls.cert.signature-algorithm"]?.status == .pass)
        #expect(results["tls.compression"]?.status == .pass)
        #expect(results["tls.renegotiation"]?.status == .pass)
        #expect(results["tls.ocsp-stapling"]?.status == .warn)
        #expect(results["tls.ocsp-stapling"]?.severity == .info)
        #expect(results["tls.hsts"]?.status == .skip)
        #expect(results.count == 13)
    }

    @Test func tls10OnlyWithLegacySuitesFails() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("tls10", key: .rsa(2048))
        let server = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.legacy-protocols"]?.status == .fail)
        #expect(results["tls.legacy-protocols"]?.severity == .high)
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1"])
        #expect(Self.acceptedNames(results["tls.weak-ciphers"], version: "TLSv1") == ["AES128-SHA"])
        // AES128-SHA: CBC and RSA key transport, both "warn" classes.
        #expect(results["tls.weak-ciphers"]?.status == .warn)
        #expect(results["tls.forward-secrecy"]?.status == .fail)
        #expect(results["tls.renegotiation"]?.status == .pass)
        #expect(results["tls.compression"]?.status == .pass)
    }

    @Test func gnutlsServerWith3DESAndRC4FailsWeakCiphers() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("gnutls", key: .rsa(2048))
        let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC:+ARCFOUR-128:-AES-128-GCM:-AES-256-GCM:-CHACHA20-POLY1305:-AES-128-CBC:-AES-256-CBC:-AES-128-CCM:-AES-256-CCM:-CAMELLIA-128-GCM:-CAMELLIA-256-GCM:-CAMELLIA-128-CBC:-CAMELLIA-256-CBC:+RSA"
        let server = try TLSTestServers.gnutls(cert: leaf.certificatePath, key: leaf.keyPath, priority: priority, folder: pki.path)
        let results = await check(server, pki: pki)
        let weak = Self.weakNames(results["tls.weak-ciphers"])
        #expect(results["tls.weak-ciphers"]?.status == .fail)
        #expect(results["tls.weak-ciphers"]?.severity == .high)
        #expect(weak.contains("DES-CBC3-SHA"))
        #expect(weak.contains("RC4-SHA"))
        guard case .array(let items)? = results["tls.weak-ciphers"]?.evidence["weak"] else {
            Issue.record("no weak evidence")
            return
        }
        let iana = items.compactMap { if case .object(let object) = $0 { return object["iana"]?.stringValue } else { return nil } }
        #expect(iana.contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA"))
        #expect(iana.contains("TLS_RSA_WITH_RC4_128_SHA"))
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        // libssl cannot complete a handshake here: the chain comes from the raw handshake.
        #expect(results["tls.cert.trust"]?.status == .pass)
        #expect(results["tls.cert.key-strength"]?.status == .pass)
    }

    @Test func tls12WithCBCAndStaticRSAOnlyWarns() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("cbc", key: .rsa(2048))
        let server = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_2", "-cipher", "AES128-SHA256:AES256-SHA"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.weak-ciphers"]?.status == .warn)
        #expect(results["tls.weak-ciphers"]?.severity == .medium)
        #expect(Set(Self.weakNames(results["tls.weak-ciphers"])) == ["AES128-SHA256", "AES256-SHA"])
        #expect(results["tls.forward-secrecy"]?.status == .fail)
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1.2"])
    }

    /// An expired leaf: expired for the expiry rule, and no longer validated by a TLS client (as
    /// `openssl s_client -verify_return_error` says, see TLSChainValidityTests).
    @Test func expiredLeafFailsExpiryAndTrust() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("expired", notAfter: Date().addingTimeInterval(-86_400))
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.cert.expiry"]?.status == .fail)
        #expect(results["tls.cert.expiry"]?.severity == .critical)
        #expect(results["tls.cert.expiry"]?.evidence["state"] == "expired")
        #expect(results["tls.cert.trust"]?.status == .fail)
        #expect(results["tls.cert.trust"]?.evidence["problem"] == "expired")
    }

    @Test func selfSignedLeafFailsTrust() async throws {
        let pki = try PKI()
        let leaf = try pki.factory.issue(name: "selfsigned", subject: "/CN=localhost", sans: ["DNS:localhost", "IP:127.0.0.1"])
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.cert.trust"]?.status == .fail)
        #expect(results["tls.cert.trust"]?.evidence["problem"] == "self-signed")
        #expect(results["tls.cert.signature-algorithm"]?.status == .skip)
        #expect(results["tls.cert.hostname"]?.status == .pass)
    }

    @Test func missingIntermediateFailsTrustAndFullChainPasses() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("behind-intermediate", issuer: pki.intermediate)
        let bare = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let bareResults = await check(bare, pki: pki)
        #expect(bareResults["tls.cert.trust"]?.status == .fail)
        #expect(bareResults["tls.cert.trust"]?.evidence["problem"] == "missing-intermediate")

        let full = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, chain: pki.intermediate.certificatePath, arguments: [], folder: pki.path)
        let fullResults = await check(full, pki: pki)
        #expect(fullResults["tls.cert.trust"]?.status == .pass)
        #expect(fullResults["tls.cert.trust"]?.evidence["servedCount"] == .int(2))
        // Expiry covers the validated path: leaf, intermediate, root.
        guard case .array(let certificates)? = fullResults["tls.cert.expiry"]?.evidence["certificates"] else {
            Issue.record("no per-certificate expiry evidence")
            return
        }
        #expect(certificates.count == 3)
    }

    @Test func hostnameMismatchFails() async throws {
        let pki = try PKI()
        let leaf = try pki.factory.issue(name: "other", subject: "/CN=other.example.org", sans: ["DNS:other.example.org"], issuer: pki.root)
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let results = await check(server, pki: pki, serverName: "mairie.example.fr")
        #expect(results["tls.cert.hostname"]?.status == .fail)
        #expect(results["tls.cert.hostname"]?.evidence["name"] == "mairie.example.fr")
        #expect(results["tls.cert.hostname"]?.evidence["sni"] == "mairie.example.fr")
        #expect(results["tls.cert.trust"]?.status == .pass)
    }

    @Test func commonNameOnlyCertificateWarns() async throws {
        let pki = try PKI()
        let leaf = try pki.factory.issue(name: "cn-only", subject: "/CN=localhost", issuer: pki.root)
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let results = await check(server, pki: pki, serverName: "localhost")
        #expect(results["tls.cert.hostname"]?.status == .warn)
        #expect(results["tls.cert.hostname"]?.evidence["match"] == "cn-only")
    }

    @Test func rsa1024LeafFailsKeyStrength() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("rsa1024", key: .rsa(1024))
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-cipher", "DEFAULT:@SECLEVEL=0"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.cert.key-strength"]?.status == .fail)
        #expect(results["tls.cert.key-strength"]?.evidence["keyBits"] == .int(1024))
        #expect(results["tls.cert.key-strength"]?.evidence["keyType"] == "RSA")
    }

    @Test func sha1SignedLeafFailsSignatureAlgorithm() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("sha1", digest: "sha1")
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-cipher", "DEFAULT:@SECLEVEL=0"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.cert.signature-algorithm"]?.status == .fail)
        #expect(results["tls.cert.signature-algorithm"]?.severity == .high)
        #expect(results["tls.cert.signature-algorithm"]?.evidence["digest"] == "SHA1")
    }

    @Test func dhe1024ParametersFail() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("dhe", key: .rsa(2048))
        let dhParameters = pki.folder.url("dh1024.pem")
        try pki.factory.openssl(["dhparam", "-out", dhParameters, "1024"])
        let server = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath,
            arguments: ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dhParameters], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.dh-params"]?.status == .fail)
        #expect(results["tls.dh-params"]?.evidence["dhBits"] == .int(1024))
        #expect(results["tls.dh-params"]?.evidence["dhSuite"] == "DHE-RSA-AES128-GCM-SHA256")
        #expect(results["tls.dh-params"]?.reason == "a 1024-bit DH group with DHE-RSA-AES128-GCM-SHA256 (TLSv1.2), under 2048 bits")
        #expect(results["tls.forward-secrecy"]?.status == .pass)
        #expect(results["tls.weak-ciphers"]?.status == .pass)
    }

    /// A server whose DHE suites use different groups: OpenSSL's automatic parameters follow the certificate's key,
    /// so with an RSA 2048 certificate and a DSA 1024 one (`-dcert`) DHE-RSA gets 2048 bits and DHE-DSS 1024
    /// (ssl_get_auto_dh). The rule judges the weakest group any DHE suite negotiates, naming the suite, whatever
    /// suite the server prefers; sslscan, which shows the group of every accepted suite, is the oracle.
    @Test func theWeakestGroupOfAnyDHESuiteIsJudged() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("dhe-rsa", key: .rsa(2048))
        let parameters = pki.folder.url("dsa1024.param"), dsaKey = pki.folder.url("dsa.key"), dsaCertificate = pki.folder.url("dsa.crt")
        try pki.factory.openssl(["dsaparam", "-out", parameters, "1024"])
        try pki.factory.openssl([
            "req", "-x509", "-newkey", "dsa:" + parameters, "-nodes", "-keyout", dsaKey, "-out", dsaCertificate, "-subj", "/CN=localhost",
            "-days", "30", "-sha256",
        ])
        // Both orders of preference: the server picks DHE-RSA first, then DHE-DSS first.
        for ciphers in ["DHE-RSA-AES128-GCM-SHA256:DHE-DSS-AES128-GCM-SHA256", "DHE-DSS-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384"] {
            let server = try TLSTestServers.openssl(
                cert: leaf.certificatePath, key: leaf.keyPath,
                arguments: ["-dcert", dsaCertificate, "-dkey", dsaKey, "-no_tls1_3", "-serverpref", "-cipher", ciphers + ":@SECLEVEL=0"],
                folder: pki.path)
            let sslscan = try await OffPool.run {
                try Command.run("/usr/bin/sslscan", [
                    "--no-colour", "--no-heartbleed", "--no-renegotiation", "--no-compression", "--no-fallback", "--no-check-certificate",
                    "--no-groups", "\(server.host):\(server.port)",
                ])
            }
            // "Accepted  TLSv1.2  128 bits  DHE-DSS-AES128-GCM-SHA256  DHE 1024 bits"
            var sslscanBits: [String: Int] = [:]
            for line in sslscan.stdout.split(separator: "\n") where line.hasPrefix("Accepted") || line.hasPrefix("Preferred") {
                let words = line.split(separator: " ")
                if let dhe = words.firstIndex(of: "DHE"), dhe + 1 < words.count, let bits = Int(words[dhe + 1]) { sslscanBits[String(words[4])] = bits }
            }
            let weakest = try #require(sslscanBits.min { $0.value < $1.value }, "sslscan: \(sslscan.stdout)")
            #expect(weakest.value == 1024 && weakest.key.hasPrefix("DHE-DSS"), "\(sslscanBits)")
            #expect(sslscanBits.values.contains(2048), "\(sslscanBits)")

            let results = await check(server, pki: pki)
            let dh = try #require(results["tls.dh-params"])
            #expect(dh.status == .fail, "\(ciphers): \(dh.evidence)")
            #expect(dh.evidence["dhBits"] == .int(weakest.value))
            #expect(dh.evidence["dhSuite"]?.stringValue?.hasPrefix("DHE-DSS") == true, "\(dh.evidence)")
            #expect(dh.reason?.contains("1024-bit DH group with DHE-DSS-") == true, "\(dh.reason ?? "")")
            #expect(dh.reasonFr?.contains("groupe DH de 1024 bits avec DHE-DSS-") == true, "\(dh.reasonFr ?? "")")
            // Each group the server used, with its suite, agrees with sslscan's for that suite.
            guard case .array(let groups)? = dh.evidence["dheGroups"] else { Issue.record("no dheGroups"); continue }
            #expect(groups.count == 2, "\(groups)")
            for case .object(let group) in groups {
                let suite = try #require(group["openssl"]?.stringValue)
                #expect(group["bits"]?.intValue == sslscanBits[suite], "\(suite): \(group) vs sslscan \(sslscanBits)")
            }
            server.stop()
        }
    }

    @Test func hstsPresentPassesAndAbsentFails() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("nginx")
        let with = try TLSTestServers.nginx(
            cert: leaf.certificatePath, key: leaf.keyPath,
            extra: "add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;", folder: pki.path)
        let withResults = await check(with, pki: pki, https: true)
        #expect(withResults["tls.hsts"]?.status == .pass)
        #expect(withResults["tls.hsts"]?.evidence["maxAge"] == .int(63_072_000))

        let short = try TLSTestServers.nginx(
            cert: leaf.certificatePath, key: leaf.keyPath, extra: "add_header Strict-Transport-Security \"max-age=3600\" always;", folder: pki.path)
        let shortResults = await check(short, pki: pki, https: true)
        #expect(shortResults["tls.hsts"]?.status == .warn)
        #expect(shortResults["tls.hsts"]?.reasonFr == "max-age=3600, moins d'un an (31536000 s)")

        // max-age=0 tells the browser to forget HSTS; a repeated directive makes it ignore the header
        // (RFC 6797 §6.1): both fail, whatever the other max-age says.
        let zero = try TLSTestServers.nginx(
            cert: leaf.certificatePath, key: leaf.keyPath, extra: "add_header Strict-Transport-Security \"max-age=0\" always;", folder: pki.path)
        let zeroResults = await check(zero, pki: pki, https: true)
        #expect(zeroResults["tls.hsts"]?.status == .fail)
        #expect(zeroResults["tls.hsts"]?.reason == "max-age=0: the browser forgets HSTS for this site (RFC 6797 §6.1.1), no protection")
        let repeated = try TLSTestServers.nginx(
            cert: leaf.certificatePath, key: leaf.keyPath, extra: "add_header Strict-Transport-Security \"max-age=31536000; max-age=0\" always;",
            folder: pki.path)
        let repeatedResults = await check(repeated, pki: pki, https: true)
        #expect(repeatedResults["tls.hsts"]?.status == .fail)
        #expect(repeatedResults["tls.hsts"]?.evidence["maxAge"] == nil)
        #expect(repeatedResults["tls.hsts"]?.reason == "directive max-age is repeated: the browser ignores the whole header (RFC 6797 §6.1), no HSTS")

        let without = try TLSTestServers.nginx(cert: leaf.certificatePath, key: leaf.keyPath, extra: "", folder: pki.path)
        let withoutResults = await check(without, pki: pki, https: true)
        #expect(withoutResults["tls.hsts"]?.status == .fail)
        #expect(withoutResults["tls.hsts"]?.severity == .medium)
        #expect(withoutResults["tls.legacy-protocols"]?.status == .pass)
    }

    @Test func smtpStartTLS() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("smtp")
        let server = try TLSTestServers.python("smtp", cert: leaf.certificatePath, key: leaf.keyPath, folder: pki.path)
        let results = await check(server, pki: pki, startTLS: .smtp)
        #expect(results["tls.connection"] == nil)
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(results["tls.legacy-protocols"]?.evidence["starttls"] == "smtp")
        let accepted = Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"])
        #expect(accepted.contains("TLSv1.2"))
        #expect(results["tls.cert.trust"]?.status == .pass)
        #expect(results["tls.cert.hostname"]?.status == .pass)
    }

    @Test(arguments: [StartTLSProtocol.imap, .pop3, .ldap, .postgres])
    func otherStartTLSProtocols(_ startTLS: StartTLSProtocol) async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("starttls-\(startTLS.rawValue)")
        let server = try TLSTestServers.python(startTLS.rawValue, cert: leaf.certificatePath, key: leaf.keyPath, folder: pki.path)
        let results = await check(server, pki: pki, startTLS: startTLS)
        #expect(results["tls.connection"] == nil, "\(results["tls.connection"]?.reason ?? "")")
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(results["tls.legacy-protocols"]?.evidence["starttls"] == .string(startTLS.rawValue))
        #expect(results["tls.cert.trust"]?.status == .pass)
    }

    @Test func startTLSRefusedEndsAsError() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("smtp-refused")
        // An SMTP server probed as IMAP: the greeting is not an IMAP greeting.
        let server = try TLSTestServers.python("smtp", cert: leaf.certificatePath, key: leaf.keyPath, folder: pki.path)
        let results = await check(server, pki: pki, startTLS: .imap)
        #expect(results.count == 1)
        #expect(results["tls.connection"]?.status == .error)
        #expect(results["tls.connection"]?.reason?.contains("IMAP greeting") == true)
    }

    @Test func stapledOCSPResponsePasses() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("stapled")
        // The OCSP response, signed by the root from the index `openssl ca` kept when issuing the leaf.
        let request = pki.folder.url("ocsp-request.der")
        let response = pki.folder.url("ocsp-response.der")
        try pki.factory.openssl(["ocsp", "-issuer", pki.root.certificatePath, "-cert", leaf.certificatePath, "-reqout", request, "-no_nonce"])
        try pki.factory.openssl([
            "ocsp", "-index", pki.folder.url("pki/ca-stapled/index.txt"), "-rsigner", pki.root.certificatePath, "-rkey", pki.root.keyPath,
            "-CA", pki.root.certificatePath, "-reqin", request, "-respout", response, "-ndays", "2",
        ])
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-status_file", response], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.ocsp-stapling"]?.status == .pass)
        #expect(results["tls.ocsp-stapling"]?.evidence["stapled"] == .bool(true))
    }

    @Test func ipv6Loopback() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("ipv6")
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, host: "::1", arguments: ["-tls1_3"], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.legacy-protocols"]?.target == "[::1]:\(server.port)")
        #expect(results["tls.legacy-protocols"]?.evidence["address"] == .string("[::1]:\(server.port)"))
        #expect(results["tls.legacy-protocols"]?.status == .pass)
        #expect(results["tls.cert.hostname"]?.status == .pass)
        // No SNI for an IP literal.
        #expect(results["tls.legacy-protocols"]?.evidence["sni"] == nil)
    }

    @Test func silentServerEndsAsBoundedError() async throws {
        let folder = try TemporaryDirectory()
        let server = try TLSTestServers.python("silent", folder: folder.path)
        let pki = try PKI()
        let results = await check(server, pki: pki, timeout: 1)
        #expect(results.count == 1)
        #expect(results["tls.connection"]?.status == .error)
        #expect(results["tls.connection"]?.reason?.contains("no answer to the ClientHello") == true)
    }

    @Test func garbageServerEndsAsError() async throws {
        let folder = try TemporaryDirectory()
        let server = try TLSTestServers.python("garbage", folder: folder.path)
        let pki = try PKI()
        let results = await check(server, pki: pki)
        #expect(results.count == 1)
        #expect(results["tls.connection"]?.status == .error)
        // Its answer starts with an HTTP status line: named as such.
        #expect(results["tls.connection"]?.reason?.contains("does not speak TLS: speaks HTTP, not TLS (\"HTTP/1.0 200 garbage\"") == true,
                "\(results["tls.connection"]?.reason ?? "")")
        #expect(results["tls.connection"]?.evidence["speaks"] == "http")
    }

    @Test func resettingServerEndsAsError() async throws {
        let folder = try TemporaryDirectory()
        let server = try TLSTestServers.python("reset", folder: folder.path)
        let pki = try PKI()
        let results = await check(server, pki: pki)
        #expect(results.count == 1)
        #expect(results["tls.connection"]?.status == .error)
    }

    @Test func closedPortEndsAsError() async throws {
        let pki = try PKI()
        let port = try BackgroundServer.freePort()
        var check = TLSEndpointCheck(endpoints: [.init(endpoint: TLSEndpoint(host: "127.0.0.1", port: port))], discover: false, caFile: pki.root.certificatePath)
        check.hsts = false
        let results = await check.run(CheckContext(root: .system))
        #expect(results.map(\.code) == ["tls.connection"])
        #expect(results.first?.status == .error)
        #expect(results.first?.reason?.contains("connection failed") == true)
    }

    @Test func dripFeedingServerEndsWithinTheConnectionBudget() async throws {
        let folder = try TemporaryDirectory()
        let server = try TLSTestServers.python("drip", folder: folder.path)
        let pki = try PKI()
        let results = await check(server, pki: pki, timeout: 1)
        #expect(results.count == 1)
        #expect(results["tls.connection"]?.status == .error)
        #expect(results["tls.connection"]?.reason?.contains("no answer to the ClientHello within 1 s") == true)
    }

    @Test func hundredCertificateChainIsBounded() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("long-chain", issuer: pki.intermediate)
        let copies = String(repeating: pki.intermediate.pem, count: 99)
        let chain = try pki.folder.write("chain-99.pem", copies)
        let server = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, chain: chain, arguments: [], folder: pki.path)
        let results = await check(server, pki: pki)
        #expect(results["tls.cert.trust"]?.evidence["servedCount"] == .int(100))
        // The path validates (leaf → intermediate → root), but the served list carries 98 stray copies.
        #expect(results["tls.cert.trust"]?.status == .warn)
        #expect(results["tls.legacy-protocols"]?.status == .pass)
    }

    @Test func largeClientHelloIntoleranceIsRetriedWithShorterLists() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("intolerant", key: .rsa(2048))
        let backend = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath, arguments: ["-tls1_2", "-cipher", "ALL:@SECLEVEL=0"], folder: pki.path)
        let direct = await check(backend, pki: pki)
        let proxy = try TLSTestServers.python("intolerant", backend: backend.port, folder: pki.path)
        let relayed = await check(proxy, pki: pki)
        let directSuites = Self.acceptedNames(direct["tls.weak-ciphers"], version: "TLSv1.2")
        #expect(directSuites.count > 20)
        #expect(Set(Self.acceptedNames(relayed["tls.weak-ciphers"], version: "TLSv1.2")) == Set(directSuites))
        #expect(relayed["tls.legacy-protocols"]?.status == .pass)
        #expect(relayed["tls.weak-ciphers"]?.status == direct["tls.weak-ciphers"]?.status)
    }

    /// A server that resets the connection once TLS 1.2 enumeration has found its first suite: the
    /// suites after it were never tested, so neither "no weak suite" nor "all with forward secrecy"
    /// is known. The server also accepts AES128-SHA (CBC, RSA key transport), which the reset hides.
    @Test func enumerationCutShortByResetsIsNeverAPass() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("reset", key: .rsa(2048))
        let backend = try TLSTestServers.openssl(
            cert: leaf.certificatePath, key: leaf.keyPath,
            arguments: ["-tls1_2", "-serverpref", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA"], folder: pki.path)
        let front = try TLSTestServers.python("reset-tls12-after-first", backend: backend.port, folder: pki.path)
        var check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: "127.0.0.1", port: front.port), https: false)], discover: false,
            caFile: pki.root.certificatePath)
        // One connection at a time: the enumeration order is fixed (TLS 1.3, 1.2, 1.1, 1.0, then raw hellos).
        check.connectionsPerEndpoint = 1
        let results = Dictionary(await check.run(CheckContext(root: .system)).map { ($0.code, $0) }) { first, _ in first }
        // Versions: every one decided (1.2 accepted; 1.3, 1.1, 1.0 refused with an alert; SSLv3 refused).
        #expect(results["tls.legacy-protocols"]?.status == .pass, "\(results["tls.legacy-protocols"]?.reason ?? "")")
        #expect(Self.strings(results["tls.legacy-protocols"]?.evidence["accepted"]) == ["TLSv1.2"])
        #expect(Self.acceptedNames(results["tls.weak-ciphers"], version: "TLSv1.2") == ["ECDHE-RSA-AES256-GCM-SHA384"])
        // Suites: cut short after the first, so not verified.
        #expect(results["tls.weak-ciphers"]?.status == .error)
        #expect(results["tls.weak-ciphers"]?.reason?.contains("suite enumeration cut short") == true, "\(results["tls.weak-ciphers"]?.reason ?? "")")
        #expect(results["tls.forward-secrecy"]?.status == .error)
        #expect(results["tls.dh-params"]?.status == .error)

        // The same server without the front: the hidden suite is found and judged.
        let direct = await self.check(backend, pki: pki)
        #expect(direct["tls.weak-ciphers"]?.status == .warn)
        #expect(direct["tls.forward-secrecy"]?.status == .warn)
    }

    @Test func endpointDeadlineStopsAServerThatStallsAfterTheFirstHandshake() async throws {
        let pki = try PKI()
        let leaf = try pki.leaf("stall")
        let backend = try TLSTestServers.openssl(cert: leaf.certificatePath, key: leaf.keyPath, arguments: [], folder: pki.path)
        let proxy = try TLSTestServers.python("stall-after-first", backend: backend.port, folder: pki.path)
        var check = TLSEndpointCheck(
            endpoints: [.init(endpoint: TLSEndpoint(host: "127.0.0.1", port: proxy.port), https: false)], discover: false,
            caFile: pki.root.certificatePath)
        check.connectionTimeout = 1
        check.endpointDeadline = 3
        let results = Dictionary(await check.run(CheckContext(root: .system)).map { ($0.code, $0) }) { first, _ in first }
        // The chain came with the first handshake; versions and suites could not be decided in time.
        #expect(results["tls.cert.trust"]?.status == .pass)
        #expect(results["tls.legacy-protocols"]?.status == .error)
        #expect(results["tls.weak-ciphers"]?.status == .error)
        #expect(results["tls.forward-secrecy"]?.status == .error)
    }
}
