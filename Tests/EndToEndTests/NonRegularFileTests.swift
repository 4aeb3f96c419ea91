import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every command that reads a path someone named, given a FIFO there (`mkfifo`): it must answer at
/// once with the documented error naming the file, never wait for a writer that will not come. Each run
/// is bounded (killed after 30 s), so these tests end even where the bug is present.
@Suite("FIFOs and devices in place of files (built binary)")
struct NonRegularFileTests {
    static let siren = "212901896"
    static let timeout = 30.0

    /// The signing tests' world (a CA, an enrolled agent with its certificate, a fixture root, made by the
    /// binary) with a signed report and a consolidated store; `fifo(name)` makes FIFOs beside them.
    final class World: @unchecked Sendable {
        let signing: SigningEndToEndTests.World
        var folder: TemporaryDirectory { signing.folder }
        var pki: String { signing.pki }
        var ca: String { signing.ca }
        var key: String { signing.key }
        var certificate: String { signing.certificate }
        var report: String { folder.url("inbox/r.json") }
        var db: String { folder.url("territory.sqlite") }
        var config: String { folder.url("config/agent.yaml") }

        init() throws {
            signing = try SigningEndToEndTests.World()
            try folder.makeDirectory("inbox")
            _ = try signing.signedScan("inbox/r.json")
            let consolidate = try BuiltBinary.run(["consolidate", folder.url("inbox"), "--db", db, "--ca", ca])
            guard consolidate.exitCode == 0 else { throw TestSupportError("cyberctl consolidate: \(consolidate.stderr)") }
        }

        /// A FIFO at `relative` (its folder created), mode 0600.
        @discardableResult
        func fifo(_ relative: String) throws -> String {
            let path = folder.url(relative)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard mkfifo(path, 0o600) == 0 else { throw TestSupportError("mkfifo \(path): \(String(cString: strerror(errno)))") }
            return path
        }

        /// A copy of the CA folder with `file` replaced by a FIFO.
        func caWithFIFO(_ file: String) throws -> String {
            let copy = folder.url("pki-\(file)")
            try FileManager.default.copyItem(atPath: pki, toPath: copy)
            try FileManager.default.removeItem(atPath: copy + "/" + file)
            guard mkfifo(copy + "/" + file, 0o600) == 0 else { throw TestSupportError("mkfifo") }
            return copy
        }
    }

    /// Runs the binary bounded; expects `code` and the FIFO named in what it printed.
    static func expectRefusal(
        _ arguments: [String], code: Int32, naming path: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let run = try BuiltBinary.run(arguments, timeout: timeout)
        let shown = "cyberctl \(arguments.prefix(3).joined(separator: " "))"
        #expect(!run.timedOut, "\(shown) blocked on the FIFO \(path)", sourceLocation: sourceLocation)
        #expect(run.output.exitCode == code, "\(shown): exit \(run.output.exitCode): \(run.output.stderr)\(run.output.stdout)", sourceLocation: sourceLocation)
        let text = run.output.stderr + run.output.stdout
        #expect(text.contains(path), "\(shown) does not name \(path): \(text)", sourceLocation: sourceLocation)
        #expect(text.contains("FIFO") || text.contains("regular file") || text.contains("fichier ordinaire"), "\(shown): \(text)", sourceLocation: sourceLocation)
    }

    @Test("verify: a FIFO as report, signature, CA or CRL")
    func verify() throws {
        let world = try World()
        let report = try world.fifo("fifo-report/r.json")
        try world.folder.write("fifo-report/r.json.p7s", "x")
        try Self.expectRefusal(["verify", report, "--ca", world.ca], code: 65, naming: report)
        try world.folder.makeDirectory("fifo-sig")
        try FileManager.default.copyItem(atPath: world.report, toPath: world.folder.url("fifo-sig/r.json"))
        let signature = try world.fifo("fifo-sig/r.json.p7s")
        try Self.expectRefusal(["verify", world.folder.url("fifo-sig/r.json"), "--ca", world.ca], code: 65, naming: signature)
        let ca = try world.fifo("fifo-ca.pem")
        try Self.expectRefusal(["verify", world.report, "--ca", ca], code: 65, naming: ca)
        let crl = try world.fifo("fifo-crl.pem")
        try Self.expectRefusal(["verify", world.report, "--ca", world.ca, "--crl", crl], code: 65, naming: crl)
    }

