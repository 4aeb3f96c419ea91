import Foundation
import TestSupport
import Testing

/// `cyberctl scan` queueing into the outbox and `cyberctl push` delivering it, end to end with the built
/// binary, against a real mutual-TLS HTTPS collector stand-in (`scripts/collector-standin.py`, Python `ssl`
/// with CERT_REQUIRED) on 127.0.0.1. Every certificate comes from the project's own CA (`cyberctl pki init`,
/// `enroll`, `pki issue`); the collector's from the same CA key through `openssl x509 -req`.
@Suite("Push to the collector end to end (cyberctl push and a mutual-TLS stand-in)")
struct PushEndToEndTests {
    static let siren = "212901896"

    /// A CA, an enrolled agent, server certificates, a fixture root and an agent.yaml with a collector section.
    final class World: @unchecked Sendable {
        let folder: TemporaryDirectory
        var pki: String { folder.url("pki") }
        var ca: String { folder.url("pki/ca.pem") }
        var key: String { folder.url("etc/agent.key") }
        var certificate: String { folder.url("etc/agent.crt") }
        var root: String { folder.url("root") }
        var outbox: String { folder.url("outbox") }
        var config: String { folder.url("agent.yaml") }
        var standIns: [StandIn] = []

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-e2e-push")
            try folder.write("root/etc/hostname", "srv-mairie\n")
            try folder.write("root/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
            try expectSuccess(["pki", "init", "--dir", pki, "--name", "RSSI mutualisé du Pays de Brest"])
            try expectSuccess(["enroll", "--entity-name", "Commune de Plouzané", "--siren", PushEndToEndTests.siren, "--host", "srv-mairie", "--dir", folder.url("etc")])
            try expectSuccess(["pki", "issue", folder.url("etc/agent.csr"), "--dir", pki, "--out", folder.url("etc/agent.crt")])
            try writeConfig(url: "https://localhost:1")
        }

        deinit { for standIn in standIns { standIn.stop() } }

