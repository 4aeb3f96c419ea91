import Agent
import Delivery
import Foundation
import OpenSSLKit
import TestSupport
import Testing
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// `cyberctl collect` end to end on loopback: the built binary, real certificates, the real curl and
/// openssl s_client as clients, the inbox and the territory store checked afterwards.
@Suite("Collector end to end", .serialized)
struct CollectorEndToEndTests {
    @Test("accepted, then duplicate, then found by territory status; refusals leave nothing in the inbox; consolidate finds exactly the accepted")
    func acceptanceAndRefusals() throws {
        let fixture = try CollectorFixture()
        let agentA = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let agentB = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-lanveoc")
        let collector = try fixture.startCollector(db: true, extra: ["--max-body-bytes", "65536"])

        // Accepted, stored as <siren>/<name> + .p7s, ingested.
        let first = try fixture.signedReport(agentA, name: "srv-mairie-2026-11-29.json")
        let accepted = try fixture.push(first, as: agentA, port: collector.port)
        #expect(accepted.status == 201, "\(accepted.json) \(accepted.stderr)")
        #expect(accepted.json["status"] == "accepted")
        #expect(accepted.json["sha256"] == first.sha256)
        #expect(accepted.json["message"]?.isEmpty == false && accepted.json["message_en"]?.isEmpty == false)
        #expect(fixture.inboxFiles() == ["212901896/srv-mairie-2026-11-29.json", "212901896/srv-mairie-2026-11-29.json.p7s"])
        let stored = try Data(contentsOf: URL(fileURLWithPath: fixture.inbox + "/212901896/srv-mairie-2026-11-29.json"))
        #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: first.reportPath))))

        // The same bytes again: 200 duplicate, nothing rewritten.
        let again = try fixture.push(first, as: agentA, port: collector.port)
        #expect(again.status == 200)
        #expect(again.json["status"] == "duplicate")
        #expect(fixture.inboxFiles().count == 2)

        // Found by territory status.
        let status = try BuiltBinary.run(["territory", "status", "--db", fixture.databasePath, "--format", "json"])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains(CollectorFixture.sirenA))

