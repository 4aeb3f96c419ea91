import Foundation
import Testing
import TestSupport

/// `pki issue` through the built binary, checked with the openssl command (issue 18): a key that already has a
/// valid certificate is refused unless `--renew`, which revokes the old certificate as superseded in the CRL; an
/// existing certificate file is never replaced without `--force`; the default file is named `<SIREN>-<host>.crt`.
@Suite
struct PKIIssueTests {
    static let siren = "212901896"

    /// A CA and one enrolled agent, all through the built binary.
    final class World: @unchecked Sendable {
        let folder: TemporaryDirectory
        var pki: String { folder.url("pki") }
        var request: String { folder.url("etc/agent.csr") }
        var issued: String { folder.url("etc/\(PKIIssueTests.siren)-srv-mairie.crt") }

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-pki-issue")
            try Self.succeed(["pki", "init", "--dir", pki, "--name", "RSSI mutualisé du Pays de Brest"])
            try Self.succeed(["enroll", "--entity-name", "Commune de Plouzané", "--siren", PKIIssueTests.siren, "--host", "srv-mairie", "--dir", folder.url("etc")])
        }

        @discardableResult
        static func succeed(_ arguments: [String]) throws -> Command.Output {
            let output = try BuiltBinary.run(arguments)
            guard output.exitCode == 0 else { throw TestSupportError("cyberctl \(arguments.joined(separator: " ")): \(output.exitCode) \(output.stderr)") }
            return output
        }

        /// The CA's index as `pki list --format json` gives it.
        func list() throws -> [[String: Any]] {
            let output = try Self.succeed(["pki", "list", "--dir", pki, "--format", "json"])
            return try JSONSerialization.jsonObject(with: output.stdoutData) as? [[String: Any]] ?? []
        }