    @Test("consolidate: a *.json.p7s FIFO in the folder is refused and recorded, the rest is stored; a FIFO CA stops it at once")
    func consolidate() throws {
        let world = try World()
        let inbox = try world.folder.makeDirectory("inbox2")
        try FileManager.default.copyItem(atPath: world.report, toPath: inbox + "/good.json")
        try FileManager.default.copyItem(atPath: world.report + ".p7s", toPath: inbox + "/good.json.p7s")
        try world.folder.write("inbox2/stuck.json", String(decoding: try Data(contentsOf: URL(fileURLWithPath: world.report)), as: UTF8.self) + " ")
        let signature = try world.fifo("inbox2/stuck.json.p7s")
        let db = world.folder.url("t2.sqlite")
        let run = try BuiltBinary.run(["consolidate", inbox, "--db", db, "--ca", world.ca, "--format", "json"], timeout: Self.timeout)
        #expect(!run.timedOut, "consolidate blocked on \(signature)")
        #expect(run.output.exitCode == 65, "\(run.output.stderr)")
        #expect(run.output.stdout.contains("\"stored\" : 1"), "\(run.output.stdout)")
        let rejected = try BuiltBinary.run(["territory", "rejected", "--db", db, "--format", "json"], timeout: Self.timeout)
        #expect(rejected.output.stdout.contains("FIFO"), "\(rejected.output.stdout)")
        let ca = try world.fifo("ca-fifo.pem")
        try Self.expectRefusal(["consolidate", inbox, "--db", db, "--ca", ca], code: 65, naming: ca)
        let crl = try world.fifo("crl-fifo.pem")
        try Self.expectRefusal(["consolidate", inbox, "--db", db, "--ca", world.ca, "--crl", crl], code: 65, naming: crl)
        // A report given by name that is a FIFO.
        let report = try world.fifo("named.json")
        let named = try BuiltBinary.run(["consolidate", report, "--db", db, "--ca", world.ca], timeout: Self.timeout)
        #expect(!named.timedOut && named.output.exitCode == 65, "\(named.output.stderr)")
    }

    @Test("pki issue, revoke, crl and list: a FIFO as the request or among the CA's files")
    func pki() throws {
        let world = try World()
        let request = try world.fifo("request.csr")
        try Self.expectRefusal(["pki", "issue", request, "--dir", world.pki, "--out", world.folder.url("out.crt")], code: 65, naming: request)
        let noKey = try world.caWithFIFO("ca.key")
        try Self.expectRefusal(["pki", "crl", "--dir", noKey], code: 65, naming: noKey + "/ca.key")
        let noIndex = try world.caWithFIFO("index.json")
        try Self.expectRefusal(["pki", "list", "--dir", noIndex], code: 65, naming: noIndex + "/index.json")
        try Self.expectRefusal(["pki", "revoke", "01", "--dir", noIndex], code: 65, naming: noIndex + "/index.json")
        let noCertificate = try world.caWithFIFO("ca.pem")
        try Self.expectRefusal(
            ["pki", "issue", world.folder.url("etc/agent.csr"), "--dir", noCertificate, "--out", world.folder.url("o.crt")], code: 65,
            naming: noCertificate + "/ca.pem")
        let noSerial = try world.caWithFIFO("serial")
        try Self.expectRefusal(
            ["pki", "issue", world.folder.url("etc/agent.csr"), "--dir", noSerial, "--out", world.folder.url("o2.crt")], code: 65,
            naming: noSerial + "/serial")
        let noNumber = try world.caWithFIFO("crlnumber")
        try Self.expectRefusal(["pki", "crl", "--dir", noNumber], code: 65, naming: noNumber + "/crlnumber")
    }

    @Test("enroll: a FIFO where the key or request would go is not replaced and does not block")
    func enroll() throws {
        let world = try World()
        let request = try world.fifo("enrol/agent.csr")
        let run = try BuiltBinary.run(
            ["enroll", "--entity-name", "Commune", "--siren", Self.siren, "--host", "srv", "--dir", world.folder.url("enrol")], timeout: Self.timeout)
        #expect(!run.timedOut)
        #expect(run.output.exitCode == 74, "\(run.output.stderr)")
        #expect(run.output.stderr.contains(request) && run.output.stderr.contains("not a regular file"), "\(run.output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.folder.url("enrol/agent.key")), "a key without its request is not left behind")
    }

    @Test("scan: a FIFO as --key, --cert, --profile or --config")
    func scan() throws {
        let world = try World()
        let base = ["scan", "--root", world.signing.root, "--only", "certificates", "--out", world.folder.url("s.json"), "--fail-on", "never"]
        let key = try world.fifo("scan/agent.key")
        try Self.expectRefusal(base + ["--key", key, "--cert", world.certificate, "--config", world.config], code: 65, naming: key)
        let certificate = try world.fifo("scan/agent.crt")
        try Self.expectRefusal(base + ["--key", world.key, "--cert", certificate, "--config", world.config], code: 65, naming: certificate)
        let profile = try world.fifo("scan/profile.yaml")
        try Self.expectRefusal(base + ["--profile", profile, "--config", world.config, "--no-sign"], code: 65, naming: profile)
        let config = try world.fifo("scan/agent.yaml")
        try Self.expectRefusal(base + ["--config", config], code: 65, naming: config)
    }

