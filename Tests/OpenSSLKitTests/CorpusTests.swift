import Foundation
import OpenSSLKit
import Testing
import TestSupport

/// Every certificate file of shared/corpus/x509 (zlint and badssl.com) is read by cyberctl exactly as
/// `openssl x509` reads it: same subject, validity dates and key size; a file OpenSSL cannot read is a
/// clear error for cyberctl too.
@Suite struct CorpusTests {
    static let corpus = URL(fileURLWithPath: BuiltBinary.packageRoot).deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/x509").path

    static func corpusFiles() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: corpus))
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".pem") || $0.hasSuffix(".crt") }
            .sorted().map { "\(corpus)/\($0)" }
    }

    /// What `openssl x509` says of the first certificate of a file; nil when it cannot read it.
    struct Reference: Equatable {
        var subject: String
        var notBefore: Date
        var notAfter: Date
        var keyBits: Int?
    }

    static func reference(_ path: String) throws -> Reference? {
        let output = try Command.run(
            "openssl", ["x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253", "-startdate", "-enddate", "-text"])
        guard output.exitCode == 0 else { return nil }
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func value(_ prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        // "Dec  1 06:07:08.999 2057 GMT": read field by field (proleptic Gregorian, any year, fractions
        // of a second dropped as cyberctl reports whole seconds).
        func date(_ text: String?) -> Date? {
            guard let text else { return nil }
            let parts = text.split(separator: " ")
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            guard parts.count == 5, parts[4] == "GMT", let month = months.firstIndex(of: String(parts[0])),
                  let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
            let clock = parts[2].split(separator: ".")[0].split(separator: ":").compactMap { Int($0) }
            guard clock.count == 3 else { return nil }
            var fields = tm()
            fields.tm_year = Int32(year - 1900)
            fields.tm_mon = Int32(month)
            fields.tm_mday = Int32(day)
            fields.tm_hour = Int32(clock[0])
            fields.tm_min = Int32(clock[1])
            fields.tm_sec = Int32(clock[2])
            return Date(timeIntervalSince1970: TimeInterval(timegm(&fields)))
        }
        guard let notBefore = date(value("notBefore=")), let notAfter = date(value("notAfter=")) else { return nil }
        // "Public-Key: (2048 bit)" in the text dump, when OpenSSL could decode the key.
        var bits: Int?
        if let keyLine = lines.first(where: { $0.contains("Public-Key: (") }),
           let open = keyLine.range(of: "("), let space = keyLine.range(of: " bit)") {
            bits = Int(keyLine[open.upperBound..<space.lowerBound])
        }
        return Reference(subject: value("subject=") ?? "", notBefore: notBefore, notAfter: notAfter, keyBits: bits)
    }

    @Test func everyCorpusCertificateMatchesOpenSSL() async throws {
        let files = try Self.corpusFiles()
        #expect(files.count > 1_400, "the corpus should hold about 1,400 files; found \(files.count) in \(Self.corpus)")
        // Two workers: openssl runs once per file.
        let mismatches = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var problems: [String] = []
                    for (index, path) in files.enumerated() where index % 2 == worker {
                        if let problem = try Self.compare(path) { problems.append(problem) }
                    }
                    return problems
                }
            }
            var all: [String] = []
            for try await problems in group { all += problems }
            return all
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) files differ:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    /// nil when cyberctl and openssl agree on the file.
    static func compare(_ path: String) throws -> String? {
        let contents = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = try reference(path)
        let loaded: [X509Certificate]
        do {
            loaded = try CertificateFile.load(contents: contents).certificates
        } catch {
            // A clear error is right only when openssl cannot read the file either.
            if expected == nil { return String(describing: error).isEmpty ? "\(path): empty error" : nil }
            return "\(path): cyberctl failed (\(error)) but openssl reads it"
        }
        guard let expected else { return "\(path): cyberctl read it but openssl cannot" }
        let first = loaded[0]
        var differences: [String] = []
        if first.subject != expected.subject { differences.append("subject \(first.subject) ≠ \(expected.subject)") }
        if first.notBefore != expected.notBefore { differences.append("notBefore \(String(describing: first.notBefore)) ≠ \(expected.notBefore)") }
        if first.notAfter != expected.notAfter { differences.append("notAfter \(String(describing: first.notAfter)) ≠ \(expected.notAfter)") }
        // openssl prints no size for Ed25519/Ed448 keys ("ED25519 Public-Key:"); cyberctl reports the curve size.
        let edwards = ["ED25519", "ED448"].contains(first.publicKey?.algorithm ?? "")
        if !(expected.keyBits == nil && edwards) && first.publicKey?.bits != expected.keyBits { differences.append("key bits \(String(describing: first.publicKey?.bits)) ≠ \(String(describing: expected.keyBits))") }
        let blocks = String(decoding: contents, as: UTF8.self).components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
        if blocks > 0 && loaded.count != blocks { differences.append("\(loaded.count) certificates read, \(blocks) in the file") }
        return differences.isEmpty ? nil : "\(path): " + differences.joined(separator: "; ")
    }
}