        /// `openssl verify -crl_check` of `certificate` against the CA and its current CRL.
        func verify(_ certificate: String) throws -> Command.Output {
            try Command.run("openssl", ["verify", "-crl_check", "-CAfile", folder.url("pki/ca.pem"), "-CRLfile", folder.url("pki/crl.pem"), certificate])
        }
    }

    @Test("the default file is <SIREN>-<host>.crt beside the request; the same key again is refused (64) and nothing is issued")
    func defaultNameAndRefusal() throws {
        let world = try World()
        let first = try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        #expect(first.stdout.contains(world.issued), "\(first.stdout)")
        #expect(try world.verify(world.issued).exitCode == 0)
        let serialBefore = try String(contentsOfFile: world.folder.url("pki/serial"), encoding: .utf8)

        let again = try BuiltBinary.run(["pki", "issue", world.request, "--dir", world.pki, "--out", world.folder.url("second.crt")])
        #expect(again.exitCode == 64, "\(again.stderr)")
        let french = try #require(again.stderr.range(of: "la clé de cette demande a déjà un certificat valide"), "\(again.stderr)")
        let english = try #require(again.stderr.range(of: "(this request's key already has a valid certificate"), "\(again.stderr)")
        #expect(french.lowerBound < english.lowerBound)
        #expect(again.stderr.contains("--renew"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.folder.url("second.crt")))
        #expect(try world.list().count == 1, "nothing issued")
        #expect(try String(contentsOfFile: world.folder.url("pki/serial"), encoding: .utf8) == serialBefore)
    }

    @Test("a key revoked for keyCompromise is never certified again, with or without --renew; a key revoked as superseded may be")
    func compromisedKeyIsNeverReissued() throws {
        let world = try World()
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let serial = try #require(try world.list().first?["serial"] as? String)
        try World.succeed(["pki", "revoke", serial, "--reason", "keyCompromise", "--dir", world.pki])
        for extra in [[], ["--renew"]] {
            let again = try BuiltBinary.run(["pki", "issue", world.request, "--dir", world.pki, "--out", world.folder.url("again.crt"), "--force"] + extra)
            #expect(again.exitCode == 64, "\(extra): \(again.stderr)")
            #expect(again.stderr.contains("révoquée pour un motif qui annule toutes ses signatures"), "\(again.stderr)")
            #expect(again.stderr.contains("série \(serial) (") && again.stderr.contains("motif keyCompromise"), "\(again.stderr)")
            #expect(again.stderr.contains("cyberctl enroll"), "\(again.stderr)")
            #expect(!FileManager.default.fileExists(atPath: world.folder.url("again.crt")))
        }
        #expect(try world.list().count == 1, "nothing issued")
        // Revoked for another reason (the server retired): the same key may be certified again.
        let other = try World()
        try World.succeed(["pki", "issue", other.request, "--dir", other.pki])
        let retired = try #require(try other.list().first?["serial"] as? String)
        try World.succeed(["pki", "revoke", retired, "--reason", "cessationOfOperation", "--dir", other.pki])
        try World.succeed(["pki", "issue", other.request, "--dir", other.pki, "--force"])
        #expect(try other.list().count == 2)
    }

    /// `openssl req -new` for `key`, with the agent subject of `World`, written to `name`.csr.
    static func request(for key: String, in world: World, name: String) throws -> String {
        let path = world.folder.url("\(name).csr")
        let output = try Command.run("openssl", [
            "req", "-new", "-key", key, "-subj", "/C=FR/O=Commune de Plouzané/organizationIdentifier=NTRFR-\(siren)/CN=srv-mairie", "-utf8", "-out", path,
        ])
        guard output.exitCode == 0 else { throw TestSupportError("openssl req: \(output.stderr)") }
        return path
    }

    /// `openssl ec` of `key` with `arguments` (`-conv_form compressed`, `-param_enc explicit`), written to `name`.key.
    static func reencode(_ key: String, in world: World, name: String, _ arguments: [String]) throws -> String {
        let path = world.folder.url("\(name).key")
        let output = try Command.run("openssl", ["ec", "-in", key, "-out", path] + arguments)
        guard output.exitCode == 0 else { throw TestSupportError("openssl ec: \(output.stderr)") }
        return path
    }

    @Test("a compromised EC key re-encoded (compressed point, explicit curve) is still refused; explicit parameters are refused on their own")
    func reencodedCompromisedKey() throws {
        let world = try World()
        let key = world.folder.url("etc/agent.key")
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let serial = try #require(try world.list().first?["serial"] as? String)
        // The same key, point compressed: the same key to the CA (refused as already certified while valid).
        let compressed = try Self.request(for: try Self.reencode(key, in: world, name: "compressed", ["-conv_form", "compressed"]), in: world, name: "compressed")
        let text = try Command.run("openssl", ["req", "-in", compressed, "-noout", "-text"]).stdout
        #expect(text.contains("pub:\n                    02") || text.contains("pub:\n                    03"), "compressed point: \(text)")
        let valid = try BuiltBinary.run(["pki", "issue", compressed, "--dir", world.pki, "--out", world.folder.url("c.crt")])
        #expect(valid.exitCode == 64 && valid.stderr.contains("déjà un certificat valide : série \(serial)"), "\(valid.stderr)")
        try World.succeed(["pki", "revoke", serial, "--reason", "keyCompromise", "--dir", world.pki])
        for extra in [[], ["--renew"]] {
            let again = try BuiltBinary.run(["pki", "issue", compressed, "--dir", world.pki, "--out", world.folder.url("c.crt")] + extra)
            #expect(again.exitCode == 64, "\(extra): \(again.stderr)")
            #expect(again.stderr.contains("annule toutes ses signatures") && again.stderr.contains("série \(serial) ("), "\(again.stderr)")
        }
        // Explicit curve parameters: refused for what they are, whether the key is compromised or fresh.
        let explicit = try Self.request(for: try Self.reencode(key, in: world, name: "explicit", ["-param_enc", "explicit"]), in: world, name: "explicit")
        #expect(try Command.run("openssl", ["req", "-in", explicit, "-noout", "-text"]).stdout.contains("Field Type: prime-field"))
        let fresh = world.folder.url("fresh.key")
        #expect(try Command.run("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", fresh]).exitCode == 0)
        let freshExplicit = try Self.request(for: try Self.reencode(fresh, in: world, name: "fresh-explicit", ["-param_enc", "explicit"]), in: world, name: "fresh-explicit")
        for request in [explicit, freshExplicit] {
            let refused = try BuiltBinary.run(["pki", "issue", request, "--dir", world.pki, "--out", world.folder.url("e.crt")])
            #expect(refused.exitCode == 64, "\(refused.stderr)")
            #expect(refused.stderr.contains("paramètres de sa courbe en clair (explicit)"), "\(refused.stderr)")
        }
        #expect(try world.list().count == 1, "nothing issued")
        // A fresh key with a compressed point and a named curve is a valid request.
        let freshCompressed = try Self.request(for: try Self.reencode(fresh, in: world, name: "fresh-compressed", ["-conv_form", "compressed"]), in: world, name: "fresh-compressed")
        try World.succeed(["pki", "issue", freshCompressed, "--dir", world.pki, "--out", world.folder.url("f.crt")])
        #expect(try world.verify(world.folder.url("f.crt")).exitCode == 0)
    }

    @Test("a key revoked with no --reason (unspecified) or on hold is not certified again; a hold settled as superseded is")
    func unspecifiedAndHoldKeysAreNotReissued() throws {
        let world = try World()
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let serial = try #require(try world.list().first?["serial"] as? String)
        try World.succeed(["pki", "revoke", serial, "--dir", world.pki])
        let again = try BuiltBinary.run(["pki", "issue", world.request, "--dir", world.pki, "--force"])
        #expect(again.exitCode == 64 && again.stderr.contains("motif unspecified"), "\(again.stderr)")

        let held = try World()
        try World.succeed(["pki", "issue", held.request, "--dir", held.pki])
        let heldSerial = try #require(try held.list().first?["serial"] as? String)
        try World.succeed(["pki", "revoke", heldSerial, "--reason", "certificateHold", "--dir", held.pki])
        let onHold = try BuiltBinary.run(["pki", "issue", held.request, "--dir", held.pki, "--force", "--renew"])
        #expect(onHold.exitCode == 64 && onHold.stderr.contains("suspendue (certificateHold)"), "\(onHold.stderr)")
        try World.succeed(["pki", "revoke", heldSerial, "--reason", "superseded", "--dir", held.pki])
        try World.succeed(["pki", "issue", held.request, "--dir", held.pki, "--force"])
        #expect(try held.list().count == 2)
    }

    @Test("pki revoke escalates superseded to keyCompromise (date kept, index and CRL say keyCompromise), refuses the way back")
    func revocationEscalation() throws {
        let world = try World()
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let serial = try #require(try world.list().first?["serial"] as? String)
        try World.succeed(["pki", "revoke", serial, "--reason", "superseded", "--dir", world.pki])
        let revokedAt = try #require(try world.list().first?["revokedAt"] as? String)
        let escalated = try World.succeed(["pki", "revoke", serial, "--reason", "keyCompromise", "--dir", world.pki])
        #expect(escalated.stdout.contains("superseded → keyCompromise") && escalated.stdout.contains("date de révocation d'origine conservée"), "\(escalated.stdout)")
        let record = try #require(try world.list().first)
        #expect(record["revocationReason"] as? String == "keyCompromise")
        #expect(record["revokedAt"] as? String == revokedAt)
        let crl = try Command.run("openssl", ["crl", "-in", world.folder.url("pki/crl.pem"), "-noout", "-text"]).stdout
        #expect(crl.contains("Serial Number: \(serial)") && crl.contains("Key Compromise") && !crl.contains("Superseded"), "\(crl)")
        for reason in ["superseded", "keyCompromise", "certificateHold", "unspecified"] {
            let refused = try BuiltBinary.run(["pki", "revoke", serial, "--reason", reason, "--dir", world.pki])
            #expect(refused.exitCode == 64 && refused.stderr.contains("déjà révoqué"), "\(reason): \(refused.stderr)")
        }
        #expect(try world.list().first?["revocationReason"] as? String == "keyCompromise")
        // And now the key is never certified again.
        let again = try BuiltBinary.run(["pki", "issue", world.request, "--dir", world.pki, "--force"])
        #expect(again.exitCode == 64 && again.stderr.contains("motif keyCompromise"), "\(again.stderr)")
    }

    @Test("an existing certificate file is not replaced without --force (64, nothing issued, the old one not revoked)")
    func noOverwriteWithoutForce() throws {
        let world = try World()
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let before = try Data(contentsOf: URL(fileURLWithPath: world.issued))
        let refused = try BuiltBinary.run(["pki", "issue", world.request, "--dir", world.pki, "--renew"])
        #expect(refused.exitCode == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(refused.stderr.contains(world.issued), "names the file: \(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: world.issued)) == before)
        let rows = try world.list()
        #expect(rows.count == 1 && rows[0]["revokedAt"] == nil, "\(rows)")
    }

    @Test("--renew issues the new certificate and revokes the old one as superseded: openssl crl shows it, openssl verify -crl_check refuses it")
    func renewSupersedes() throws {
        let world = try World()
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki])
        let old = world.folder.url("old.crt")
        try FileManager.default.copyItem(atPath: world.issued, toPath: old)
        let oldSerial = try #require(try world.list().first?["serial"] as? String)

        let renewed = try World.succeed(["pki", "issue", world.request, "--dir", world.pki, "--renew", "--force"])
        #expect(renewed.stdout.contains("remplace  série \(oldSerial), révoqué (superseded)"), "\(renewed.stdout)")
        let rows = try world.list()
        #expect(rows.count == 2)
        let oldRow = try #require(rows.first { $0["serial"] as? String == oldSerial })
        #expect(oldRow["revocationReason"] as? String == "superseded", "\(oldRow)")
        #expect(rows.first { $0["serial"] as? String != oldSerial }?["revokedAt"] == nil)

        let crl = try Command.run("openssl", ["crl", "-in", world.folder.url("pki/crl.pem"), "-noout", "-text"])
        #expect(crl.exitCode == 0, "\(crl.stderr)")
        #expect(crl.stdout.contains("Serial Number: \(oldSerial)"), "\(crl.stdout)")
        #expect(crl.stdout.contains("Superseded"), "\(crl.stdout)")
        let oldVerify = try world.verify(old)
        #expect(oldVerify.exitCode != 0)
        #expect((oldVerify.stdout + oldVerify.stderr).contains("certificate revoked"), "\(oldVerify.stdout)\(oldVerify.stderr)")
        #expect(try world.verify(world.issued).exitCode == 0, "the new certificate verifies")

        // Renewing again supersedes the second one; a revoked certificate no longer blocks anything.
        let again = try World.succeed(["pki", "issue", world.request, "--dir", world.pki, "--renew", "--out", world.folder.url("third.crt")])
        #expect(again.stdout.contains("remplace"), "\(again.stdout)")
        #expect(try world.list().filter { $0["revokedAt"] == nil }.count == 1)
    }

    @Test("--renew without a valid certificate for the key just issues; a new key for the same host is not blocked")
    func renewWithoutHolderAndNewKey() throws {
        let world = try World()
        let first = try World.succeed(["pki", "issue", world.request, "--dir", world.pki, "--renew"])
        #expect(!first.stdout.contains("remplace"), "\(first.stdout)")
        try World.succeed(["enroll", "--entity-name", "Commune de Plouzané", "--siren", Self.siren, "--host", "srv-mairie", "--dir", world.folder.url("etc"), "--force"])
        try World.succeed(["pki", "issue", world.request, "--dir", world.pki, "--out", world.folder.url("new-key.crt")])
        #expect(try world.list().filter { $0["revokedAt"] == nil }.count == 2)
    }

    @Test("--server names its default file after the first subjectAltName: server-<name>.crt beside the request")
    func serverDefaultName() throws {
        let world = try World()
        let key = world.folder.url("collector.key")
        let csr = world.folder.url("collector.csr")
        #expect(try Command.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]).exitCode == 0)
        #expect(try Command.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=collector.test", "-out", csr]).exitCode == 0)
        try World.succeed(["pki", "issue", csr, "--server", "--san", "DNS:Collecteur.example.fr", "--dir", world.pki])
        #expect(FileManager.default.fileExists(atPath: world.folder.url("server-collecteur.example.fr.crt")))
        let again = try BuiltBinary.run(["pki", "issue", csr, "--server", "--san", "DNS:autre.example.fr", "--dir", world.pki])
        #expect(again.exitCode == 64, "the same key again: \(again.stderr)")
    }
}