    @Test("push: a FIFO as the CA, the key or the certificate")
    func push() throws {
        let world = try World()
        let base = ["push", "--collector", "https://127.0.0.1:9/", "--outbox", world.folder.url("outbox"), "--config", world.config]
        let ca = try world.fifo("push/ca.pem")
        try Self.expectRefusal(base + ["--ca", ca, "--key", world.key, "--cert", world.certificate], code: 65, naming: ca)
        let key = try world.fifo("push/agent.key")
        try Self.expectRefusal(base + ["--ca", world.ca, "--key", key, "--cert", world.certificate], code: 65, naming: key)
        let certificate = try world.fifo("push/agent.crt")
        try Self.expectRefusal(base + ["--ca", world.ca, "--key", world.key, "--cert", certificate], code: 65, naming: certificate)
    }

    @Test("collect: a FIFO as the CA, a CRL, the server certificate or its key stops the start at once")
    func collect() throws {
        let world = try World()
        let key = world.folder.url("server/collector.key")
        let request = world.folder.url("server/collector.csr")
        let certificate = world.folder.url("server/collector.crt")
        try world.folder.makeDirectory("server")
        #expect(try Command.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]).exitCode == 0)
        chmod(key, 0o600)
        #expect(try Command.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=collector.test", "-out", request]).exitCode == 0)
        #expect(try BuiltBinary.run(["pki", "issue", request, "--server", "--san", "IP:127.0.0.1", "--dir", world.pki, "--out", certificate]).exitCode == 0)
        func arguments(ca: String? = nil, crl: String? = nil, cert: String? = nil, key tlsKey: String? = nil) -> [String] {
            ["collect", "--listen", "127.0.0.1:0", "--tls-cert", cert ?? certificate, "--tls-key", tlsKey ?? key, "--ca", ca ?? world.ca,
             "--crl", crl ?? world.folder.url("pki/crl.pem"), "--inbox", world.folder.url("collect-inbox")]
        }
        let ca = try world.fifo("collect/ca.pem")
        try Self.expectRefusal(arguments(ca: ca), code: 65, naming: ca)
        let crl = try world.fifo("collect/crl.pem")
        try Self.expectRefusal(arguments(crl: crl), code: 65, naming: crl)
        let fifoCertificate = try world.fifo("collect/server.crt")
        try Self.expectRefusal(arguments(cert: fifoCertificate), code: 65, naming: fifoCertificate)
        let fifoKey = try world.fifo("collect/server.key")
        try Self.expectRefusal(arguments(key: fifoKey), code: 65, naming: fifoKey)
    }

    @Test("assess, nis2 scope and summary: a FIFO as the answers file, the questionnaire or the rules")
    func nis2() throws {
        let world = try World()
        let answers = try world.fifo("nis2/answers.yaml")
        try Self.expectRefusal(["assess", "--check", answers], code: 65, naming: answers)
        try Self.expectRefusal(["assess", "--answers", answers, "--config", world.config], code: 65, naming: answers)
        let questionnaire = try world.fifo("nis2/questionnaire.yaml")
        try Self.expectRefusal(["assess", "--list", "--questionnaire", questionnaire], code: 65, naming: questionnaire)
        let rules = try world.fifo("nis2/scope.yaml")
        try Self.expectRefusal(["nis2", "scope", "--kind", "commune", "--population", "3000", "--rules", rules], code: 65, naming: rules)
        try Self.expectRefusal(["nis2", "scope", "--answers", answers], code: 65, naming: answers)
        try Self.expectRefusal(["summary", "--entity", Self.siren, "--db", world.db, "--answers", answers, "--format", "markdown"], code: 65, naming: answers)
    }

    @Test("cert, csirt and incident: a FIFO as a certificate file or the agent configuration")
    func others() throws {
        let world = try World()
        let certificate = try world.fifo("other/cert.pem")
        let cert = try BuiltBinary.run(["cert", certificate], timeout: Self.timeout)
        #expect(!cert.timedOut && [65, 66].contains(cert.output.exitCode), "\(cert.output.exitCode) \(cert.output.stderr)")
        let config = try world.fifo("other/agent.yaml")
        try Self.expectRefusal(["csirt", "--config", config], code: 65, naming: config)
        try Self.expectRefusal(
            ["incident", "open", "--title", "x", "--aware-at", "2026-03-28 10:00", "--db", world.db, "--agent-config", config], code: 65, naming: config)
        // The RSSI configuration too, even when --db makes its store key unneeded: a file named is read or refused.
        try Self.expectRefusal(["territory", "status", "--db", world.db, "--config", config], code: 65, naming: config)
    }
}
