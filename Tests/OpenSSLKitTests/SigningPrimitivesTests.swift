import Foundation
import OpenSSLKit
import TestSupport
import Testing

@Suite("OpenSSLKit signing primitives: keys, requests, issuance, CRLs, CMS, stores")
struct SigningPrimitivesTests {
    let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))

    func makeCA(_ key: PrivateKey, name: String = "Test CA") throws -> X509Certificate {
        try CertificateIssuer.selfSigned(
            CertificateTemplate(
                subject: DistinguishedName([.init("CN", name)]), serialNumber: [0x01], notBefore: now - 60, notAfter: now + 86_400 * 365,
                extensions: [("basicConstraints", "critical, CA:TRUE"), ("keyUsage", "critical, keyCertSign, cRLSign"), ("subjectKeyIdentifier", "hash")]),
            key: key)
    }

    func makeLeaf(caKey: PrivateKey, ca: X509Certificate, key: PrivateKey, serial: [UInt8] = [0x10, 0x00],
                  notBefore: Date? = nil, notAfter: Date? = nil) throws -> X509Certificate {
        let subject = DistinguishedName([.init("O", "Mairie d'Équeurdreville"), .init("organizationIdentifier", "NTRFR-212901896"), .init("CN", "srv")])
        let request = try CertificateSigningRequest(subject: subject, key: key)
        return try CertificateIssuer.issue(
            CertificateTemplate(
                subject: request.subject, serialNumber: serial, notBefore: notBefore ?? now - 60, notAfter: notAfter ?? now + 86_400,
                extensions: [("basicConstraints", "critical, CA:FALSE"), ("keyUsage", "critical, digitalSignature"), ("authorityKeyIdentifier", "keyid:always")]),
            for: request, issuer: ca, issuerKey: caKey)
    }

    @Test("A generated P-256 key round-trips through PKCS#8 PEM and openssl reads it")
    func keys() throws {
        let key = try PrivateKey.generateP256()
        #expect(key.description.algorithm == "EC")
        #expect(key.description.bits == 256)
        #expect(key.description.curve == "prime256v1")
        let pem = try key.pkcs8PEM()
        #expect(String(decoding: pem, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reread = try PrivateKey(encoded: pem)
        #expect(try reread.publicKeyPEM() == key.publicKeyPEM())
        let output = try Command.run("openssl", ["pkey", "-pubout"], input: Data(pem))
        #expect(output.exitCode == 0)
        #expect(output.stdout == (try key.publicKeyPEM()))
    }

    @Test("An encrypted key is refused at once (no passphrase prompt), and garbage names libcrypto's reason")
    func encryptedKey() throws {
        let folder = try TemporaryDirectory()
        let path = folder.url("encrypted.key")
        let made = try Command.run(
            "openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out", path])
        #expect(made.exitCode == 0)
        #expect(throws: OpenSSLError.self) { try PrivateKey(encoded: Array(try Data(contentsOf: URL(fileURLWithPath: path)))) }
        #expect {
            try PrivateKey(encoded: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8))
        } throws: { error in
            !((error as? OpenSSLError)?.entries.isEmpty ?? true)
        }
    }

    @Test("Requests and certificates carry UTF-8 subjects exactly; the leaf chains to its CA")
    func issuance() throws {
        let caKey = try PrivateKey.generateP256()
        let ca = try makeCA(caKey)
        let key = try PrivateKey.generateP256()
        let leaf = try makeLeaf(caKey: caKey, ca: ca, key: key)
        #expect(leaf.subjectName.first("O") == "Mairie d'Équeurdreville")
        #expect(leaf.subjectName.first("organizationIdentifier") == "NTRFR-212901896")
        #expect(leaf.issuerName == ca.subjectName)
        #expect(leaf.serialNumberHex == "1000")
        #expect(leaf.keyUsage == ["digitalSignature"])
        #expect(ca.keyUsage == ["keyCertSign", "cRLSign"])
        #expect(leaf.isIssued(by: ca))
        #expect(key.matches(leaf))
        #expect(!caKey.matches(leaf))
        let store = try X509Store(trusting: [ca])
        guard case .valid(let chain) = store.verify(leaf, at: now) else {
            Issue.record("chain did not verify")
            return
        }
        #expect(chain.count == 2)
        guard case .invalid(let error) = store.verify(leaf, at: now + 2 * 86_400) else {
            Issue.record("an expired certificate verified")
            return
        }
        #expect(error.kind == .expired)
        #expect(error.reason == "certificate has expired")
        let otherStore = try X509Store(trusting: [try makeCA(try PrivateKey.generateP256(), name: "Other CA")])
        guard case .invalid(let foreign) = otherStore.verify(leaf, at: now) else {
            Issue.record("a foreign certificate verified")
            return
        }
        #expect(foreign.kind == .untrustedIssuer)
    }

    @Test("A CRL lists revoked serials with dates and reasons, is signed by its CA, and parses back from PEM")
    func revocationList() throws {
        let caKey = try PrivateKey.generateP256()
        let ca = try makeCA(caKey)
        let revokedLeaf = try makeLeaf(caKey: caKey, ca: ca, key: try PrivateKey.generateP256(), serial: [0x10, 0x01])
        let keptLeaf = try makeLeaf(caKey: caKey, ca: ca, key: try PrivateKey.generateP256(), serial: [0x10, 0x02])
        let crl = try CertificateRevocationList.build(
            issuer: ca, issuerKey: caKey, thisUpdate: now, nextUpdate: now + 86_400, number: 7,
            entries: [.init(serialNumber: [0x10, 0x01], revocationDate: now - 10, reason: .superseded)])
        let parsed = try CertificateRevocationList(encoded: Array(try crl.pemEncoded().utf8))
        #expect(parsed.isSigned(by: ca))
        #expect(!parsed.isSigned(by: try makeCA(try PrivateKey.generateP256())))
        #expect(parsed.thisUpdate == now)
        #expect(parsed.nextUpdate == now + 86_400)
        let entry = try #require(parsed.entry(for: revokedLeaf))
        #expect(entry.reason == .superseded)
        #expect(entry.revocationDate == now - 10)
        #expect(parsed.entry(for: keptLeaf) == nil)
        let text = try Command.run("openssl", ["crl", "-noout", "-text"], input: Data(try crl.pemEncoded().utf8)).stdout
        #expect(text.contains("X509v3 CRL Number: \n                7") || text.contains("CRL Number:"))
        #expect(text.contains("Superseded"))
    }

    @Test("CMS detached signatures: exact bytes, chosen signing time, CMS_verify agrees")
    func cms() throws {
        let caKey = try PrivateKey.generateP256()
        let ca = try makeCA(caKey)
        let key = try PrivateKey.generateP256()
        let leaf = try makeLeaf(caKey: caKey, ca: ca, key: key)
        let content = Array("{\"a\":1}\r\n".utf8)
        let signingTime = now - 30
        let signed = try CMSSignedData.signDetached(content, certificate: leaf, key: key, signingTime: signingTime)
        let parsed = try CMSSignedData(derEncoded: try signed.derEncoded())
        #expect(parsed.isSignedData && parsed.isDetached && parsed.encapsulatesData)
        let signer = try #require(parsed.signers.first)
        #expect(parsed.signers.count == 1)
        #expect(signer.signingTime == signingTime)
        #expect(signer.digestAlgorithm == "SHA256")
        #expect(signer.certificate?.serialNumberHex == "1000")
        #expect(signer.messageDigest == signer.digest(of: content))
        #expect(signer.contentTypeAttributeMatches)
        #expect(signer.signatureAlgorithmIsConsistent)
        try signer.verifySignedAttributes()
        let store = try X509Store(trusting: [ca])
        try parsed.verify(content: content, store: store)
        #expect(throws: OpenSSLError.self) { try parsed.verify(content: Array("{\"a\":1}\n".utf8), store: store) }
        #expect(throws: OpenSSLError.self) { try CMSSignedData.signDetached(content, certificate: leaf, key: caKey) }
        #expect(throws: OpenSSLError.self) { try CMSSignedData(derEncoded: []) }
    }
}
