import Foundation
import OpenSSLKit
import Testing
import TestSupport

/// `TrustStore` keeps anchors as DER and hands libcrypto only those a chain can use (issue 19): the
/// verdicts, error codes and depths must still be those of `openssl verify -CAfile <whole bundle>`.
@Suite struct TrustStoreTests {
    /// What `openssl verify` says: 0 when OK, else the `error N at D depth lookup` code and depth.
    static func reference(bundle: String, untrusted: String?, leaf: String) throws -> (code: Int, depth: Int) {
        let output = try Command.run("openssl", ["verify", "-CAfile", bundle] + (untrusted.map { ["-untrusted", $0] } ?? []) + [leaf])
        if output.exitCode == 0 { return (0, -1) }
        let text = output.stdout + output.stderr
        guard let range = text.range(of: #"error (\d+) at (\d+) depth"#, options: .regularExpression) else {
            Issue.record("unexpected openssl verify output: \(text)")
            return (-1, -1)
        }
        let words = text[range].split(separator: " ")
        return (Int(words[1]) ?? -1, Int(words[3]) ?? -1)
    }

    static func load(_ path: String) throws -> [X509Certificate] {
        try CertificateFile.load(contents: Array(try Data(contentsOf: URL(fileURLWithPath: path)))).certificates
    }

    @Test("chains verified against the system bundle plus test anchors agree with openssl verify, anchors found through other anchors included")
    func verdictsAgreeWithOpenSSLVerify() throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("pki"))
        let root = try factory.issue(name: "root", subject: "/CN=Racine de test/O=Commune de Test", isCA: true)
        let intermediate = try factory.issue(name: "intermediate", subject: "/CN=Intermediaire de test", issuer: root, isCA: true)
        let leaf = try factory.issue(name: "leaf", subject: "/CN=portail.mairie.test", sans: ["DNS:portail.mairie.test"], issuer: intermediate)
        let stranger = try factory.issue(name: "stranger", subject: "/CN=Autre racine", isCA: true)
        let strangerLeaf = try factory.issue(name: "stranger-leaf", subject: "/CN=autre.mairie.test", sans: ["DNS:autre.mairie.test"], issuer: stranger)
        let system = try String(contentsOfFile: "/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)
        func bundle(_ name: String, _ extra: [CertificateFactory.Issued]) throws -> String {
            let path = directory.url("\(name).pem")
            try (system + extra.map(\.pem).joined()).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let withRoot = try bundle("with-root", [root])
        let withRootAndIntermediate = try bundle("with-both", [root, intermediate])
        let systemOnly = try bundle("system", [])
        let firstSystemRoot = directory.url("system-root.pem")
        try (try Self.load(systemOnly))[0].pemEncoded.write(toFile: firstSystemRoot, atomically: true, encoding: .utf8)

        let cases: [(name: String, bundle: String, untrusted: CertificateFactory.Issued?, leaf: String)] = [
            ("served intermediate, root in the bundle", withRoot, intermediate, leaf.certificatePath),
            ("intermediate only in the bundle: found through the anchors", withRootAndIntermediate, nil, leaf.certificatePath),
            ("missing root", systemOnly, intermediate, leaf.certificatePath),
            ("missing intermediate", withRoot, nil, leaf.certificatePath),
            ("another CA's leaf", withRootAndIntermediate, nil, strangerLeaf.certificatePath),
            ("a bundle root itself", systemOnly, nil, firstSystemRoot),
        ]
        for item in cases {
            let store = try TrustStore()
            let blocks = try store.add(bundle: Array(try Data(contentsOf: URL(fileURLWithPath: item.bundle))))
            #expect(store.count == Set(try Self.load(item.bundle).map(\.derEncoded)).count)
            #expect(blocks >= store.count)
            let verification = CertificateChainVerifier.verify(
                leaf: try Self.load(item.leaf)[0], untrusted: try item.untrusted.map { try Self.load($0.certificatePath) } ?? [],
                store: store, at: Date(), checkTime: true)
            let expected = try Self.reference(bundle: item.bundle, untrusted: item.untrusted?.certificatePath, leaf: item.leaf)
            #expect(verification.errorCode == expected.code, "\(item.name): \(verification.errorText)")
            #expect(verification.trusted == (expected.code == 0), "\(item.name)")
            if expected.code != 0 { #expect(verification.errorDepth == expected.depth, "\(item.name)") }
        }
        // The anchors found through other anchors are in the path built.
        let store = try TrustStore()
        try store.add(bundle: Array(try Data(contentsOf: URL(fileURLWithPath: withRootAndIntermediate))))
        let built = CertificateChainVerifier.verify(leaf: try Self.load(leaf.certificatePath)[0], untrusted: [], store: store, at: Date(), checkTime: true)
        #expect(built.chain.map(\.subject) == ["CN=portail.mairie.test", "CN=Intermediaire de test", "O=Commune de Test,CN=Racine de test"])
    }
}