        @discardableResult
        func expectSuccess(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Command.Output {
            let output = try BuiltBinary.run(arguments)
            #expect(output.exitCode == 0, "cyberctl \(arguments.joined(separator: " ")): \(output.stderr)", sourceLocation: sourceLocation)
            return output
        }

        /// agent.yaml naming this world's entity, key, certificate and a collector at `url`.
        func writeConfig(url: String) throws {
            try folder.write(
                "agent.yaml",
                """
                entity:
                  name: Commune de Plouzané
                signing:
                  key: \(key)
                  certificate: \(certificate)
                collector:
                  url: \(url)
                  ca: \(ca)
                  outbox: \(outbox)
                  connect_timeout: 5
                  timeout: 20
                """)
        }

        /// A server certificate for the stand-in, issued by `caFolder`'s CA key (default: this world's CA).
        func serverCertificate(name: String, sans: [String], caFolder: String? = nil) throws -> (certificate: String, key: String) {
            let caDirectory = caFolder ?? pki
            let key = folder.url("\(name).key")
            let request = folder.url("\(name).csr")
            let certificate = folder.url("\(name).pem")
            let extensions = try folder.write(
                "\(name).ext",
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=\(sans.joined(separator: ","))\n")
            for arguments in [
                ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key],
                ["req", "-new", "-key", key, "-subj", "/CN=\(name)", "-out", request],
                ["x509", "-req", "-in", request, "-CA", "\(caDirectory)/ca.pem", "-CAkey", "\(caDirectory)/ca.key", "-set_serial", "\(Int.random(in: 1000...999_999))",
                 "-days", "30", "-sha256", "-extfile", extensions, "-out", certificate],
            ] {
                let output = try Command.run("openssl", arguments)
                guard output.exitCode == 0 else { throw TestSupportError("openssl \(arguments[0]): \(output.stderr)") }
            }
            return (certificate, key)
        }

        /// Starts a stand-in collector trusting this world's CA for client certificates.
        func startStandIn(mode: String = "accept", retryAfter: Int = 600, server: (certificate: String, key: String)? = nil) throws -> StandIn {
            let server = try server ?? serverCertificate(name: "collector-\(standIns.count)", sans: ["DNS:localhost", "IP:127.0.0.1"])
            let standIn = try StandIn(folder: folder.url("standin-\(standIns.count)"), certificate: server.certificate, key: server.key, ca: ca, mode: mode, retryAfter: retryAfter)
            standIns.append(standIn)
            return standIn
        }

        /// A signed scan of the fixture root with this world's agent.yaml; returns the report path.
        @discardableResult
        func scan(_ name: String, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let path = folder.url(name)
            let output = try BuiltBinary.run(
                ["scan", "--root", root, "--only", "certificates", "--out", path, "--format", "json", "--fail-on", "critical", "--config", config] + extra)
            #expect(output.exitCode == 0, "\(output.stderr)", sourceLocation: sourceLocation)
            return path
        }

        func push(_ arguments: [String] = []) throws -> Command.Output {
            try BuiltBinary.run(["push", "--config", config] + arguments)
        }

        /// Entry folders in the outbox (hidden staging excluded).
        func entries() throws -> [String] {
            guard FileManager.default.fileExists(atPath: outbox) else { return [] }
            return try FileManager.default.contentsOfDirectory(atPath: outbox).filter { !$0.hasPrefix(".") }.sorted()
        }

        func state(_ entry: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(outbox)/\(entry)/state.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    /// The Python stand-in, running until stopped.
    final class StandIn: @unchecked Sendable {
        let folder: String
        let process = Process()
        let port: Int
        var url: String { "https://localhost:\(port)" }
        var modeFile: String { folder + "/mode" }
        var hangMarker: String { folder + "/received" }
        var inbox: String { folder + "/inbox" }

        init(folder: String, certificate: String, key: String, ca: String, mode: String, retryAfter: Int) throws {
            self.folder = folder
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try mode.write(toFile: folder + "/mode", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: try Command.which("python3"))
            process.arguments = [
                BuiltBinary.packageRoot + "/scripts/collector-standin.py", "--cert", certificate, "--key", key, "--ca", ca,
                "--port-file", folder + "/port", "--inbox", folder + "/inbox", "--log", folder + "/log.jsonl",
                "--mode-file", folder + "/mode", "--retry-after", String(retryAfter), "--hang-marker", folder + "/received",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            // The stand-in writes its port file (atomically) once it listens.
            let deadline = Date().addingTimeInterval(30)
            var port: Int?
            while port == nil && Date() < deadline && process.isRunning {
                port = (try? String(contentsOfFile: folder + "/port", encoding: .utf8)).flatMap { Int($0) }
                if port == nil { usleep(20_000) }
            }
            guard let port else {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("collector stand-in did not start")
            }
            self.port = port
        }

        func setMode(_ mode: String) throws { try mode.write(toFile: modeFile, atomically: true, encoding: .utf8) }

        /// The requests it received, one JSON object each.
        func log() throws -> [[String: Any]] {
            let text = (try? String(contentsOfFile: folder + "/log.jsonl", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func statuses() throws -> [Int] { try log().compactMap { $0["status"] as? Int } }

        /// SIGKILL: a child started from a test thread inherits its blocked signal mask, SIGTERM included.
        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("scan queues the signed pair; push delivers it over mutual TLS, exactly the bytes, and empties the outbox")
    func deliveryAndRemoval() throws {
        let world = try World()
        let standIn = try world.startStandIn()
        try world.writeConfig(url: standIn.url)
        let report = try world.scan("r.json")
        #expect(try world.entries() == ["r"])
        let queued = try world.state("r")
        #expect(queued["attempts"] as? Int == 0)
        #expect((queued["sha256"] as? String)?.count == 64)

        let status = try world.push(["--status"])
        #expect(status.exitCode == 0)
        #expect(status.stdout.contains("r.json") && status.stdout.contains("en attente"))

        let pushed = try world.push()
        #expect(pushed.exitCode == 0, "\(pushed.stdout)\(pushed.stderr)")
        #expect(pushed.stdout.contains("remis (HTTP 201"))
        #expect(try world.entries().isEmpty)
        let log = try standIn.log()
        #expect(log.count == 1)
        #expect(log.first?["status"] as? Int == 201)
        // Mutual TLS: the stand-in saw the agent's enrolled certificate; and the protocol's User-Agent.
        #expect((log.first?["client"] as? String)?.contains("organizationIdentifier=NTRFR-\(Self.siren)") == true)
        #expect((log.first?["user_agent"] as? String)?.hasPrefix("cyberctl/") == true)
        let sha = try #require(log.first?["sha256"] as? String)
        let delivered = try Data(contentsOf: URL(fileURLWithPath: "\(standIn.inbox)/\(sha)/r.json"))
        #expect(delivered == (try Data(contentsOf: URL(fileURLWithPath: report))))
        let signature = try Data(contentsOf: URL(fileURLWithPath: "\(standIn.inbox)/\(sha)/r.json.p7s"))
        #expect(signature == (try Data(contentsOf: URL(fileURLWithPath: report + ".p7s"))))

        // Nothing left: the next run sends nothing and says so.
        let again = try world.push(["--format", "json"])
        #expect(again.exitCode == 0)
        #expect(try standIn.log().count == 1)
    }

    @Test("A CR LF in collector.url: scan and push refuse agent.yaml at the url's line (65), never a temporary failure (75)")
    func lineBreakInCollectorURL() throws {
        let world = try World()
        try world.writeConfig(url: "\"https://localhost:1\\r\\n\"")
        for output in [try world.push(), try BuiltBinary.run(["scan", "--root", world.root, "--only", "certificates", "--config", world.config])] {
            #expect(output.exitCode == 65, "\(output.exitCode): \(output.stderr)")
            #expect(output.stderr.contains("\(world.config):7:"), "\(output.stderr)")
            #expect(output.stderr.contains("CR dans l'URL"), "\(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: world.outbox), "nothing queued")
    }

    @Test("An acknowledgement lost to a crash: the pair is sent again, the collector answers 200 duplicate, the pair goes")
    func duplicateIsRemoved() throws {
        let world = try World()
        let standIn = try world.startStandIn()
        try world.writeConfig(url: standIn.url)
        try world.scan("r.json")
        // Keep a copy of the entry as it was before delivery (what a crash between 201 and removal leaves).
        let saved = world.folder.url("saved-entry")
        try FileManager.default.copyItem(atPath: "\(world.outbox)/r", toPath: saved)
        #expect(try world.push().exitCode == 0)
        try FileManager.default.moveItem(atPath: saved, toPath: "\(world.outbox)/r")
        let again = try world.push(["--lang", "en"])
        #expect(again.exitCode == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("already received by the collector (HTTP 200)"))
        #expect(try standIn.statuses() == [201, 200])
        #expect(try world.entries().isEmpty)
    }

    @Test("422: the pair stays, marked refused with the code and message, is not retried, and --retry-refused re-queues it")
    func refusedIsKeptAndNotRetried() throws {
        let world = try World()
        let standIn = try world.startStandIn(mode: "refuse")
        try world.writeConfig(url: standIn.url)
        try world.scan("r.json")
        let refused = try world.push(["--lang", "en"])
        #expect(refused.exitCode == 65, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("REFUSED (HTTP 422 identity-mismatch)"))
        #expect(try world.entries() == ["r"])
        let state = try world.state("r")
        let refusal = try #require(state["refusal"] as? [String: Any])
        #expect(refusal["httpStatus"] as? Int == 422)
        #expect(refusal["code"] as? String == "identity-mismatch")
        #expect(refusal["message"] as? String == "refus du collecteur (refused)")
        #expect(state["nextAttemptAt"] == nil)
        // The pair files are intact.
        #expect(FileManager.default.fileExists(atPath: "\(world.outbox)/r/r.json.p7s"))

        // Not retried automatically, even with --now, even once the collector would accept it.
        try standIn.setMode("accept")
        let later = try world.push(["--now"])
        #expect(later.exitCode == 65)
        #expect(try standIn.log().count == 1)
        let status = try world.push(["--status", "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: status.stdoutData) as? [[String: Any]])
        #expect(rows.first?["state"] as? String == "refused")

        let retried = try world.push(["--retry-refused"])
        #expect(retried.exitCode == 0, "\(retried.stdout)\(retried.stderr)")
        #expect(try standIn.statuses() == [422, 201])
        #expect(try world.entries().isEmpty)
    }

    @Test("429 with Retry-After, then 503: kept, attempts and backoff recorded, not sent before it is due, delivered later")
    func transientAnswersAreRetriedLater() throws {
        let world = try World()
        let standIn = try world.startStandIn(mode: "rate-limit", retryAfter: 900)
        try world.writeConfig(url: standIn.url)
        try world.scan("a.json")
        try world.scan("b.json")
        let limited = try world.push(["--format", "json"])
        #expect(limited.exitCode == 75, "\(limited.stdout)\(limited.stderr)")
        // The collector asked to slow down: the second pair was not tried at all.
        #expect(try standIn.statuses() == [429])
        let first = try world.state("a")
        #expect(first["attempts"] as? Int == 1)
        #expect((first["lastError"] as? String)?.contains("HTTP 429 rate-limited") == true)
        let attemptedAt = try #require((first["lastAttemptAt"] as? String).flatMap(Self.date))
        let nextAt = try #require((first["nextAttemptAt"] as? String).flatMap(Self.date))
        #expect(nextAt.timeIntervalSince(attemptedAt) >= 900, "Retry-After: 900 honoured")
        let second = try world.state("b")
        #expect(second["attempts"] as? Int == 0)
        #expect((second["lastError"] as? String)?.hasPrefix("not tried") == true)

        // Not due yet: a run now sends nothing.
        let early = try world.push()
        #expect(early.exitCode == 75)
        #expect(early.stdout.contains("en attente jusqu'à"))
        #expect(try standIn.log().count == 1)

        // 503 on a forced retry: a second attempt with its own backoff.
        try standIn.setMode("unavailable")
        let unavailable = try world.push(["--now"])
        #expect(unavailable.exitCode == 75)
        #expect(try standIn.statuses() == [429, 503])
        let afterUnavailable = try world.state("a")
        #expect(afterUnavailable["attempts"] as? Int == 2)
        #expect((afterUnavailable["lastError"] as? String)?.contains("HTTP 503 unavailable") == true)

        // A 500 is transient too, but concerns one pair: the run goes on to the next.
        try standIn.setMode("error")
        #expect(try world.push(["--now"]).exitCode == 75)
        #expect(try standIn.statuses() == [429, 503, 500, 500])

        try standIn.setMode("accept")
        let delivered = try world.push(["--now"])
        #expect(delivered.exitCode == 0, "\(delivered.stdout)\(delivered.stderr)")
        #expect(try world.entries().isEmpty)
        #expect(try standIn.statuses().suffix(2) == [201, 201])
    }

    @Test("Collector down (closed port): the pair is kept, the error recorded, exit 75; delivered once it is back")
    func collectorDown() throws {
        let world = try World()
        let gone = try world.startStandIn()
        let closedPort = gone.port
        gone.stop()
        try world.writeConfig(url: "https://localhost:\(closedPort)")
        try world.scan("r.json")
        let down = try world.push(["--lang", "en"])
        #expect(down.exitCode == 75, "\(down.stdout)\(down.stderr)")
        #expect(down.stdout.contains("temporary failure"))
        #expect(try world.entries() == ["r"])
        let state = try world.state("r")
        #expect((state["lastError"] as? String)?.hasPrefix("connection:") == true, "\(state)")
        #expect(state["attempts"] as? Int == 1)

        let back = try world.startStandIn()
        let delivered = try world.push(["--collector", back.url, "--now"])
        #expect(delivered.exitCode == 0, "\(delivered.stdout)\(delivered.stderr)")
        #expect(try world.entries().isEmpty)
    }

    @Test("A URL that is not the collector's (404) keeps the pair pending, stops the run and exits 78 so the unit fails")
    func wrongCollectorPath() throws {
        let world = try World()
        let standIn = try world.startStandIn()
        try world.writeConfig(url: standIn.url + "/collect")
        try world.scan("a.json")
        try world.scan("b.json")
        let wrong = try world.push([])
        #expect(wrong.exitCode == 78, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stdout.contains("collector.url"), "says what to correct: \(wrong.stdout)")
        #expect(try standIn.statuses() == [404], "the run stops at the first answer outside the protocol")
        #expect(try world.entries() == ["a", "b"])
        for name in ["a", "b"] { #expect(try world.state(name)["refusal"] == nil, "kept pending, not refused") }

        let port = try BuiltBinary.run(["push", "--config", world.config, "--collector", "https://localhost:99999"])
        #expect(port.exitCode == 64, "\(port.stderr)")
        #expect(port.stderr.contains("99999"))

        let fixed = try world.push(["--collector", standIn.url, "--now"])
        #expect(fixed.exitCode == 0, "\(fixed.stdout)\(fixed.stderr)")
        #expect(try world.entries().isEmpty)
    }

    @Test("A collector certificate from another CA, or not naming the host, is refused at the handshake; the pair stays")
    func wrongServerIdentity() throws {
        let world = try World()
        try world.scan("r.json")
        #expect(try world.entries() == ["r"])

        // Another CA (made by cyberctl pki init too): the collector is an impostor.
        let other = world.folder.url("other-pki")
        try world.expectSuccess(["pki", "init", "--dir", other, "--name", "Autre autorité"])
        let impostor = try world.startStandIn(server: try world.serverCertificate(name: "impostor", sans: ["DNS:localhost", "IP:127.0.0.1"], caFolder: other))
        let foreign = try world.push(["--collector", impostor.url])
        #expect(foreign.exitCode == 75, "\(foreign.stdout)\(foreign.stderr)")
        #expect((try world.state("r")["lastError"] as? String)?.hasPrefix("certificate:") == true)
        #expect(try impostor.log().isEmpty, "no request may reach an unverified collector")

        // The right CA, but a certificate for another host name.
        let elsewhere = try world.startStandIn(server: try world.serverCertificate(name: "elsewhere", sans: ["DNS:collecteur.example.fr"]))
        let misnamed = try world.push(["--collector", elsewhere.url, "--now"])
        #expect(misnamed.exitCode == 75)
        let error = try #require(try world.state("r")["lastError"] as? String)
        #expect(error.hasPrefix("certificate:") && error.contains("localhost"), "\(error)")
        #expect(try elsewhere.log().isEmpty)
        #expect(try world.entries() == ["r"])
        #expect(try world.state("r")["attempts"] as? Int == 2)

        // The genuine collector gets it.
        let genuine = try world.startStandIn()
        #expect(try world.push(["--collector", genuine.url, "--now"]).exitCode == 0)
        #expect(try genuine.statuses() == [201])
    }

    @Test("push killed (SIGKILL) in the middle of an upload: the pair is intact and delivered by the next run")
    func killedMidUpload() throws {
        let world = try World()
        let standIn = try world.startStandIn(mode: "hang")
        try world.writeConfig(url: standIn.url)
        let report = try world.scan("r.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
        process.arguments = ["push", "--config", world.config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the stand-in holds the whole request (it never answers in this mode).
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: standIn.hangMarker) && Date() < deadline && process.isRunning { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: standIn.hangMarker), "the upload reached the collector")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try world.entries() == ["r"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(world.outbox)/r/r.json")) == Data(contentsOf: URL(fileURLWithPath: report)))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(world.outbox)/r/r.json.p7s")) == Data(contentsOf: URL(fileURLWithPath: report + ".p7s")))

        // The kernel released the lock with the process: the next run proceeds and delivers.
        try standIn.setMode("accept")
        let next = try world.push()
        #expect(next.exitCode == 0, "\(next.stdout)\(next.stderr)")
        #expect(try world.entries().isEmpty)
        #expect(try standIn.statuses() == [201])
    }

    @Test("A collector that never answers costs --timeout, not more: the pair is kept with a timeout error")
    func silentCollectorTimesOut() throws {
        let world = try World()
        let standIn = try world.startStandIn(mode: "hang")
        try world.writeConfig(url: standIn.url)
        try world.scan("r.json")
        let output = try world.push(["--timeout", "1", "--lang", "en"])
        #expect(output.exitCode == 75, "\(output.stdout)\(output.stderr)")
        #expect((try world.state("r")["lastError"] as? String)?.hasPrefix("timeout:") == true)
        #expect(try world.entries() == ["r"])
    }

    @Test("An oversized answer is cut at 64 KiB: the status still counts, memory stays bounded")
    func oversizedAnswer() throws {
        let world = try World()
        let standIn = try world.startStandIn(mode: "huge")
        try world.writeConfig(url: standIn.url)
        try world.scan("r.json")
        let output = try world.push()
        #expect(output.exitCode == 0, "\(output.stdout)\(output.stderr)")
        #expect(try world.entries().isEmpty)
        #expect(try standIn.statuses() == [201])
    }

    @Test("Two push runs at once deliver each pair exactly once")
    func concurrentPushes() throws {
        let world = try World()
        // Slow answers (¼ s each) keep the first run busy for seconds, so the two runs overlap; the verdict
        // does not depend on it: with the lock, each pair is sent once however the runs interleave.
        let standIn = try world.startStandIn(mode: "slow")
        try world.writeConfig(url: standIn.url)
        let count = 12
        for index in 0..<count { try world.scan("r\(index).json") }
        #expect(try world.entries().count == count)
        let runs = (0..<2).map { _ in Process() }
        for run in runs {
            run.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
            run.arguments = ["push", "--config", world.config, "--format", "json"]
            run.standardOutput = FileHandle.nullDevice
            run.standardError = FileHandle.nullDevice
        }
        for run in runs { try run.run() }
        for run in runs { run.waitUntilExit() }
        #expect(runs.map(\.terminationStatus) == [0, 0])
        let log = try standIn.log()
        #expect(log.count == count, "each pair sent once: \(log.count) requests for \(count) pairs")
        #expect(log.allSatisfy { $0["status"] as? Int == 201 })
        #expect(Set(log.compactMap { $0["sha256"] as? String }).count == count)
        #expect(try world.entries().isEmpty)
    }

    @Test("Quiet by default: no collector, no sending; an unsigned report is not queued; bad URLs are refused")
    func quietAndUsage() throws {
        let world = try World()
        try world.folder.write("plain.yaml", "entity:\n  name: Commune de Plouzané\n")
        let none = try BuiltBinary.run(["push", "--config", world.folder.url("plain.yaml")])
        #expect(none.exitCode == 64)
        #expect(none.stderr.contains("aucun collecteur configuré"))

        let unsigned = try BuiltBinary.run(
            ["scan", "--root", world.root, "--only", "certificates", "--out", world.folder.url("u.json"), "--fail-on", "critical", "--config", world.config, "--no-sign"])
        #expect(unsigned.exitCode == 0)
        #expect(unsigned.stderr.contains("non mis en file d'envoi"))
        #expect(try world.entries().isEmpty)

        let http = try BuiltBinary.run(["push", "--config", world.config, "--collector", "http://localhost:8080"])
        #expect(http.exitCode == 64)
        #expect(http.stderr.contains("https://"))

        let help = try BuiltBinary.run(["push", "--help"])
        for code in ["75", "65", "64", "66", "74", "78"] { #expect(help.stdout.contains(code)) }
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
