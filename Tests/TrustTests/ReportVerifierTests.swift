import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Trust

@Suite("Report signing and verification")
struct ReportVerifierTests {
    @Test("A signed report verifies and says who signed it, for which entity and host, and when")
    func happyPath() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let signingTime = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60).rounded(.down))
        let signature = try agent.signer.sign(report, signingTime: signingTime)
        let verified = try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature)
        #expect(verified.siren == TrustFixture.siren)
        #expect(verified.signer.siren == TrustFixture.siren)
        #expect(verified.signer.host == "srv-mairie")
        #expect(verified.signer.entityName == "Commune de Plouzané")
        #expect(verified.signer.serial == agent.serial)
        #expect(verified.signingTime == signingTime)
        #expect(verified.hostname == "srv-mairie")
        #expect(verified.reportSHA256 == Digest.sha256Hex(report))
        #expect(verified.warnings.isEmpty, "\(verified.warnings)")
    }

    @Test("A report signed piece by piece as it is written verifies, in cyberctl and in openssl cms, and a changed byte does not")
    func streamedSignature() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        // A report of a few MB, given in pieces of uneven sizes (the report writer's chunks are about 64 KB).
        var report = try TrustFixture.reportBytes()
        let padding = Array(repeating: UInt8(ascii: " "), count: 3 << 20)
        report.insert(contentsOf: padding, at: report.count - 1)
        let signing = try agent.signer.detachedSigner()
        var offset = 0
        var size = 1
        while offset < report.count {
            let end = min(report.count, offset + size)
            try signing.update(Array(report[offset..<end]))
            offset = end
            size = size * 7 % 150_001 + 1
        }
        let signature = try signing.finish().derEncoded()
        #expect(throws: OpenSSLError.self) { try signing.update([0x20]) }
        let verified = try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature)
        #expect(verified.signer.siren == TrustFixture.siren)
        #expect(verified.reportSHA256 == Digest.sha256Hex(report))
        let reportPath = try fixture.folder.write("streamed.json", Data(report))
        let signaturePath = try fixture.folder.write("streamed.json.p7s", Data(signature))
        let openssl = try Command.run(
            "openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", signaturePath, "-content", reportPath,
                        "-CAfile", fixture.folder.url("pki/ca.pem"), "-purpose", "any", "-out", "/dev/null"])
        #expect(openssl.exitCode == 0, "\(openssl.stderr)")
        var altered = report
        altered[report.count / 2] ^= 0x01
        _ = TrustFixture.expectFailure(.contentMismatch) { try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: altered, signatureBytes: signature) }
    }

    @Test("Without a CRL the report verifies with a warning that revocation was not checked")
    func noCRLWarning() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let verified = try ReportVerifier(trust: try fixture.trust(withCRL: false))
            .verify(reportBytes: report, signatureBytes: try agent.signer.sign(report))
        #expect(verified.warnings.contains { $0.en.contains("revocation not checked") })
    }

    @Test("A flipped byte anywhere in the report is refused as an altered report")
    func flippedReportByte() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let signature = try agent.signer.sign(report)
        let verifier = ReportVerifier(trust: try fixture.trust())
        for position in stride(from: 0, to: report.count, by: max(1, report.count / 97)) + [report.count - 1] {
            var altered = report
            altered[position] ^= 0x01
            let failure = TrustFixture.expectFailure(.contentMismatch) { try verifier.verify(reportBytes: altered, signatureBytes: signature) }
            #expect(failure?.message(in: .en).contains("altered") == true)
        }
    }

    @Test("A flipped byte at any position of the signature is refused, never accepted, never a crash")
    func flippedSignatureByte() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let signature = try agent.signer.sign(report)
        let verifier = ReportVerifier(trust: try fixture.trust())
        // Verified once first, so the verifier remembers the signer certificate: flips outside the
        // certificate then go through the path that parses the signature without it.
        _ = try verifier.verify(reportBytes: report, signatureBytes: signature)
        let fresh = ReportVerifier(trust: try fixture.trust())
        var codes: [VerificationFailure.Code: Int] = [:]
        for position in 0..<signature.count {
            var altered = signature
            altered[position] ^= 0x01
            do {
                let accepted = try verifier.verify(reportBytes: report, signatureBytes: altered)
                Issue.record("flipping byte \(position) of the signature was accepted: \(accepted)")
            } catch {
                codes[error.code, default: 0] += 1
                #expect(!error.text.fr.isEmpty && !error.text.en.isEmpty)
            }
            #expect(throws: VerificationFailure.self, "byte \(position), verifier without memory") {
                try fresh.verify(reportBytes: report, signatureBytes: altered)
            }
        }
        // The flips land in the DER structure, the signed attributes, the certificate and the signature value.
        #expect(codes[.signatureMalformed, default: 0] > 0)
        #expect(codes[.signatureInvalid, default: 0] > 0)
        #expect(codes.values.reduce(0, +) == signature.count)
    }

    @Test("Truncated and empty signatures are refused with their own messages")
    func truncatedSignature() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let signature = try agent.signer.sign(report)
        let verifier = ReportVerifier(trust: try fixture.trust())
        _ = try verifier.verify(reportBytes: report, signatureBytes: signature)
        let empty = TrustFixture.expectFailure(.signatureEmpty) { try verifier.verify(reportBytes: report, signatureBytes: []) }
        #expect(empty?.message(in: .en) == "the signature file is empty")
        for length in [1, 2, 10, signature.count / 2, signature.count - 1] {
            let failure = TrustFixture.expectFailure(.signatureMalformed) {
                try verifier.verify(reportBytes: report, signatureBytes: Array(signature.prefix(length)))
            }
            #expect(failure?.message(in: .en).contains("truncated or corrupted") == true)
        }
        // Trailing garbage after a complete structure is refused too.
        TrustFixture.expectFailure(.signatureMalformed) { try verifier.verify(reportBytes: report, signatureBytes: signature + [0]) }
    }

    @Test("A report without its .p7s is refused as unsigned")
    func missingSignature() throws {
        let fixture = try TrustFixture()
        let path = try fixture.folder.write("r.json", Data(try TrustFixture.reportBytes()))
        let failure = TrustFixture.expectFailure(.signatureMissing) { try ReportVerifier(trust: try fixture.trust()).verify(reportPath: path) }
        #expect(failure?.message(in: .en).contains("r.json.p7s not found") == true)
    }

    @Test("A signature by a certificate from another CA is refused as untrusted")
    func otherCA() throws {
        let ours = try TrustFixture(name: "RSSI A")
        let theirs = try TrustFixture(name: "RSSI B")
        let report = try TrustFixture.reportBytes()
        let signature = try theirs.agent().signer.sign(report)
        let failure = TrustFixture.expectFailure(.untrustedIssuer) {
            try ReportVerifier(trust: try ours.trust()).verify(reportBytes: report, signatureBytes: signature)
        }
        #expect(failure?.message(in: .en).contains("RSSI B") == true)
    }

    @Test("A certificate expired at signing time is refused; the same certificate verifies for a report signed while valid")
    func expired() throws {
        let day: TimeInterval = 86_400
        let now = Date()
        let fixture = try TrustFixture(caCreated: now - 400 * day)
        let agent = try fixture.agent(issuedAt: now - 300 * day, days: 30)
        // Generated before every signing time below (a report is never generated after it is signed).
        let report = try TrustFixture.reportBytes(generatedAt: Date(timeIntervalSince1970: (now - 310 * day).timeIntervalSince1970.rounded(.down)))
        let verifier = ReportVerifier(trust: try fixture.trust())
        let late = try agent.signer.sign(report, signingTime: now - day)
        let failure = TrustFixture.expectFailure(.certificateExpired) { try verifier.verify(reportBytes: report, signatureBytes: late) }
        #expect(failure?.message(in: .en).contains("had expired at signing time") == true)
        let inTime = try agent.signer.sign(report, signingTime: now - 290 * day)
        let verified = try verifier.verify(reportBytes: report, signatureBytes: inTime)
        #expect(verified.signer.serial == agent.serial)
        // The verifier now remembers the chain; a signing time outside its window is still refused.
        TrustFixture.expectFailure(.certificateExpired) { try verifier.verify(reportBytes: report, signatureBytes: late) }
        let early = try agent.signer.sign(report, signingTime: now - 305 * day)
        TrustFixture.expectFailure(.certificateNotYetValid) { try verifier.verify(reportBytes: report, signatureBytes: early) }
        #expect(try verifier.verify(reportBytes: report, signatureBytes: inTime) == verified)
        // Loading an expired certificate for signing is refused up front.
        #expect(throws: InputError.self) { try ReportSigner(keyPath: agent.keyPath, certificatePath: agent.certificatePath) }
    }

    @Test("A signing time in the future is refused")
    func futureSigningTime() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes()
        let signature = try agent.signer.sign(report, signingTime: Date() + 86_400)
        TrustFixture.expectFailure(.signingTimeInFuture) {
            try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature)
        }
    }

    @Test("A revoked certificate is refused; a benign revocation after signing leaves earlier reports valid")
    func revoked() throws {
        let fixture = try TrustFixture()
        let compromised = try fixture.agent("compromised")
        let retired = try fixture.agent("retired")
        let report = try TrustFixture.reportBytes()
        let before = Date() - 60
        let compromisedSignature = try compromised.signer.sign(report, signingTime: before)
        let retiredSignature = try retired.signer.sign(report, signingTime: before)
        // Valid before any revocation.
        _ = try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: compromisedSignature)

        try fixture.authority.revoke(serial: compromised.serial, reason: .keyCompromise)
        try fixture.authority.revoke(serial: retired.serial, reason: .cessationOfOperation)
        let verifier = ReportVerifier(trust: try fixture.trust())
        let failure = TrustFixture.expectFailure(.certificateRevoked) {
            try verifier.verify(reportBytes: report, signatureBytes: compromisedSignature)
        }
        #expect(failure?.message(in: .en).contains("keyCompromise") == true)
        let kept = try verifier.verify(reportBytes: report, signatureBytes: retiredSignature)
        #expect(kept.warnings.contains { $0.en.contains("cessationOfOperation") && $0.en.contains("after this report was signed") })
        // After the revocation, the retired agent's new reports are refused.
        let afterwards = try retired.signer.sign(report, signingTime: Date() + 60)
        TrustFixture.expectFailure(.certificateRevoked) { try verifier.verify(reportBytes: report, signatureBytes: afterwards) }
    }

    @Test("A report whose SIREN differs from the certificate's is refused; so is one without a SIREN")
    func sirenMismatch() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let verifier = ReportVerifier(trust: try fixture.trust())
        let other = try TrustFixture.reportBytes(siren: TrustFixture.otherSIREN)
        let failure = TrustFixture.expectFailure(.sirenMismatch) {
            try verifier.verify(reportBytes: other, signatureBytes: try agent.signer.sign(other))
        }
        #expect(failure?.message(in: .en).contains(TrustFixture.otherSIREN) == true)
        #expect(failure?.message(in: .en).contains(TrustFixture.siren) == true)
        let none = try TrustFixture.reportBytes(siren: nil)
        TrustFixture.expectFailure(.sirenMissing) { try verifier.verify(reportBytes: none, signatureBytes: try agent.signer.sign(none)) }
    }

    @Test("A signed file that is not JSON, or JSON off the schema, is refused with where and why")
    func notJSONOrSchema() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let verifier = ReportVerifier(trust: try fixture.trust())
        let text = Array("<html>not a report</html>\n".utf8)
        let notJSON = TrustFixture.expectFailure(.notJSON) { try verifier.verify(reportBytes: text, signatureBytes: try agent.signer.sign(text)) }
        #expect(notJSON?.message(in: .en).contains("line 1, column 1") == true)

        var report = String(decoding: try TrustFixture.reportBytes(), as: UTF8.self)
        report = report.replacingOccurrences(of: "\"status\" : \"fail\"", with: "\"status\" : \"broken\"")
        let bytes = Array(report.utf8)
        let schema = TrustFixture.expectFailure(.schemaViolation) { try verifier.verify(reportBytes: bytes, signatureBytes: try agent.signer.sign(bytes)) }
        #expect(schema?.message(in: .en).contains("/results/0/status") == true)
        #expect(schema?.message(in: .en).contains("\"broken\"") == true)
    }

    @Test("A 100 MB report is refused unread, with the limit in the message")
    func hugeReport() throws {
        let fixture = try TrustFixture()
        let path = fixture.folder.url("huge.json")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        try fixture.folder.write("huge.json.p7s", Data([0x30, 0x80]))
        let failure = TrustFixture.expectFailure(.reportTooLarge) { try ReportVerifier(trust: try fixture.trust()).verify(reportPath: path) }
        #expect(failure?.message(in: .en).contains("104857600 bytes") == true)
        #expect(failure?.message(in: .en).contains("refused unread") == true)
        // In memory, the same limit holds.
        let big = [UInt8](repeating: 0x20, count: TrustFiles.maximumReportBytes + 1)
        TrustFixture.expectFailure(.reportTooLarge) { try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: big, signatureBytes: [0x30]) }
    }

    @Test("A private key readable by group or others is refused, with the chmod that fixes it")
    func keyPermissions() throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        for mode in [0o640, 0o604, 0o644, 0o660] {
            #expect(chmod(agent.keyPath, mode_t(mode)) == 0)
            do {
                _ = try ReportSigner(keyPath: agent.keyPath, certificatePath: agent.certificatePath)
                Issue.record("mode \(String(mode, radix: 8)) was accepted")
            } catch {
                #expect(error.kind == .invalidData)
                #expect(error.description.contains("chmod 600 \(agent.keyPath)"), "\(error)")
                #expect(error.description.contains("mode 0\(String(mode, radix: 8))"), "\(error)")
            }
        }
        #expect(chmod(agent.keyPath, 0o600) == 0)
        _ = try ReportSigner(keyPath: agent.keyPath, certificatePath: agent.certificatePath)
        #expect(chmod(agent.keyPath, 0o400) == 0)
        _ = try ReportSigner(keyPath: agent.keyPath, certificatePath: agent.certificatePath)
    }

    @Test("A key that does not match the certificate is refused when loading the signer")
    func mismatchedKey() throws {
        let fixture = try TrustFixture()
        let first = try fixture.agent("first")
        let second = try fixture.agent("second")
        #expect {
            try ReportSigner(keyPath: first.keyPath, certificatePath: second.certificatePath)
        } throws: { error in
            "\(error)".contains("ne correspond pas à la clé privée")
                && (error as? InputError)?.description(in: .en).contains("does not match the private key") == true
        }
    }

    @Test("Trust refuses a CRL that the CA did not sign, and a leaf given as CA")
    func trustAnchors() throws {
        let ours = try TrustFixture(name: "RSSI A")
        let theirs = try TrustFixture(name: "RSSI B")
        #expect(throws: InputError.self) {
            try TrustAnchors.load(caFile: ours.authority.certificatePath, crlFiles: [theirs.authority.crlPath])
        }
        let agent = try ours.agent()
        #expect(throws: InputError.self) { try TrustAnchors.load(caFile: agent.certificatePath, crlFiles: []) }
    }

    @Test("Verification is safe from many threads at once")
    func concurrentVerification() async throws {
        let fixture = try TrustFixture()
        let agent = try fixture.agent()
        let report = try TrustFixture.reportBytes(results: 50)
        let signature = try agent.signer.sign(report)
        let verifier = ReportVerifier(trust: try fixture.trust())
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<50 { _ = try verifier.verify(reportBytes: report, signatureBytes: signature) }
                    return 50
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(count == 400)
    }
}
