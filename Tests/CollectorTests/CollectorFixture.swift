import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// A real CA (Trust library), agents enrolled and issued by it, reports signed with `ReportSigner`,
/// the collector's certificate issued by the built `cyberctl pki issue --server`, and the built
/// `cyberctl collect` started on a free loopback port; uploads go through the real `curl`.
final class CollectorFixture: @unchecked Sendable {
    let folder: TemporaryDirectory
    let authority: CertificateAuthority
    let now: Date

    static let sirenA = "212901896"
    static let sirenB = "213502388"
    static let sirenC = "200066462"

    struct Agent: Sendable {
        let siren: String
        let host: String
        let keyPath: String
        let certificatePath: String
        let serial: String
        let signer: ReportSigner
    }

    struct Upload: Sendable {
        let reportPath: String
        let signaturePath: String
        let sha256: String
    }

    init(prefix: String = "cyberctl-collect") throws {
        folder = try TemporaryDirectory(prefix: prefix)
        now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        authority = try CertificateAuthority.initialize(directory: folder.url("pki"), name: "RSSI de test", now: now.addingTimeInterval(-40 * 86_400))
    }

    var caPath: String { authority.certificatePath }
    var crlPath: String { authority.crlPath }
    var inbox: String { folder.url("inbox") }
    var databasePath: String { folder.url("territory.sqlite") }

