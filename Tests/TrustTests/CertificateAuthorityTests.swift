import Agent
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Trust

@Suite("The RSSI's CA: init, enrolment, issue, revoke")
struct CertificateAuthorityTests {
    func openssl(_ arguments: [String]) throws -> Command.Output {
        let output = try Command.run("openssl", arguments)
        #expect(output.exitCode == 0, "openssl \(arguments.joined(separator: " ")): \(output.stderr)")
        return output
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("pki init writes a P-256 key (0600), a 10-year CA certificate and an empty CRL that openssl reads")
    func initialise() throws {
        let fixture = try TrustFixture(name: "RSSI mutualisé du Pays de Brest")
        let authority = fixture.authority
        #expect(try mode(authority.keyPath) == 0o600)
        let key = try openssl(["pkey", "-in", authority.keyPath, "-noout", "-text"]).stdout
        #expect(key.contains("NIST CURVE: P-256"))
        let certificate = try openssl(["x509", "-in", authority.certificatePath, "-noout", "-text", "-nameopt", "utf8"]).stdout
        #expect(certificate.contains("CA:TRUE"))
        #expect(certificate.contains("Certificate Sign, CRL Sign"))
        #expect(certificate.contains("RSSI mutualisé du Pays de Brest"))
        let ca = try authority.certificate()
        let years = (ca.notAfter!.timeIntervalSince(ca.notBefore!)) / (365.25 * 86_400)
        #expect(years > 9.99 && years < 10.01)
        #expect(ca.isSelfSigned)
        let crl = try openssl(["crl", "-in", authority.crlPath, "-noout", "-text", "-CAfile", authority.certificatePath]).stdout
        #expect(crl.contains("No Revoked Certificates"))
        #expect(crl.contains("X509v3 CRL Number"))
        let verified = try Command.run("openssl", ["crl", "-in", authority.crlPath, "-noout", "-CAfile", authority.certificatePath])
        #expect(verified.stderr.contains("verify OK"))
        #expect(try authority.issued().isEmpty)
        // A second init in the same folder is refused.
        #expect(throws: InputError.self) { try CertificateAuthority.initialize(directory: fixture.folder.url("pki"), name: "again") }
    }

    @Test("enroll writes a 0600 key and a CSR with O, organizationIdentifier NTRFR-<SIREN> and CN, read by openssl req")
    func enrolment() throws {
        let folder = try TemporaryDirectory()
        let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: "212901896", host: "srv-mairie")
        let result = try Enrolment.enroll(identity: identity, directory: folder.url("etc"))
        #expect(try mode(result.keyPath) == 0o600)
        #expect(try openssl(["pkey", "-in", result.keyPath, "-noout", "-text"]).stdout.contains("NIST CURVE: P-256"))
        let request = try openssl(["req", "-in", result.requestPath, "-noout", "-verify", "-subject", "-nameopt", "utf8,sep_comma_plus_space"])
        #expect(request.stdout.contains("C=FR, O=Commune de Plouzané, organizationIdentifier=NTRFR-212901896, CN=srv-mairie"), "\(request.stdout)")
        #expect((request.stdout + request.stderr).contains("verify OK"))
        // An existing key is kept unless replacing is asked for.
        #expect(throws: InputError.self) { try Enrolment.enroll(identity: identity, directory: folder.url("etc")) }
        _ = try Enrolment.enroll(identity: identity, directory: folder.url("etc"), replace: true)
    }

    @Test("A bad SIREN, host or name is refused before anything is written", arguments: [
        ("Commune", "212901898", "srv"), ("Commune", "21290189", "srv"), ("Commune", "2129018961", "srv"),
        ("", "212901896", "srv"), ("Commune", "212901896", "srv mairie"), ("Commune", "212901896", ""),
        // Invisible characters that would make a name look like another member's: zero-width space, word joiner, BOM,
        // soft hyphen, Hangul filler, a tag character.
        ("Commune de\u{200B} Plouzané", "212901896", "srv"), ("Commune\u{2060} de Plouzané", "212901896", "srv"),
        ("\u{FEFF}Commune", "212901896", "srv"), ("Commu\u{AD}ne", "212901896", "srv"), ("Commune\u{3164}", "212901896", "srv"),
        ("Commune\u{E0041}", "212901896", "srv"),
    ])
    func badIdentity(name: String, siren: String, host: String) {
        #expect(throws: InputError.self) { try AgentIdentity(entityName: name, siren: siren, host: host) }
    }

