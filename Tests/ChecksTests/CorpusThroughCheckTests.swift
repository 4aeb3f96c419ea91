import Checks
import Foundation
import Testing
import TestSupport

/// The whole real-world corpus through `cert.files`: every file gives results, never a crash; a file
/// that cannot be read is one `error` result with a reason.
@Suite struct CorpusThroughCheckTests {
    @Test func everyCorpusFileGivesResultsOrAClearError() async throws {
        let corpus = URL(fileURLWithPath: BuiltBinary.packageRoot).deletingLastPathComponent()
            .appendingPathComponent("shared/corpus/x509").path
        let files = try #require(FileManager.default.enumerator(atPath: corpus)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".pem") || $0.hasSuffix(".crt") }.map { "\(corpus)/\($0)" }
        #expect(files.count > 1_400)
        let results = await CertificateFilesCheck(paths: files, discover: false).run(CheckContext(root: .system))
        let targets = Set(results.map { $0.target.split(separator: "#").first.map(String.init) ?? $0.target })
        #expect(targets == Set(files))
        for result in results where result.status == .error {
            #expect(result.reason?.isEmpty == false, "\(result.target) \(result.code) has no reason")
        }
        // Known corpus members: the 10,000-name certificate and an RSA 8192 chain.
        let tenThousand = try #require(results.first { $0.target.contains("10000-sans") && $0.code == "cert.expiry" })
        let subject = try Command.run("openssl", ["x509", "-in", "\(corpus)/badssl/subdomain-10000-sans.pem", "-noout", "-subject", "-nameopt", "RFC2253"])
        #expect(tenThousand.evidence["subject"] == .string(String(subject.stdout.dropFirst("subject=".count).dropLast())))
        let rsa8192 = try #require(results.first { $0.target.contains("rsa8192") && $0.code == "cert.key-strength" })
        #expect(rsa8192.evidence["keyBits"] == .int(8192))
    }
}