    /// An agent of `siren` on `host`, enrolled and issued by `authority` (another CA for a stranger).
    func agent(siren: String = sirenA, host: String = "srv-mairie", authority: CertificateAuthority? = nil) throws -> Agent {
        let ca = authority ?? self.authority
        let directory = folder.url("agents/\(UUID().uuidString.prefix(8))-\(siren)-\(host)")
        let identity = try AgentIdentity(entityName: "Commune \(siren)", siren: siren, host: host)
        let enrolment = try Enrolment.enroll(identity: identity, directory: directory)
        let issuedAt = now.addingTimeInterval(-2 * 86_400)
        let (certificate, record) = try ca.issue(enrolment.request, days: 400, now: issuedAt)
        let certificatePath = directory + "/agent.crt"
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: certificatePath, mode: 0o644)
        let signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: certificatePath, now: now)
        return Agent(siren: siren, host: host, keyPath: enrolment.keyPath, certificatePath: certificatePath, serial: record.serial, signer: signer)
    }

    static func result(_ code: String, _ status: Status, _ severity: Severity = .high, target: String = "t") -> CheckResult {
        CheckResult(
            check: code.hasPrefix("cert.") ? "cert.files" : "test.check", target: target, code: code, status: status, severity: severity,
            evidence: [:], references: ["NIS2-21.2.h"], durationMs: 3)
    }

    /// Report bytes for `siren`/`host`, generated `minutesAgo` minutes ago.
    func reportBytes(siren: String, host: String, minutesAgo: Double = 10, padding: Int = 0, id: String? = nil) throws -> [UInt8] {
        var results = [
            Self.result("tls.legacy-protocols", .fail, .high, target: "mail:993"),
            Self.result("cert.expiry", .pass, .high, target: "/etc/ssl/a.pem"),
            Self.result("backup.recent", .pass, .high, target: "/srv/backup"),
        ]
        if padding > 0 { results.append(Self.result("tls.hsts", .warn, .medium, target: String(repeating: "x", count: padding))) }
        let report = Report(
            id: id ?? UUID().uuidString.lowercased(), generatedAt: now.addingTimeInterval(-minutesAgo * 60),
            agent: .init(version: "0.1.0", profile: "default", profileSHA256: String(repeating: "ab", count: 32)),
            entity: Entity(name: "Commune \(siren)", siren: siren, insee: "29212", kind: "commune", population: 13000, departement: "29"),
            host: HostFacts(hostname: host, os: .init(id: "debian", version: "12"), kernel: "6.1.0-28-amd64", machineID: nil),
            results: results)
        return try report.jsonBytes()
    }

    /// Writes a report signed by `agent` (for `siren`, its own by default) into `outbox/`.
    func signedReport(
        _ agent: Agent, name: String? = nil, siren: String? = nil, minutesAgo: Double = 10, padding: Int = 0, id: String? = nil
    ) throws -> Upload {
        let bytes = try reportBytes(siren: siren ?? agent.siren, host: agent.host, minutesAgo: minutesAgo, padding: padding, id: id)
        let fileName = name ?? "\(agent.host)-\(UUID().uuidString.prefix(8)).json"
        let reportPath = try folder.write("outbox/\(fileName)", Data(bytes))
        let signature = try agent.signer.sign(bytes, signingTime: now.addingTimeInterval(-minutesAgo * 60 + 30))
        let signaturePath = try folder.write("outbox/\(fileName).p7s", Data(signature))
        return Upload(reportPath: reportPath, signaturePath: signaturePath, sha256: Digest.sha256Hex(bytes))
    }

    /// The collector's key and certificate, issued by the built binary (`pki issue --server`).
    func serverCertificate() throws -> (certificate: String, key: String) {
        let key = folder.url("server/collector.key")
        let csr = folder.url("server/collector.csr")
        let certificate = folder.url("server/collector.crt")
        if FileManager.default.fileExists(atPath: certificate) { return (certificate, key) }
        _ = try folder.makeDirectory("server")
        try Self.check(Command.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]))
        chmod(key, 0o600)
        try Self.check(Command.run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=collector.test", "-out", csr]))
        try Self.check(BuiltBinary.run([
            "pki", "issue", csr, "--server", "--san", "DNS:localhost", "--san", "IP:127.0.0.1", "--san", "IP:::1",
            "--dir", authority.directory, "--out", certificate,
        ]))
        return (certificate, key)
    }

    @discardableResult
    static func check(_ output: Command.Output) throws -> Command.Output {
        guard output.exitCode == 0 else { throw TestSupportError("command failed (\(output.exitCode)): \(output.stderr)\(output.stdout)") }
        return output
    }

    /// Starts `cyberctl collect` on a free port of `host`.
    func startCollector(
        host: String = "127.0.0.1", db: Bool = false, extra: [String] = [], inbox: String? = nil, environment: [String: String] = [:],
        crl: Bool = true
    ) throws -> CollectorProcess {
        let (certificate, key) = try serverCertificate()
        // Without a CRL: the CA certificate alone in a folder of its own (a crl.pem beside it would be read by default).
        var ca = caPath
        if !crl {
            ca = folder.url("ca-alone/ca.pem")
            try FileManager.default.createDirectory(atPath: folder.url("ca-alone"), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: ca) { try FileManager.default.copyItem(atPath: caPath, toPath: ca) }
        }
        var arguments = [
            "collect", "--listen", host.contains(":") ? "[\(host)]:0" : "\(host):0", "--tls-cert", certificate, "--tls-key", key,
            "--ca", ca, "--inbox", inbox ?? self.inbox,
        ] + (crl ? ["--crl", crlPath] : [])
        if db { arguments += ["--db", databasePath] }
        return try CollectorProcess(
            arguments: arguments + extra, logPath: folder.url("collect-\(UUID().uuidString.prefix(6)).log"), environment: environment)
    }

    /// What `curl` got back.
    struct Reply {
        let exitCode: Int32
        let status: Int
        let json: [String: String]
        let retryAfter: String?
        let stderr: String
    }

    /// POSTs a pair with the real curl, as the protocol says (multipart, SHA-256 header).
    func push(
        _ upload: Upload, as agent: Agent?, port: Int, host: String = "127.0.0.1", sha256Header: String? = nil, extra: [String] = []
    ) throws -> Reply {
        let bodyPath = folder.url("curl-\(UUID().uuidString.prefix(8)).out")
        let headersPath = bodyPath + ".headers"
        var arguments = ["-sS", "--max-time", "60", "--cacert", caPath, "-o", bodyPath, "-D", headersPath, "-w", "%{http_code}"]
        if let agent { arguments += ["--cert", agent.certificatePath, "--key", agent.keyPath] }
        let name = URL(fileURLWithPath: upload.reportPath).lastPathComponent
        arguments += [
            "-H", "X-Cyberctl-Report-SHA256: \(sha256Header ?? upload.sha256)", "-A", "cyberctl/0.1.0",
            "-F", "report=@\(upload.reportPath);type=application/json;filename=\(name)",
            "-F", "signature=@\(upload.signaturePath);type=application/pkcs7-signature;filename=\(name).p7s",
        ]
        arguments += extra
        arguments.append("https://\(host.contains(":") ? "[\(host)]" : host):\(port)/v1/reports")
        let output = try Command.run("curl", arguments)
        // The body read as the tools read JSON: the strict parser, then the string fields.
        let body = (try? Data(contentsOf: URL(fileURLWithPath: bodyPath))) ?? Data()
        var object: [String: JSONValue] = [:]
        if case .object(let members)? = try? JSONParser.parse(Array(body)) { object = members }
        let headers = (try? String(contentsOfFile: headersPath, encoding: .utf8)) ?? ""
        let retry = headers.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("retry-after:") }
            .map { $0.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces) }
        return Reply(
            exitCode: output.exitCode, status: Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            json: object.compactMapValues(\.stringValue), retryAfter: retry, stderr: output.stderr)
    }

    /// Relative paths of every regular file under the inbox (hidden ones included).
    func inboxFiles(_ root: String? = nil) -> [String] {
        let base = root ?? inbox
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue { files.append(relative) }
        }
        return files.sorted()
    }
}