    @Test("A certificate whose O holds an invisible character is not an agent's: the message shows where it is")
    func invisibleOrganization() throws {
        func subject(_ organization: String) -> DistinguishedName {
            DistinguishedName([.init("C", "FR"), .init("O", organization), .init("organizationIdentifier", "NTRFR-212901896"), .init("CN", "srv-mairie")])
        }
        guard case .failure(let problem) = AgentIdentity.from(subject("Commune de Plouzané\u{200B}")) else {
            Issue.record("a zero-width space in O was accepted")
            return
        }
        #expect("\(problem)".contains("U+200B"), "\(problem)")
        // Accents, apostrophes and hyphens of real names stay accepted.
        #expect((try? AgentIdentity.from(subject("Commune d'Île-Molène — Syndicat Œuvre")).get()) != nil)
    }

    @Test("pki issue: digitalSignature, clientAuth, no CA bit, the subject copied, serials counted, index kept")
    func issue() throws {
        let fixture = try TrustFixture()
        let first = try fixture.agent("first")
        let second = try fixture.agent("second", siren: TrustFixture.otherSIREN, host: "srv-ecole")
        // Counted up from a random 128-bit start: a CA made again under the same name does not reissue the old one's serials.
        #expect(first.serial.count == 32 && first.serial.allSatisfy(\.isHexDigit), "\(first.serial)")
        #expect(second.serial == CertificateAuthority.hex(CertificateAuthority.bytes(fromHex: first.serial).incremented()))
        let again = try TrustFixture()
        #expect(try again.agent("first").serial != first.serial)
        let text = try openssl(["x509", "-in", first.certificatePath, "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space"]).stdout
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("Digital Signature"))
        #expect(!text.contains("Certificate Sign"))
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(text.contains("organizationIdentifier=NTRFR-212901896"))
        let verify = try Command.run("openssl", ["verify", "-CAfile", fixture.authority.certificatePath, first.certificatePath])
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        let issued = try fixture.authority.issued()
        #expect(issued.map(\.serial) == [first.serial, second.serial])
        #expect(issued[1].siren == TrustFixture.otherSIREN)
        #expect(issued[1].host == "srv-ecole")
        #expect(FileManager.default.fileExists(atPath: fixture.folder.url("pki/certs/\(second.serial).pem")))
        let days = issued[0].notAfter.timeIntervalSince(issued[0].notBefore) / 86_400
        #expect(days > 825 && days < 825.01)
    }

    @Test("pki issue refuses requests that are not agent requests, each with its reason")
    func issueRefusals() throws {
        let fixture = try TrustFixture()
        let factory = try CertificateFactory(folder: fixture.folder.url("openssl"))
        func request(_ name: String, subject: String, key: CertificateFactory.KeyKind = .ec("prime256v1")) throws -> CertificateSigningRequest {
            let keyPath = try factory.makeKey(key, name: name)
            let path = fixture.folder.url("openssl/\(name).csr")
            try factory.openssl(["req", "-new", "-key", keyPath, "-subj", subject, "-out", path, "-utf8"])
            return try CertificateSigningRequest(encoded: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        func refusal(_ csr: CertificateSigningRequest) -> String {
            do {
                _ = try fixture.authority.issue(csr)
                return "accepted"
            } catch {
                return error.description(in: .en)
            }
        }
        #expect(refusal(try request("no-orgid", subject: "/O=Commune/CN=srv")).contains("organizationIdentifier"))
        #expect(refusal(try request("bad-siren", subject: "/O=Commune/organizationIdentifier=NTRFR-212901898/CN=srv")).contains("not a valid SIREN"))
        #expect(refusal(try request("vat", subject: "/O=Commune/organizationIdentifier=VATFR-212901896/CN=srv")).contains("expected NTRFR-"))
        #expect(refusal(try request("no-cn", subject: "/O=Commune/organizationIdentifier=NTRFR-212901896")).contains("CN"))
        #expect(refusal(try request("rsa1024", subject: "/O=Commune/organizationIdentifier=NTRFR-212901896/CN=srv", key: .rsa(1024))).contains("RSA 1024-bit"))
        #expect(refusal(try request("ed25519", subject: "/O=Commune/organizationIdentifier=NTRFR-212901896/CN=srv", key: .ed25519)).contains("expected ECDSA"))
        // openssl-made agent requests are accepted.
        #expect(refusal(try request("good", subject: "/O=Commune/organizationIdentifier=NTRFR-212901896/CN=srv")) == "accepted")
        // A request whose signature was tampered with is refused.
        _ = try request("tampered", subject: "/O=Commune/organizationIdentifier=NTRFR-212901896/CN=srv")
        let pem = try String(contentsOfFile: fixture.folder.url("openssl/tampered.csr"), encoding: .utf8)
        var der = try #require(Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
        der[der.count - 5] ^= 0x01
        #expect(refusal(try CertificateSigningRequest(encoded: Array(der))).contains("signature does not verify"))
        #expect(throws: InputError.self) { try fixture.authority.issue(try request("days", subject: "/O=C/organizationIdentifier=NTRFR-212901896/CN=s"), days: 900) }
    }

    @Test("pki revoke records the revocation and regenerates a CRL that openssl reads, with serial and reason")
    func revoke() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let other = try fixture.agent("other")
        let record = try fixture.authority.revoke(serial: agent.serial.lowercased(), reason: .keyCompromise)
        #expect(record.revocationReason == "keyCompromise")
        let crl = try openssl(["crl", "-in", fixture.authority.crlPath, "-noout", "-text"]).stdout
        #expect(crl.contains("Serial Number: \(agent.serial)"))
        #expect(crl.contains("Key Compromise"))
        #expect(!crl.contains("Serial Number: \(other.serial)"))
        let verify = try Command.run(
            "openssl", ["verify", "-crl_check", "-CAfile", fixture.authority.certificatePath, "-CRLfile", fixture.authority.crlPath, agent.certificatePath])
        #expect(verify.exitCode != 0)
        #expect((verify.stdout + verify.stderr).contains("certificate revoked"))
        let issued = try fixture.authority.issued()
        #expect(issued[0].status(at: Date()) == "revoked")
        #expect(issued[1].status(at: Date()) == "valid")
        #expect(throws: InputError.self) { try fixture.authority.revoke(serial: agent.serial) }
        do {
            try fixture.authority.revoke(serial: "ABCDEF")
            Issue.record("an unknown serial was revoked")
        } catch {
            #expect(error.kind == .missing)
        }
    }

    @Test("a revocation's reason may escalate to keyCompromise or settle a hold, keeping its date; nothing else changes it")
    func reasonChanges() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let first = Date().addingTimeInterval(-3_600)
        try fixture.authority.revoke(serial: agent.serial, reason: .superseded, now: first)
        let escalated = try fixture.authority.revocation(serial: agent.serial, reason: .keyCompromise, now: Date())
        #expect(escalated.previousReason == "superseded")
        #expect(escalated.record.revocationReason == "keyCompromise")
        #expect(escalated.record.revokedAt.map { abs($0.timeIntervalSince(first)) < 1 } == true, "the original date is kept")
        let entry = try #require(try CertificateRevocationList(encoded: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.authority.crlPath)))).entries.first)
        #expect(entry.reason == .keyCompromise && abs(entry.revocationDate.timeIntervalSince(first)) < 1)
        for reason: CertificateRevocationList.Reason in [.superseded, .unspecified, .certificateHold, .keyCompromise] {
            let error = try #require(throws: InputError.self) { try fixture.authority.revoke(serial: agent.serial, reason: reason) }
            #expect(error.exitCode == 64, "\(reason): \(error)")
        }
        let downgrade = try #require(throws: InputError.self) { try fixture.authority.revoke(serial: agent.serial, reason: .superseded) }
        #expect(downgrade.message.contains("keyCompromise → superseded rendrait valides des rapports signés avant la révocation"), "\(downgrade)")

        let held = try fixture.agent("held")
        #expect(try fixture.authority.revocation(serial: held.serial, reason: .certificateHold).previousReason == nil)
        #expect(try fixture.authority.revocation(serial: held.serial, reason: .cessationOfOperation).previousReason == "certificateHold")
        #expect(throws: InputError.self) { try fixture.authority.revoke(serial: held.serial, reason: .certificateHold) }
    }

    @Test("decoded key identity: a compressed point and an explicit curve are the same P-256 key; RSA by n and e")
    func keyIdentity() throws {
        let fixture = try TrustFixture()
        let factory = try CertificateFactory(folder: fixture.folder.url("openssl"))
        func csr(_ key: String, _ name: String) throws -> CertificateSigningRequest {
            let path = fixture.folder.url("openssl/\(name).csr")
            try factory.openssl(["req", "-new", "-key", key, "-subj", "/O=C/organizationIdentifier=NTRFR-212901896/CN=s", "-out", path])
            return try CertificateSigningRequest(encoded: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        let ec = try factory.makeKey(.ec("prime256v1"), name: "ec")
        let compressed = fixture.folder.url("openssl/compressed.key")
        let explicit = fixture.folder.url("openssl/explicit.key")
        try factory.openssl(["ec", "-in", ec, "-conv_form", "compressed", "-out", compressed])
        try factory.openssl(["ec", "-in", ec, "-param_enc", "explicit", "-out", explicit])
        let named = try csr(ec, "named"), small = try csr(compressed, "compressed"), spelled = try csr(explicit, "explicit")
        #expect(named.subjectPublicKeyInfoDER != small.subjectPublicKeyInfoDER, "the encodings differ")
        #expect(named.subjectPublicKeyInfoDER != spelled.subjectPublicKeyInfoDER)
        let identity = try #require(named.publicKeyIdentity)
        #expect(identity.description.hasPrefix("EC prime256v1 04") && identity.description.count == "EC prime256v1 ".count + 130)
        #expect(small.publicKeyIdentity == identity)
        #expect(spelled.publicKeyIdentity == identity)
        #expect(!named.hasExplicitCurveParameters && !small.hasExplicitCurveParameters && spelled.hasExplicitCurveParameters)
        #expect(try csr(try factory.makeKey(.ec("prime256v1"), name: "other"), "other").publicKeyIdentity != identity)
        let rsa = try csr(try factory.makeKey(.rsa(2048), name: "rsa"), "rsa")
        #expect(rsa.publicKeyIdentity?.description.hasPrefix("RSA n=") == true && rsa.publicKeyIdentity?.description.hasSuffix(" e=010001") == true)
        #expect(!rsa.hasExplicitCurveParameters)
    }

    @Test("Concurrent issuance never hands out the same serial twice")
    func concurrentIssue() async throws {
        let fixture = try TrustFixture()
        let requests = try (0..<6).map { index in
            try Enrolment.enroll(
                identity: try AgentIdentity(entityName: "Commune", siren: TrustFixture.siren, host: "srv-\(index)"),
                directory: fixture.folder.url("agent-\(index)")).request
        }
        let authority = fixture.authority
        let serials = try await withThrowingTaskGroup(of: String.self) { group in
            for request in requests { group.addTask { try authority.issue(request).record.serial } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(serials).count == 6)
        #expect(try authority.issued().count == 6)
    }

    @Test("a key's expired or revoked certificate does not block a new one; a valid one does, unless renew; a tampered copy in certs/ is an error, not a no")
    func sameKeyRules() throws {
        let fixture = try TrustFixture(caCreated: Date().addingTimeInterval(-10 * 86_400))
        let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: TrustFixture.siren, host: "srv-mairie")
        let request = try Enrolment.enroll(identity: identity, directory: fixture.folder.url("agent")).request
        let authority = fixture.authority
        // Issued 9 days ago for 2 days: expired now.
        let expired = try authority.issue(request, days: 2, now: Date().addingTimeInterval(-9 * 86_400))
        let current = try authority.issue(request, days: 30, now: Date(), renew: false)
        #expect(current.superseded.isEmpty, "an expired certificate is not superseded")
        #expect(throws: InputError.self) { try authority.issue(request, days: 30, now: Date(), renew: false) }
        // Revoked because the server was retired: the same key may be certified again.
        try authority.revoke(serial: current.record.serial, reason: .cessationOfOperation)
        let afterRevocation = try authority.issue(request, days: 30, now: Date(), renew: false)
        #expect(afterRevocation.superseded.isEmpty)

        let renewed = try authority.issue(request, days: 30, now: Date(), renew: true)
        #expect(renewed.superseded.map(\.serial) == [afterRevocation.record.serial])
        #expect(renewed.superseded.first?.revocationReason == "superseded")
        let records = try authority.issued()
        #expect(records.first { $0.serial == expired.record.serial }?.revokedAt == nil, "the expired one is left as it is")
        #expect(records.first { $0.serial == current.record.serial }?.revocationReason == "cessationOfOperation", "an earlier revocation keeps its reason")

        // Revoked as compromised: that key is never certified again, with or without renew.
        let stolen = try Enrolment.enroll(identity: identity, directory: fixture.folder.url("agent-stolen")).request
        let first = try authority.issue(stolen, days: 30, now: Date(), renew: false)
        try authority.revoke(serial: first.record.serial, reason: .keyCompromise)
        for renew in [false, true] {
            let refused = try #require(throws: InputError.self) { try authority.issue(stolen, days: 30, now: Date(), renew: renew) }
            #expect(refused.exitCode == 64 && refused.englishMessage.contains("revoked for a reason that voids all its signatures"), "\(refused)")
        }

        // The copy of the valid certificate replaced by another certificate: the question cannot be answered.
        let other = try fixture.agent("other", host: "srv-autre", issuedAt: Date(), days: 30)
        try FileManager.default.removeItem(atPath: fixture.folder.url("pki/certs/\(renewed.record.serial).pem"))
        try FileManager.default.copyItem(atPath: other.certificatePath, toPath: fixture.folder.url("pki/certs/\(renewed.record.serial).pem"))
        let error = try #require(throws: InputError.self) { try authority.issue(request, days: 30, now: Date(), renew: true) }
        #expect(error.exitCode == 65 && error.englishMessage.contains("not the certificate index.json records"), "\(error)")

    }
}

@Suite("Trust anchors: a CRL of another authority")
struct ForeignCRLTests {
    @Test("A CRL of another CA of the same name is refused, naming the file, in French first")
    func foreignCRLOfTheSameName() throws {
        let ours = try TrustFixture(name: "RSSI de test")
        let theirs = try TrustFixture(name: "RSSI de test")
        do {
            _ = try TrustAnchors.load(caFile: ours.authority.certificatePath, crlFiles: [theirs.authority.crlPath])
            Issue.record("a CRL no trusted CA signed must be refused")
        } catch {
            #expect(error.file == theirs.authority.crlPath, "\(error)")
            let french = error.description(in: .fr), english = error.description(in: .en)
            #expect(french.contains("n'est signée par aucune AC de confiance") && french.contains("même de même nom"), "\(french)")
            #expect(english.contains("is not signed by any trusted CA"), "\(english)")
        }
    }
}