        // Tampered: one byte of the report changed after signing → 422 content-mismatch, nothing stored.
        let second = try fixture.signedReport(agentA)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: second.reportPath))
        let position = bytes.firstRange(of: Data("srv-mairie".utf8))!.lowerBound
        bytes[position] = UInt8(ascii: "S")
        try bytes.write(to: URL(fileURLWithPath: second.reportPath))
        let tampered = CollectorFixture.Upload(reportPath: second.reportPath, signaturePath: second.signaturePath, sha256: Digest.sha256Hex(Array(bytes)))
        let refused = try fixture.push(tampered, as: agentA, port: collector.port)
        #expect(refused.status == 422)
        #expect(refused.json["status"] == "refused")
        #expect(refused.json["code"] == "content-mismatch")
        #expect(fixture.inboxFiles().count == 2)

        // Signed by agent A, sent by agent B → 422 identity-mismatch.
        let foreign = try fixture.signedReport(agentA)
        let mismatch = try fixture.push(foreign, as: agentB, port: collector.port)
        #expect(mismatch.status == 422)
        #expect(mismatch.json["code"] == "identity-mismatch")

        // A report for another SIREN signed with A's certificate → the verifier's own siren-mismatch.
        let wrongSIREN = try fixture.signedReport(agentA, siren: CollectorFixture.sirenB)
        let sirenRefusal = try fixture.push(wrongSIREN, as: agentA, port: collector.port)
        #expect(sirenRefusal.status == 422)
        #expect(sirenRefusal.json["code"] == "siren-mismatch")

        // SHA-256 header not matching the report → 400.
        let third = try fixture.signedReport(agentA)
        let badHeader = try fixture.push(third, as: agentA, port: collector.port, sha256Header: String(repeating: "0", count: 64))
        #expect(badHeader.status == 400)
        #expect(badHeader.json["code"] == "sha256-mismatch")

        // Only one part → 400.
        let onePart = try Command.run("curl", [
            "-sS", "-o", "-", "-w", "\n%{http_code}", "--cacert", fixture.caPath, "--cert", agentA.certificatePath, "--key", agentA.keyPath,
            "-H", "X-Cyberctl-Report-SHA256: \(third.sha256)", "-F", "report=@\(third.reportPath);type=application/json",
            "https://127.0.0.1:\(collector.port)/v1/reports",
        ])
        #expect(onePart.stdout.hasSuffix("\n400"), "\(onePart.stdout)")
        #expect(onePart.stdout.contains("\"part-count\""))

        // Over --max-body-bytes (64 KiB) → 413.
        let big = try fixture.signedReport(agentA, padding: 100_000)
        let tooBig = try fixture.push(big, as: agentA, port: collector.port)
        #expect(tooBig.status == 413)
        #expect(tooBig.json["status"] == "too-large")

        #expect(fixture.inboxFiles() == ["212901896/srv-mairie-2026-11-29.json", "212901896/srv-mairie-2026-11-29.json.p7s"])

        // One log line per request, with client, status and SHA-256.
        let log = collector.log
        #expect(log.contains("client=srv-mairie/212901896"))
        #expect(log.contains("status=201") && log.contains("status=200") && log.contains("status=422") && log.contains("status=413"))
        #expect(log.contains("sha256=\(first.sha256)"))

        // SIGTERM: a clean stop.
        #expect(collector.stop(SIGTERM) == 0)

        // Consolidation of the inbox finds exactly the accepted report.
        let consolidated = try BuiltBinary.run([
            "consolidate", fixture.inbox, "--db", fixture.folder.url("fresh.sqlite"), "--ca", fixture.caPath, "--crl", fixture.crlPath, "--format", "json",
        ])
        #expect(consolidated.exitCode == 0, "\(consolidated.stderr)")
        let summary = try JSONSerialization.jsonObject(with: consolidated.stdoutData) as? [String: Any] ?? [:]
        #expect(summary["found"] as? Int == 1)
        #expect(summary["stored"] as? Int == 1)
        #expect(summary["rejected"] as? Int == 0)
    }

    @Test("with --db: a report id reused with other bytes is refused (422 report-id-conflict) and not put in the inbox")
    func reportIDConflict() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector(db: true)
        let id = UUID().uuidString.lowercased()
        #expect(try fixture.push(try fixture.signedReport(agent, minutesAgo: 20, id: id), as: agent, port: collector.port).status == 201)
        let reused = try fixture.push(try fixture.signedReport(agent, minutesAgo: 10, id: id), as: agent, port: collector.port)
        #expect(reused.status == 422)
        #expect(reused.json["code"] == "report-id-conflict")
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.count == 2)
    }

    @Test("""
        report id reused: the same bytes are 200 duplicate with or without --db and after restarts, even when the store \
        refuses them; a new report reusing a stored id is 422 and left nowhere; inbox and store agree, as consolidate sees them
        """)
    func reusedReportID() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let id = UUID().uuidString.lowercased()
        let first = try fixture.signedReport(agent, name: "srv-mairie-a.json", minutesAgo: 30, id: id)
        let sameID = try fixture.signedReport(agent, name: "srv-mairie-b.json", minutesAgo: 20, id: id)

        // No store: the collector has no report ids to compare, both pairs go to the inbox (consolidation will
        // record the second as a report-id-conflict), and the same bytes again are duplicates.
        var collector = try fixture.startCollector()
        #expect(try fixture.push(first, as: agent, port: collector.port).status == 201)
        #expect(try fixture.push(sameID, as: agent, port: collector.port).status == 201)
        #expect(try fixture.push(first, as: agent, port: collector.port).json["status"] == "duplicate")
        #expect(collector.stop() == 0)
        let pairs = ["212901896/srv-mairie-a.json", "212901896/srv-mairie-a.json.p7s", "212901896/srv-mairie-b.json", "212901896/srv-mairie-b.json.p7s"]
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") } == pairs)

        // Restarted with a store: both pairs are in the inbox, so both are 200 duplicate; the first is ingested,
        // the second is recorded as a rejection of its inbox file, exactly as consolidate records it.
        for round in 0..<2 {
            collector = try fixture.startCollector(db: true)
            for upload in [first, sameID, first] {
                let reply = try fixture.push(upload, as: agent, port: collector.port)
                #expect(reply.status == 200, "round \(round): \(reply.json) \(reply.stderr)")
                #expect(reply.json["status"] == "duplicate")
                #expect(reply.json["sha256"] == upload.sha256)
            }
            #expect(collector.log.contains("refused by the territory store"))
            #expect(collector.stop() == 0)
        }
        let inbox = fixture.inbox
        var rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT sha256, sourcePath FROM report; SELECT path, sha256, code FROM rejection;"])
        #expect(rows.stdout == "\(first.sha256)|\(inbox)/212901896/srv-mairie-a.json\n\(inbox)/212901896/srv-mairie-b.json|\(sameID.sha256)|report-id-conflict\n", "\(rows.stdout) \(rows.stderr)")

        // A new report reusing the stored id: 422 report-id-conflict, not in the inbox, no rejection row for a file
        // that does not exist; then again the same answer (the agent keeps it, marked refused).
        collector = try fixture.startCollector(db: true)
        let third = try fixture.signedReport(agent, name: "srv-mairie-c.json", minutesAgo: 10, id: id)
        for _ in 0..<2 {
            let reply = try fixture.push(third, as: agent, port: collector.port)
            #expect(reply.status == 422, "\(reply.json)")
            #expect(reply.json["status"] == "refused")
            #expect(reply.json["code"] == "report-id-conflict")
        }
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") } == pairs)

        // Another report under a file name already taken: stored as <name>-<12 hex>.json, and the store records
        // that path (not the name the agent asked for).
        let renamed = try fixture.signedReport(agent, name: "srv-mairie-a.json", minutesAgo: 5)
        let accepted = try fixture.push(renamed, as: agent, port: collector.port)
        #expect(accepted.status == 201, "\(accepted.json)")
        let renamedPath = "212901896/srv-mairie-a-\(renamed.sha256.prefix(12)).json"
        #expect(fixture.inboxFiles().contains(renamedPath))
        #expect(collector.stop() == 0)
        rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT sourcePath FROM report WHERE sha256 = '\(renamed.sha256)'; SELECT count(*) FROM rejection;"])
        #expect(rows.stdout == "\(inbox)/\(renamedPath)\n1\n", "\(rows.stdout) \(rows.stderr)")

        // Every path the store names is a file of the inbox, and consolidating the inbox into the same store
        // changes nothing: 3 found, 2 already stored, the same one rejection.
        let paths = try Command.run("sqlite3", [fixture.databasePath, "SELECT sourcePath FROM report UNION ALL SELECT path FROM rejection;"])
        for path in paths.stdout.split(separator: "\n") { #expect(FileManager.default.fileExists(atPath: String(path)), "\(path)") }
        let consolidated = try BuiltBinary.run([
            "consolidate", inbox, "--db", fixture.databasePath, "--ca", fixture.caPath, "--crl", fixture.crlPath, "--format", "json",
        ])
        let summary = try JSONSerialization.jsonObject(with: consolidated.stdoutData) as? [String: Any] ?? [:]
        #expect(summary["found"] as? Int == 3, "\(consolidated.stdout) \(consolidated.stderr)")
        #expect(summary["stored"] as? Int == 0)
        #expect(summary["rejected"] as? Int == 1)
        rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT count(*) FROM report; SELECT count(*) FROM rejection;"])
        #expect(rows.stdout == "2\n1\n")
    }

    @Test("""
        all verification threads busy and the queue full: 503 unavailable, code busy, Retry-After, nothing stored; \
        cyberctl push keeps the pair and exits 75; the held upload then completes 201
        """)
    func busy() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let fifo = fixture.folder.url("hold.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        // One verification thread, nothing allowed to wait; the testing hook holds each verification on the FIFO.
        let collector = try fixture.startCollector(extra: ["--workers", "1", "--queue-limit", "0"], environment: ["CYBERCTL_COLLECT_TEST_HOLD": fifo])
        #expect(collector.log.contains("CYBERCTL_COLLECT_TEST_HOLD"))

        // The first upload reaches the only thread and stays there while the FIFO is open for writing.
        let held = try fixture.signedReport(agent)
        let heldReply = Background { try fixture.push(held, as: agent, port: collector.port) }
        // Opening the FIFO for writing succeeds exactly once the verification job has opened it for reading
        // (ENXIO until then): then the thread is busy. 60 s is only a safety net.
        var writer: Int32 = -1
        let deadline = Date().addingTimeInterval(60)
        while writer < 0 && Date() < deadline {
            writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if writer < 0 { usleep(20_000) }
        }
        try #require(writer >= 0, "the held upload never reached a verification thread: \(collector.log)")

        let refused = try fixture.signedReport(agent)
        let reply = try fixture.push(refused, as: agent, port: collector.port)
        #expect(reply.status == 503, "\(reply.json) \(reply.stderr)")
        #expect(reply.json["status"] == "unavailable")
        #expect(reply.json["code"] == "busy")
        #expect(reply.json["sha256"] == refused.sha256)
        #expect(reply.json["message"]?.isEmpty == false && reply.json["message_en"]?.isEmpty == false)
        #expect(reply.retryAfter == "5")

        // The agent's side: cyberctl push reads 503, keeps the pair for later and exits 75 (EX_TEMPFAIL).
        let queued = try fixture.signedReport(agent)
        let outbox = try PushToCollectorTests.outbox(fixture, for: agent, [queued])
        let push = try BuiltBinary.run(try PushToCollectorTests.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port))
        #expect(push.exitCode == 75, "\(push.stdout)\(push.stderr)")
        #expect(push.stdout.contains("503"), "\(push.stdout)")
        #expect(try Outbox(directory: outbox, create: false).entries().count == 1)
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.isEmpty)

        // Let the held verification go: it is stored and answered 201.
        close(writer)
        let heldResult = heldReply.wait(seconds: 60)
        #expect(heldResult?.status == 201, "\(String(describing: heldResult?.json))")
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.count == 2)
        #expect(collector.log.contains("code=busy"))
        #expect(collector.stop() == 0)
    }

    @Test("any other path or method, `/` and `/v1` included, is answered the protocol's JSON 404 not-found")
    func notFoundIsJSON() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector()
        for (method, path) in [("GET", "/"), ("POST", "/"), ("GET", "/v1"), ("POST", "/v1/reportsx"), ("GET", "/v1/reports"), ("GET", "/x/y")] {
            let output = try Command.run("curl", [
                "-sS", "--max-time", "30", "--cacert", fixture.caPath, "--cert", agent.certificatePath, "--key", agent.keyPath,
                "-X", method, "-w", "\n%{http_code}", "https://127.0.0.1:\(collector.port)\(path)",
            ])
            let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "404", "\(method) \(path): \(output.stdout) \(output.stderr)")
            let body = lines.dropLast().joined(separator: "\n")
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
            #expect(object?["status"] as? String == "not-found", "\(method) \(path): body \(body.debugDescription)")
        }
    }

    @Test("a --tls-key that is not the --tls-cert's key is a clear input error (65) naming the key, not an internal error")
    func mismatchedServerKey() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let (_, key) = try fixture.serverCertificate()
        // The agent's certificate with the collector's key: both load, they do not belong together.
        let output = try BuiltBinary.run([
            "collect", "--listen", "127.0.0.1:0", "--tls-cert", agent.certificatePath, "--tls-key", key,
            "--ca", fixture.caPath, "--crl", fixture.crlPath, "--inbox", fixture.inbox,
        ])
        #expect(output.exitCode == 65, "\(output.stderr)")
        #expect(output.stderr.contains(key), "\(output.stderr)")
        #expect(!output.stderr.contains("internal error") && !output.stderr.contains("erreur interne"), "\(output.stderr)")
    }

    @Test("one collector per inbox: a second one on the same inbox is refused (74) and the first keeps working")
    func oneCollectorPerInbox() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let first = try fixture.startCollector()
        let (certificate, key) = try fixture.serverCertificate()
        let second = try BuiltBinary.run([
            "collect", "--listen", "127.0.0.1:0", "--tls-cert", certificate, "--tls-key", key,
            "--ca", fixture.caPath, "--crl", fixture.crlPath, "--inbox", fixture.inbox,
        ])
        #expect(second.exitCode == 74, "\(second.stderr)")
        #expect(second.stderr.contains("another cyberctl collect already uses this inbox"), "\(second.stderr)")
        let reply = try fixture.push(try fixture.signedReport(agent), as: agent, port: first.port)
        #expect(reply.status == 201, "\(reply.json) \(reply.stderr)")
        // Once the first stops, the inbox is free again.
        #expect(first.stop() == 0)
        let next = try fixture.startCollector()
        #expect(try fixture.push(try fixture.signedReport(agent), as: agent, port: next.port).status == 201)
    }

    @Test("an address already in use is a clear I/O error (74) naming the address, not an internal error")
    func addressInUse() throws {
        let fixture = try CollectorFixture()
        let first = try fixture.startCollector()
        let (certificate, key) = try fixture.serverCertificate()
        let second = try BuiltBinary.run([
            "collect", "--listen", "127.0.0.1:\(first.port)", "--tls-cert", certificate, "--tls-key", key,
            "--ca", fixture.caPath, "--crl", fixture.crlPath, "--inbox", fixture.folder.url("other-inbox"),
        ])
        #expect(second.exitCode == 74, "\(second.stderr)")
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(first.port)"), "\(second.stderr)")
        #expect(!second.stderr.contains("internal error") && !second.stderr.contains("erreur interne"), "\(second.stderr)")
    }

    @Test("TLS 1.2: ECDHE with AEAD only; a CBC-SHA1 suite is refused at the handshake (openssl s_client)")
    func aeadOnly() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector()
        func handshake(_ cipher: String) throws -> Command.Output {
            try Command.run("openssl", [
                "s_client", "-connect", "127.0.0.1:\(collector.port)", "-tls1_2", "-cipher", cipher, "-CAfile", fixture.caPath,
                "-cert", agent.certificatePath, "-key", agent.keyPath, "-verify_return_error", "-brief",
            ], input: Data())
        }
        let aead = try handshake("ECDHE-ECDSA-AES128-GCM-SHA256")
        #expect(aead.exitCode == 0, "\(aead.stderr)")
        for weak in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"] {
            let refused = try handshake(weak)
            #expect(refused.exitCode != 0, "\(weak) accepted: \(refused.stderr)")
        }
    }

    @Test("IPv6: listens on [::1] and accepts there")
    func ipv6() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector(host: "::1")
        let reply = try fixture.push(try fixture.signedReport(agent), as: agent, port: collector.port, host: "::1")
        #expect(reply.status == 201, "\(reply.stderr)")
        #expect(fixture.inboxFiles().count == 2)
    }

    @Test("no client certificate, or one of another CA: the TLS handshake is refused, nothing is stored")
    func handshakeRefusals() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let otherCA = try CertificateAuthority.initialize(directory: fixture.folder.url("other-pki"), name: "Autre RSSI", now: fixture.now.addingTimeInterval(-40 * 86_400))
        let stranger = try fixture.agent(authority: otherCA)
        let collector = try fixture.startCollector()
        let upload = try fixture.signedReport(agent)

        let anonymous = try fixture.push(upload, as: nil, port: collector.port)
        #expect(anonymous.exitCode != 0)
        #expect(anonymous.status == 0)
        let foreign = try fixture.push(try fixture.signedReport(stranger), as: stranger, port: collector.port)
        #expect(foreign.exitCode != 0)
        #expect(foreign.status == 0)

        // openssl s_client, TLS 1.2 (the refusal is part of the handshake) and TLS 1.3.
        let request = Data("POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".utf8)
        for version in ["-tls1_2", "-tls1_3"] {
            for credentials in [[], ["-cert", stranger.certificatePath, "-key", stranger.keyPath]] {
                let client = try Command.run("openssl", [
                    "s_client", "-connect", "127.0.0.1:\(collector.port)", "-CAfile", fixture.caPath, "-verify_return_error", version, "-ign_eof",
                ] + credentials, input: request)
                #expect(!client.stdout.contains("HTTP/1.1"), "\(version) \(credentials): \(client.stdout)")
                #expect(client.stderr.lowercased().contains("alert"), "\(version) \(credentials): \(client.stderr)")
            }
        }
        // The same s_client with the agent's certificate gets an HTTP answer.
        let allowed = try Command.run("openssl", [
            "s_client", "-connect", "127.0.0.1:\(collector.port)", "-CAfile", fixture.caPath, "-verify_return_error", "-ign_eof",
            "-cert", agent.certificatePath, "-key", agent.keyPath,
        ], input: Data("POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        #expect(allowed.stdout.contains("HTTP/1.1 400"), "\(allowed.stdout)")
        #expect(fixture.inboxFiles().isEmpty)
    }

    @Test("a revoked agent is answered 403, also when revoked while the collector runs (CRL reloaded)")
    func revoked() throws {
        let fixture = try CollectorFixture()
        let revokedAgent = try fixture.agent(siren: CollectorFixture.sirenC, host: "srv-old")
        try fixture.authority.revoke(serial: revokedAgent.serial, reason: .keyCompromise)
        let later = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-later")
        let collector = try fixture.startCollector()

        let reply = try fixture.push(try fixture.signedReport(revokedAgent), as: revokedAgent, port: collector.port)
        #expect(reply.status == 403)
        #expect(reply.json["status"] == "forbidden")
        #expect(reply.json["code"] == "certificate-revoked")

        #expect(try fixture.push(try fixture.signedReport(later), as: later, port: collector.port).status == 201)
        try fixture.authority.revoke(serial: later.serial, reason: .affiliationChanged)
        // The collector looks at the CRL file at most once a second: ask until it has seen the change.
        // Until then its uploads are still accepted (201), and they are all in the inbox.
        var status = 0
        var acceptedMeanwhile = 0
        for _ in 0..<100 {
            status = try fixture.push(try fixture.signedReport(later), as: later, port: collector.port).status
            if status == 403 { break }
            #expect(status == 201)
            acceptedMeanwhile += 1
            usleep(200_000)
        }
        #expect(status == 403)
        #expect(collector.log.contains("trust reloaded"))
        #expect(fixture.inboxFiles().count == 2 * (1 + acceptedMeanwhile))
    }

    @Test("per-client rate limit: 429 with Retry-After; another agent is not affected")
    func rateLimit() throws {
        let fixture = try CollectorFixture()
        let agentA = try fixture.agent()
        let agentB = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-b")
        let collector = try fixture.startCollector(extra: ["--rate", "2/min"])
        #expect(try fixture.push(try fixture.signedReport(agentA), as: agentA, port: collector.port).status == 201)
        #expect(try fixture.push(try fixture.signedReport(agentA), as: agentA, port: collector.port).status == 201)
        let limited = try fixture.push(try fixture.signedReport(agentA), as: agentA, port: collector.port)
        #expect(limited.status == 429)
        #expect(limited.json["status"] == "rate-limited")
        #expect((Int(limited.retryAfter ?? "") ?? 0) >= 1)
        #expect(try fixture.push(try fixture.signedReport(agentB), as: agentB, port: collector.port).status == 201)
        #expect(fixture.inboxFiles().count == 6)
    }

    @Test("SIGKILL in the middle of a slow upload: nothing partial in the inbox, the store intact, the next collector carries on")
    func killedMidUpload() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        var collector = try fixture.startCollector(db: true)
        let first = try fixture.signedReport(agent)
        #expect(try fixture.push(first, as: agent, port: collector.port).status == 201)

        // A second upload sent by hand over openssl s_client, stopped halfway through the body.
        let second = try fixture.signedReport(agent, padding: 20_000)
        let body = try Self.multipartBody(second, boundary: "cyberctl-boundary-7f3a")
        let head = Self.requestHead(second, bodyBytes: body.count, boundary: "cyberctl-boundary-7f3a")
        let client = Process()
        client.executableURL = URL(fileURLWithPath: try Command.which("openssl"))
        client.arguments = [
            "s_client", "-connect", "127.0.0.1:\(collector.port)", "-CAfile", fixture.caPath, "-cert", agent.certificatePath, "-key", agent.keyPath,
            "-quiet", "-ign_eof",
        ]
        let input = Pipe()
        let errors = Pipe()
        client.standardInput = input
        client.standardOutput = FileHandle.nullDevice
        client.standardError = errors
        try client.run()
        // The handshake is done once s_client has printed its verification lines.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("verify return:1\n") || String(decoding: seen, as: UTF8.self).components(separatedBy: "verify return:1").count < 3 {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        input.fileHandleForWriting.write(Data(head.utf8) + body.prefix(body.count / 2))
        collector.stop(SIGKILL)
        try? input.fileHandleForWriting.close()
        client.waitUntilExit()

        // Only the first, complete pair; nothing half-written anywhere (.incoming included).
        let files = fixture.inboxFiles()
        #expect(files.filter { !$0.hasPrefix(".incoming/") }.count == 2)
        #expect(!files.contains { $0.contains(second.sha256.prefix(12)) })
        for file in files where !file.hasPrefix(".incoming/") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.inbox + "/" + file))
            if file.hasSuffix(".json") { #expect(Digest.sha256Hex(Array(bytes)) == first.sha256) }
        }
        let check = try Command.run("sqlite3", [fixture.databasePath, "PRAGMA integrity_check; SELECT count(*) FROM report;"])
        #expect(check.stdout == "ok\n1\n", "\(check.stdout) \(check.stderr)")

        // A new collector on the same inbox and store: leftovers swept, the upload completes.
        collector = try fixture.startCollector(db: true)
        #expect(!fixture.inboxFiles().contains { $0.hasPrefix(".incoming/") })
        #expect(try fixture.push(second, as: agent, port: collector.port).status == 201)
        #expect(try fixture.push(first, as: agent, port: collector.port).status == 200)
        let after = try Command.run("sqlite3", [fixture.databasePath, "SELECT count(*) FROM report;"])
        #expect(after.stdout == "2\n")
        collector.stop()
        let consolidated = try BuiltBinary.run([
            "consolidate", fixture.inbox, "--db", fixture.folder.url("fresh.sqlite"), "--ca", fixture.caPath, "--crl", fixture.crlPath, "--format", "json",
        ])
        let summary = try JSONSerialization.jsonObject(with: consolidated.stdoutData) as? [String: Any] ?? [:]
        #expect(summary["stored"] as? Int == 2)
        #expect(summary["rejected"] as? Int == 0)
    }

    /// A TLS client in Python (`ssl`): sends the request head and the first half of the body, waits until the
    /// collector has read all of it (its socket's receive queue and ours send queue empty, from /proc/net/tcp),
    /// prints `half-sent`, waits for a line on stdin, sends the rest and prints the whole answer.
    static let halfUploadClient = #"""
        import socket, ssl, sys, time
        host, port, ca, cert, key, head_path, body_path = sys.argv[1:8]
        port = int(port)
        head = open(head_path, 'rb').read()
        body = open(body_path, 'rb').read()
        context = ssl.create_default_context(cafile=ca)
        context.load_cert_chain(cert, key)
        connection = context.wrap_socket(socket.create_connection((host, port)), server_hostname=host)
        half = len(body) // 2
        connection.sendall(head + body[:half])
        mine = connection.getsockname()[1]
        def drained():
            server = client = None
            for line in open('/proc/net/tcp').read().splitlines()[1:]:
                fields = line.split()
                local, remote = int(fields[1].split(':')[1], 16), int(fields[2].split(':')[1], 16)
                tx, rx = (int(x, 16) for x in fields[4].split(':'))
                if local == port and remote == mine: server = rx
                if local == mine and remote == port: client = tx
            return server == 0 and client == 0
        deadline = time.monotonic() + 60
        while not drained():
            if time.monotonic() > deadline: sys.exit('the collector never read the first half')
            time.sleep(0.01)
        print('half-sent', flush=True)
        sys.stdin.readline()
        connection.sendall(body[half:])
        answer = b''
        while True:
            chunk = connection.recv(65536)
            if not chunk: break
            answer += chunk
        sys.stdout.write(answer.decode('utf-8', 'replace'))
        """#

    @Test("""
        SIGTERM while an upload is held mid-body: new connections are refused at once, the upload in flight completes \
        (201, stored and ingested), then the connection is closed and the collector exits 0
        """)
    func sigtermWithUploadInFlight() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector(db: true)
        let upload = try fixture.signedReport(agent, padding: 20_000)
        let body = try Self.multipartBody(upload, boundary: "cyberctl-boundary-5e1d")
        let head = Self.requestHead(upload, bodyBytes: body.count, boundary: "cyberctl-boundary-5e1d")
        let script = try fixture.folder.write("half-upload.py", Data(Self.halfUploadClient.utf8))
        let headPath = try fixture.folder.write("half-upload.head", Data(head.utf8))
        let bodyPath = try fixture.folder.write("half-upload.body", body)
        let client = Process()
        client.executableURL = URL(fileURLWithPath: try Command.which("python3"))
        client.arguments = [script, "127.0.0.1", String(collector.port), fixture.caPath, agent.certificatePath, agent.keyPath, headPath, bodyPath]
        let input = Pipe()
        let output = Pipe()
        client.standardInput = input
        client.standardOutput = output
        client.standardError = FileHandle.nullDevice
        try client.run()
        var printed = Data()
        while !String(decoding: printed, as: UTF8.self).contains("half-sent\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        try #require(String(decoding: printed, as: UTF8.self).contains("half-sent\n"), "the client could not send the first half")

        // SIGTERM: the listener closes (a new TCP connection is refused) while the held upload keeps its connection.
        kill(collector.process.processIdentifier, SIGTERM)
        var refused = false
        for _ in 0..<600 {
            let attempt = try Command.run("python3", ["-c", "import socket; socket.create_connection(('127.0.0.1', \(collector.port)), timeout=10)"])
            if attempt.exitCode != 0 && attempt.stderr.contains("ConnectionRefusedError") { refused = true; break }
            usleep(50_000)
        }
        #expect(refused, "new connections still accepted after SIGTERM: \(collector.log)")
        #expect(collector.process.isRunning, "the collector exited with an upload in flight: \(collector.log)")

        // The rest of the body: the upload completes, 201, and the collector then exits 0 on its own.
        let sent = Date()
        input.fileHandleForWriting.write(Data("go\n".utf8))
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        client.waitUntilExit()
        let answer = String(decoding: printed, as: UTF8.self)
        #expect(answer.contains("HTTP/1.1 201"), "\(answer)")
        #expect(answer.contains("\"accepted\""), "\(answer)")
        collector.process.waitUntilExit()
        let exitSeconds = Date().timeIntervalSince(sent)
        #expect(collector.process.terminationStatus == 0, "\(collector.log)")
        #expect(collector.log.contains("status=201"))
        print("collector exit \(String(format: "%.2f", exitSeconds)) s after the held upload completed")
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.count == 2)
        let rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT sha256 FROM report;"])
        #expect(rows.stdout == "\(upload.sha256)\n")
    }

    /// The protocol's body: two parts, report then signature.
    /// The head of a `POST /v1/reports` request as `cyberctl push` sends it, for clients that write the request by hand.
    static func requestHead(_ upload: CollectorFixture.Upload, bodyBytes: Int, boundary: String) -> String {
        """
        POST /v1/reports HTTP/1.1\r
        Host: localhost\r
        User-Agent: cyberctl/0.1.0\r
        Content-Type: multipart/form-data; boundary=\(boundary)\r
        X-Cyberctl-Report-SHA256: \(upload.sha256)\r
        Content-Length: \(bodyBytes)\r
        \r

        """
    }

    static func multipartBody(_ upload: CollectorFixture.Upload, boundary: String) throws -> Data {
        let name = URL(fileURLWithPath: upload.reportPath).lastPathComponent
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"report\"; filename=\"\(name)\"\r\nContent-Type: application/json\r\n\r\n".utf8))
        body.append(try Data(contentsOf: URL(fileURLWithPath: upload.reportPath)))
        body.append(Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"signature\"; filename=\"\(name).p7s\"\r\nContent-Type: application/pkcs7-signature\r\n\r\n".utf8))
        body.append(try Data(contentsOf: URL(fileURLWithPath: upload.signaturePath)))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return body
    }
}

/// Runs `body` on another thread; `wait` returns its result (nil on failure or past the safety-net delay).
final class Background<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: T?

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            result = try? body()
            done.signal()
        }
    }

    func wait(seconds: Double) -> T? {
        done.wait(timeout: .now() + seconds) == .success ? result : nil
    }
}