/// A running `cyberctl collect`, its stderr in a file; stopped (SIGTERM) when released.
final class CollectorProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    init(arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for cyberctl's own "listening on ADDR:PORT" line, read from its `address=ADDR:PORT` metadata
        // (Hummingbird logs a "listening on" line of its own for each server, /metrics included), or the end.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains("listening on ") && $0.contains("address=") }),
               let range = line.range(of: "address=")
            {
                let address = line[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
                if let colon = address.lastIndex(of: ":"), let value = Int(address[address.index(after: colon)...]) {
                    port = value
                    return
                }
            }
            if !process.isRunning { throw TestSupportError("cyberctl collect exited (\(process.terminationStatus)): \(log)") }
            usleep(50_000)
        }
        process.terminate()
        throw TestSupportError("cyberctl collect did not listen within 60 s: \(log)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port of the `/metrics` server (`--metrics-listen`), read from its "metrics on http://ADDR/metrics"
    /// log line, waited for up to 60 s.
    func metricsPort() throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains("metrics=") }),
               let range = line.range(of: "metrics="),
               let address = line[range.upperBound...].split(separator: " ").first,
               let colon = address.lastIndex(of: ":"), let value = Int(address[address.index(after: colon)...])
            {
                return value
            }
            if !process.isRunning { throw TestSupportError("cyberctl collect exited (\(process.terminationStatus)): \(log)") }
            usleep(50_000)
        }
        throw TestSupportError("no metrics address within 60 s: \(log)")
    }

    /// Sends `signal` and waits for the end; returns the exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { stop(SIGKILL) }
}

extension CollectorFixture {
    /// One curl process per job, all at once, each pushing its agent's reports to its collector over one mutual-TLS
    /// connection (`curl -K`, configs and statuses under `curl/LABEL-N`); every HTTP status, in no particular order.
    func curlAll(_ jobs: [(agent: Agent, uploads: [Upload], port: Int)], label: String, maxTime: Int) throws -> [Int] {
        var processes: [(Process, String)] = []
        for (n, job) in jobs.enumerated() {
            var config = ""
            for (i, upload) in job.uploads.enumerated() {
                if i > 0 { config += "next\n" }
                config += """
                    url = "https://127.0.0.1:\(job.port)/v1/reports"
                    cacert = "\(caPath)"
                    cert = "\(job.agent.certificatePath)"
                    key = "\(job.agent.keyPath)"
                    header = "X-Cyberctl-Report-SHA256: \(upload.sha256)"
                    form = "report=@\(upload.reportPath);type=application/json"
                    form = "signature=@\(upload.signaturePath);type=application/pkcs7-signature"
                    output = "/dev/null"
                    write-out = "%{http_code}\\n"
                    silent
                    max-time = \(maxTime)

                    """
            }
            let configPath = try folder.write("curl/\(label)-\(n).cfg", config)
            let statusPath = folder.url("curl/\(label)-\(n).status")
            FileManager.default.createFile(atPath: statusPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try Command.which("curl"))
            process.arguments = ["-K", configPath]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: statusPath))
            process.standardError = FileHandle.nullDevice
            processes.append((process, statusPath))
        }
        for (process, _) in processes { try process.run() }
        var statuses: [Int] = []
        for (process, statusPath) in processes {
            process.waitUntilExit()
            let text = (try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? ""
            statuses += text.split(separator: "\n").compactMap { Int($0) }
        }
        return statuses
    }
}
