import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `cyberctl` end to end: the RSSI's CA, an agent's enrolment, signed scans, and
/// verification — cross-checked with the stock `openssl` command both ways.
@Suite("Signed reports end to end (cyberctl and openssl)")
struct SigningEndToEndTests {
    static let siren = "212901896"

    /// A CA, an enrolled agent with its certificate, and a fixture root for scans, all made by the binary.
    final class World: @unchecked Sendable {
        let folder: TemporaryDirectory
        var pki: String { folder.url("pki") }
        var ca: String { folder.url("pki/ca.pem") }
        var etc: String { folder.url("etc") }
        var key: String { folder.url("etc/agent.key") }
        var certificate: String { folder.url("etc/agent.crt") }
        var root: String { folder.url("root") }

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-e2e-sign")
            try folder.write("root/etc/hostname", "srv-mairie\n")
            try folder.write("root/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
            // The scans read this configuration, never the machine's /etc/cyberctl/agent.yaml.
            try folder.write("config/agent.yaml", "entity:\n  name: Commune de Plouzané\n")
            // A profile of certificate files alone: a full report of that profile (a `--only` report is partial, and
            // consolidate refuses it), quick on the fixture root.
            try folder.write("config/certificates.yaml", "name: certificats\ndescription: Certificats seulement.\nchecks:\n  cert.files:\n    discover: true\n")
            try expectSuccess(["pki", "init", "--dir", pki, "--name", "RSSI mutualisé du Pays de Brest"])
            try expectSuccess(["enroll", "--entity-name", "Commune de Plouzané", "--siren", SigningEndToEndTests.siren, "--host", "srv-mairie", "--dir", etc])
            try expectSuccess(["pki", "issue", folder.url("etc/agent.csr"), "--dir", pki, "--out", folder.url("etc/agent.crt")])
        }

