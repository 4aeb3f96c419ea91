import Foundation
import OpenSSLKit
import Testing
import TestSupport

/// `CertificateFile.load` reads the PEM blocks a loop over `PEM_read_bio_X509` reads, whether it parses
/// each certificate itself or hands the encodings to a caller's `parse`.
@Suite struct CertificateFileTests {
    /// A certificate and its key made by the openssl command, as PEM text.
    static func generated(_ directory: TemporaryDirectory, name: String) throws -> (certificate: String, key: String) {
        let key = directory.url("\(name).key")
        let certificate = directory.url("\(name).pem")
        let output = try Command.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-subj", "/CN=\(name).mairie.test", "-days", "30",
        ])
        #expect(output.exitCode == 0, "\(output.stderr)")
        return (try String(contentsOfFile: certificate, encoding: .utf8), try String(contentsOfFile: key, encoding: .utf8))
    }

    @Test func blocksOfOtherTypesAreSkippedAndTheOldLabelIsRead() throws {
        let directory = try TemporaryDirectory()
        let first = try Self.generated(directory, name: "first")
        let second = try Self.generated(directory, name: "second")
        let oldLabel = second.certificate
            .replacingOccurrences(of: "BEGIN CERTIFICATE", with: "BEGIN X509 CERTIFICATE")
            .replacingOccurrences(of: "END CERTIFICATE", with: "END X509 CERTIFICATE")
        let text = "notes before\n" + first.certificate + first.key + oldLabel + "trailing text\n"
        let loaded = try CertificateFile.load(contents: Array(text.utf8))
        #expect(loaded.format == .pem)
        #expect(loaded.certificates.map(\.subject) == ["CN=first.mairie.test", "CN=second.mairie.test"])
        // Through `parse`: the same encodings, in the same order, each allowed trailing bytes (PEM).
        var seen: [Bool] = []
        let viaParse = try CertificateFile.load(contents: Array(text.utf8)) { encoded, trailing in
            seen.append(trailing)
            return X509Certificate.parse(derEncoded: encoded, allowingTrailingBytes: trailing)?.derEncoded
        }
        #expect(viaParse.certificates == loaded.certificates.map(\.derEncoded))
        #expect(seen == [true, true])
    }

    @Test func aBlockThatIsNotACertificateStopsReadingAndTheErrorSaysWhy() throws {
        let directory = try TemporaryDirectory()
        let good = try Self.generated(directory, name: "good")
        let notDER = "-----BEGIN CERTIFICATE-----\n" + Data("this is not DER at all".utf8).base64EncodedString() + "\n-----END CERTIFICATE-----\n"
        // Reading stops at the bad block, as a PEM_read_bio_X509 loop does: what precedes it is kept,
        // what follows it is not read.
        let before = try CertificateFile.load(contents: Array((good.certificate + notDER + good.certificate).utf8))
        #expect(before.certificates.map(\.subject) == ["CN=good.mairie.test"])
        #expect(throws: CertificateFile.LoadError.self) { try CertificateFile.load(contents: Array((notDER + good.certificate).utf8)) }
        do {
            _ = try CertificateFile.load(contents: Array(notDER.utf8))
        } catch {
            guard case .noCertificateInPEM(let reason) = error else {
                Issue.record("expected noCertificateInPEM, got \(error)")
                return
            }
            // OpenSSL's own ASN.1 reason is kept, not drained away by the failed parse.
            #expect(!reason.entries.isEmpty)
            #expect(reason.description.lowercased().contains("asn1"))
        }
    }
}