        @discardableResult
        func expectSuccess(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Command.Output {
            let output = try BuiltBinary.run(arguments)
            #expect(output.exitCode == 0, "cyberctl \(arguments.joined(separator: " ")): \(output.stderr)", sourceLocation: sourceLocation)
            return output
        }

        /// Scans the fixture root and signs with the agent key; returns the report path.
        func signedScan(_ name: String = "r.json", extra: [String] = []) throws -> String {
            let path = folder.url(name)
            let output = try BuiltBinary.run(
                ["scan", "--root", root, "--profile", folder.url("config/certificates.yaml"), "--out", path, "--format", "json", "--fail-on", "critical",
                 "--key", key, "--cert", certificate, "--config", folder.url("config/agent.yaml")] + extra)
            #expect(output.exitCode == 0, "\(output.stderr)")
            return path
        }

        func opensslVerify(_ report: String, signature: String? = nil) throws -> Command.Output {
            try Command.run(
                "openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature ?? report + ".p7s", "-content", report, "-CAfile", ca, "-purpose", "any", "-out", "/dev/null"])
        }
    }

    @Test("A report signed by cyberctl verifies with openssl cms and with cyberctl verify")
    func signAndVerify() throws {
        let world = try World()
        let report = try world.signedScan()
        #expect(FileManager.default.fileExists(atPath: report + ".p7s"))
        let mode = (try FileManager.default.attributesOfItem(atPath: report + ".p7s")[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode.map { $0 & 0o007 } == 0, "signature must not be world-readable")
        let stock = try world.opensslVerify(report)
        #expect(stock.exitCode == 0, "\(stock.stderr)")
        #expect(stock.stderr.contains("Verification successful"))
        // The structure is what the issue asks: detached, SHA-256, signer certificate, signing time.
        let printed = try Command.run("openssl", ["cms", "-cmsout", "-print", "-inform", "DER", "-in", report + ".p7s"]).stdout
        #expect(printed.contains("eContent: <ABSENT>"))
        #expect(printed.contains("algorithm: sha256"))
        #expect(printed.contains("signingTime"))
        #expect(printed.contains("NTRFR-\(Self.siren)"))

        let verified = try BuiltBinary.run(["verify", report, "--ca", world.ca])
        #expect(verified.exitCode == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("valide"))
        #expect(verified.stdout.contains("srv-mairie"))
        #expect(verified.stdout.contains("Commune de Plouzané (SIREN \(Self.siren))"))
        let json = try BuiltBinary.run(["verify", report, "--ca", world.ca, "--format", "json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]])
        #expect(parsed.first?["valid"] as? Bool == true)
        let signer = (parsed.first?["report"] as? [String: Any])?["signer"] as? [String: Any]
        #expect(signer?["siren"] as? String == Self.siren)
    }

    @Test("A signature made by openssl cms -sign with a cyberctl-issued key verifies with cyberctl verify")
    func opensslSignsCyberctlVerifies() throws {
        let world = try World()
        let report = try world.signedScan("plain.json", extra: [])
        try FileManager.default.removeItem(atPath: report + ".p7s")
        let signed = try Command.run(
            "openssl", ["cms", "-sign", "-binary", "-outform", "DER", "-in", report, "-signer", world.certificate, "-inkey", world.key, "-out", report + ".p7s"])
        #expect(signed.exitCode == 0, "\(signed.stderr)")
        let verified = try BuiltBinary.run(["verify", report, "--ca", world.ca])
        #expect(verified.exitCode == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("srv-mairie"))
        // Other forms openssl produces: subjectKeyIdentifier signer ids (SignedData v3), SHA-384, SHA-512.
        for options in [["-keyid"], ["-md", "sha384"], ["-md", "sha512", "-nosmimecap"]] {
            let variant = try Command.run(
                "openssl", ["cms", "-sign", "-binary", "-outform", "DER", "-in", report, "-signer", world.certificate, "-inkey", world.key, "-out", report + ".p7s"] + options)
            #expect(variant.exitCode == 0, "\(variant.stderr)")
            let checked = try BuiltBinary.run(["verify", report, "--ca", world.ca])
            #expect(checked.exitCode == 0, "openssl cms -sign \(options): \(checked.stdout)")
        }
        // openssl's default (SMIME capabilities, no -binary) still verifies when the bytes are exact.
        let withoutBinary = try Command.run(
            "openssl", ["cms", "-sign", "-outform", "DER", "-in", report, "-signer", world.certificate, "-inkey", world.key, "-out", report + ".p7s"])
        #expect(withoutBinary.exitCode == 0)
        let canonicalised = try BuiltBinary.run(["verify", report, "--ca", world.ca])
        // Without -binary, openssl signs CRLF-canonicalised text: the report bytes no longer match.
        #expect(canonicalised.exitCode == 65)
        #expect(canonicalised.stdout.contains("rapport modifié"))
    }

    @Test("Tampering, missing files, another CA and revocation each give exit 65 (66 when missing) and their reason")
    func refusals() throws {
        let world = try World()
        let report = try world.signedScan()
        let original = try Data(contentsOf: URL(fileURLWithPath: report))

        var altered = original
        altered[altered.count / 2] ^= 0x20
        try altered.write(to: URL(fileURLWithPath: report))
        let tampered = try BuiltBinary.run(["verify", report, "--ca", world.ca, "--lang", "en"])
        #expect(tampered.exitCode == 65)
        #expect(tampered.stdout.contains("REFUSED (report altered)"))
        #expect(try world.opensslVerify(report).exitCode != 0, "openssl agrees")
        try original.write(to: URL(fileURLWithPath: report))

        let signature = try Data(contentsOf: URL(fileURLWithPath: report + ".p7s"))
        try signature.prefix(signature.count / 3).write(to: URL(fileURLWithPath: report + ".p7s"))
        let truncated = try BuiltBinary.run(["verify", report, "--ca", world.ca, "--format", "json"])
        #expect(truncated.exitCode == 65)
        #expect(truncated.stdout.contains("\"code\" : \"signature-malformed\""))
        try Data().write(to: URL(fileURLWithPath: report + ".p7s"))
        #expect(try BuiltBinary.run(["verify", report, "--ca", world.ca, "--lang", "en"]).stdout.contains("the signature file is empty"))
        try FileManager.default.removeItem(atPath: report + ".p7s")
        let unsigned = try BuiltBinary.run(["verify", report, "--ca", world.ca, "--lang", "en"])
        #expect(unsigned.exitCode == 65)
        #expect(unsigned.stdout.contains("REFUSED (no signature)"))
        try signature.write(to: URL(fileURLWithPath: report + ".p7s"))

        let missing = try BuiltBinary.run(["verify", world.folder.url("absent.json"), "--ca", world.ca])
        #expect(missing.exitCode == 66)

        let other = try TemporaryDirectory()
        try world.expectSuccess(["pki", "init", "--dir", other.url("pki"), "--name", "Autre RSSI"])
        let foreign = try BuiltBinary.run(["verify", report, "--ca", other.url("pki/ca.pem"), "--lang", "en"])
        #expect(foreign.exitCode == 65)
        #expect(foreign.stdout.contains("untrusted issuer"))

        // Revocation through the CLI: the CRL next to ca.pem is used by default.
        let list = try world.expectSuccess(["pki", "list", "--dir", world.pki, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: list.stdoutData) as? [[String: Any]])
        let serial = try #require(rows.first?["serial"] as? String)
        #expect(rows.first?["status"] as? String == "valid")
        try world.expectSuccess(["pki", "revoke", serial, "--reason", "keyCompromise", "--dir", world.pki])
        let revoked = try BuiltBinary.run(["verify", report, "--ca", world.ca])
        #expect(revoked.exitCode == 65)
        #expect(revoked.stdout.contains("certificat révoqué"))
        #expect(revoked.stdout.contains("keyCompromise"))
        let table = try world.expectSuccess(["pki", "list", "--dir", world.pki]).stdout
        #expect(table.contains("révoqué"), "pki list's table is French: \(table)")
        #expect(!table.contains(" revoked "), "\(table)")
        let crl = try Command.run("openssl", ["crl", "-in", world.folder.url("pki/crl.pem"), "-noout", "-text"])
        #expect(crl.stdout.contains("Serial Number: \(serial)"))
    }

    @Test("scan signs from agent.yaml's signing section, refuses a key readable by others, and --no-sign skips")
    func scanConfiguration() throws {
        let world = try World()
        let config = try world.folder.write("etc/agent.yaml", """
            entity:
              name: Commune de Plouzané
              siren: "\(Self.siren)"
            signing:
              key: \(world.key)
              certificate: \(world.certificate)
            """)
        let report = world.folder.url("configured.json")
        let arguments = ["scan", "--config", config, "--root", world.root, "--only", "certificates", "--out", report, "--fail-on", "critical"]
        let scan = try BuiltBinary.run(arguments)
        #expect(scan.exitCode == 0, "\(scan.stderr)")
        #expect(try world.opensslVerify(report).exitCode == 0)
        #expect(try BuiltBinary.run(["verify", report, "--ca", world.ca]).exitCode == 0)

        let unsigned = world.folder.url("unsigned.json")
        let noSign = try BuiltBinary.run(["scan", "--config", config, "--root", world.root, "--only", "certificates", "--out", unsigned, "--fail-on", "critical", "--no-sign"])
        #expect(noSign.exitCode == 0)
        #expect(!FileManager.default.fileExists(atPath: unsigned + ".p7s"))

        #expect(chmod(world.key, 0o644) == 0)
        let exposed = world.folder.url("exposed.json")
        let refused = try BuiltBinary.run(["scan", "--config", config, "--root", world.root, "--only", "certificates", "--out", exposed])
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("chmod 600 \(world.key)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: exposed), "nothing is scanned with a refused key")

        let usage = try BuiltBinary.run(["scan", "--key", world.key, "--root", world.root])
        #expect(usage.exitCode == 64)
    }

    @Test("enroll refuses a SIREN whose check digit is wrong (exit 64)")
    func enrollBadSIREN() throws {
        let folder = try TemporaryDirectory()
        let output = try BuiltBinary.run(["enroll", "--entity-name", "Commune", "--siren", "212901898", "--host", "srv", "--dir", folder.path])
        #expect(output.exitCode == 64)
        #expect(output.stderr.contains("Luhn"))
        #expect(!FileManager.default.fileExists(atPath: folder.url("agent.key")))
    }

    @Test("scan refuses to sign a report whose SIREN differs from the agent certificate's; revoke refuses removeFromCRL")
    func refusalsBeforeWriting() throws {
        let world = try World()
        let path = world.folder.url("mismatch.json")
        let output = try BuiltBinary.run([
            "scan", "--root", world.root, "--only", "certificates", "--out", path, "--key", world.key, "--cert", world.certificate,
            "--config", world.folder.url("config/agent.yaml"), "--entity-siren", "243500139",
        ])
        #expect(output.exitCode == 64)
        #expect(output.stderr.contains("243500139"))
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + ".p7s"))
        let serial = try #require(try BuiltBinary.run(["pki", "list", "--dir", world.pki, "--format", "json"]).stdout
            .range(of: #"[0-9A-F]{4,}"#, options: .regularExpression))
        let list = try BuiltBinary.run(["pki", "list", "--dir", world.pki, "--format", "json"]).stdout
        let revoke = try BuiltBinary.run(["pki", "revoke", String(list[serial]), "--reason", "removeFromCRL", "--dir", world.pki])
        #expect(revoke.exitCode == 64, "\(revoke.stdout) \(revoke.stderr)")
        #expect(revoke.stderr.contains("removeFromCRL"))
    }

    @Test("A disk that fills between the report and its signature leaves neither file, and scan exits 74 naming the signature")
    func halfWrittenPair() throws {
        let world = try World()
        // The size of this fixture's report, then an entity name that puts the report in the middle of a
        // 4 KiB page: on a tmpfs of exactly the report's pages, the report fits and its signature does not.
        let probe = try world.signedScan("probe.json")
        let probeSize = (try FileManager.default.attributesOfItem(atPath: probe)[.size] as? NSNumber)?.intValue ?? 0
        let padding = (2048 - probeSize % 4096 + 4096) % 4096
        let name = "Commune de Plouzané" + String(repeating: "x", count: padding)
        let small = try world.folder.makeDirectory("small")
        let pages = (probeSize + padding + 4095) / 4096
        let mounted = getuid() == 0 && (try? Command.run("mount", ["-t", "tmpfs", "-o", "size=\(pages * 4096)", "tmpfs", small]))?.exitCode == 0
        defer { if mounted { _ = try? Command.run("umount", [small]) } }
        let report = small + "/r.json"
        if !mounted {
            // Without mount(2): the signature's place is taken by a folder, so its write fails after the report's.
            try FileManager.default.createDirectory(atPath: report + ".p7s", withIntermediateDirectories: false)
        }
        let output = try BuiltBinary.run(
            ["scan", "--root", world.root, "--only", "certificates", "--out", report, "--fail-on", "never", "--key", world.key,
             "--cert", world.certificate, "--config", world.folder.url("config/agent.yaml"), "--entity-name", name],
            timeout: 120)
        #expect(!output.timedOut)
        #expect(output.output.exitCode == 74, "\(output.output.exitCode): \(output.output.stderr)")
        #expect(output.output.stderr.contains(report + ".p7s"), "\(output.output.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: small).filter { $0 != "r.json.p7s" || mounted }
        #expect(left.isEmpty, "both files or neither: \(left)")
    }
}
