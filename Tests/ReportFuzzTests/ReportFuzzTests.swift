import Agent
import Checks
import Foundation
@testable import Rendering
import Model
import OpenSSLKit
import TestSupport
import Testing
import Territory
import Trust

/// Signed but hostile reports: a compromised commune server holds a valid agent key, so everything it
/// signs passes the signature check. Valid reports are mutated structurally (`ReportMutator`), signed
/// again with a test agent key, and put through `verify`, the consolidation and every view, in-process
/// for each case and through the built binary for the whole set at the end.
///
/// What must hold, whatever the mutation: no trap, no hang; `verify` and the store agree (a report
/// `verify` accepts is stored, one it refuses is recorded as refused with the same code); every refusal
/// has a reason; every accepted report renders in every view and format, and nothing reaches the
/// terminal with a raw control or bidirectional formatting character.
///
/// Seeded and reproducible: `CYBERCTL_FUZZ_SEED` (default 23) and `CYBERCTL_FUZZ_CASES` (default 100,
/// about a minute here, the binary pass included; `scripts/fuzz-reports.sh` runs more). `CYBERCTL_FUZZ_VERBOSE=1` prints each case
/// before running it, so that a crash names its case.
@Suite("Signed hostile reports (fuzz)", .serialized)
struct ReportFuzzTests {
    static let siren = "212901896"

    static var seed: UInt64 { ProcessInfo.processInfo.environment["CYBERCTL_FUZZ_SEED"].flatMap { UInt64($0) } ?? 23 }
    static var cases: Int { ProcessInfo.processInfo.environment["CYBERCTL_FUZZ_CASES"].flatMap { Int($0) } ?? 100 }
    static var verbose: Bool { ProcessInfo.processInfo.environment["CYBERCTL_FUZZ_VERBOSE"] == "1" }

    /// A CA, one agent, a valid base report, an inbox and a store.
    final class World: @unchecked Sendable {
        let folder: TemporaryDirectory
        let authority: CertificateAuthority
        let signer: ReportSigner
        let now: Date
        let base: [String: JSONValue]

        init() throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-fuzz")
            now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            authority = try CertificateAuthority.initialize(directory: folder.url("pki"), name: "RSSI de test", now: now.addingTimeInterval(-40 * 86_400))
            let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: ReportFuzzTests.siren, host: "srv-mairie")
            let enrolment = try Enrolment.enroll(identity: identity, directory: folder.url("agent"))
            let (certificate, _) = try authority.issue(enrolment.request, days: 400, now: now.addingTimeInterval(-39 * 86_400))
            try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: folder.url("agent/agent.crt"), mode: 0o644)
            signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: folder.url("agent/agent.crt"), now: now)
            let notAfter = ISO8601.string(from: now.addingTimeInterval(20 * 86_400))
            let report = Report(
                id: UUID().uuidString.lowercased(), generatedAt: now.addingTimeInterval(-600),
                agent: .init(version: "0.1.0", profile: "default", profileSHA256: String(repeating: "ab", count: 32)),
                entity: Entity(name: "Commune de Plouzané", siren: ReportFuzzTests.siren, insee: "29212", kind: "commune", population: 13000, departement: "29", region: "Bretagne"),
                host: HostFacts(hostname: "srv-mairie", os: .init(id: "debian", version: "12"), kernel: "6.1.0-28-amd64", machineID: nil),
                results: [
                    CheckResult(check: "cert.files", target: "/etc/ssl/a.pem", code: "cert.expiry", status: .warn, severity: .high,
                                evidence: ["notAfter": .string(notAfter), "subject": "CN=www", "issuer": "CN=CA", "daysLeft": 20, "sizeBytes": 1234],
                                references: ["NIS2-21.2.h"], durationMs: 3),
                    CheckResult(check: "tls.endpoint", target: "mail:993", code: "tls.legacy-protocols", status: .fail, severity: .high,
                                evidence: ["accepted": ["TLSv1", "TLSv1.2"]], references: ["NIS2-21.2.h", "ANSSI-TLS"], durationMs: 41),
                    CheckResult(check: "backup.sets", target: "/srv/backup", code: "backup.freshness", status: .error, severity: .high,
                                evidence: [:], references: [], reason: .init(fr: "illisible", en: "unreadable"), durationMs: 7),
                ])
            guard case .object(let members) = try JSONParser.parse(try report.jsonBytes()) else { throw TestSupportError("report is not an object") }
            base = members
        }

        var inbox: String { folder.url("inbox") }
        var store: String { folder.url("territory.sqlite") }

        func verifier() throws -> ReportVerifier {
            ReportVerifier(trust: try TrustAnchors.load(caFile: authority.certificatePath, crlFiles: [authority.crlPath]))
        }
    }

    /// Each case: a fresh report id (so two accepted cases never collide), then the mutations.
    static func makeCase(_ mutator: ReportMutator, _ random: inout FuzzRandom) -> MutatedReport {
        var id: [String] = []
        for _ in 0..<4 { id.append(String(format: "%08x", UInt32(truncatingIfNeeded: random.next()))) }
        let uuid = "\(id[0])-\(id[1].prefix(4))-4\(id[1].suffix(3))-a\(id[2].prefix(3))-\(id[2].suffix(4))\(id[3])"
        var base = mutator.base
        base["id"] = .string(uuid)
        return ReportMutator(base: base, now: mutator.now).mutate(&random)
    }

    /// Text a terminal would interpret: any character `TerminalText` escapes, except line feeds, tabs
    /// and CR LF.
    static func unsafeCharacters(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var found: [String] = []
        for (index, scalar) in scalars.enumerated() where TerminalText.isUnsafe(scalar) {
            if scalar == "\n" || scalar == "\t" { continue }
            if scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" { continue }
            found.append(String(format: "U+%04X", scalar.value))
        }
        return found
    }

    /// Every view of the store, in every format the library renders, checked.
    static func renderEveryView(_ views: TerritoryViews, host: String?, note: String) throws {
        let status = try views.status(fixes: 5)
        let findings = try views.findings()
        let certificates = try views.certificates(expiringWithinDays: 60)
        let trend = try views.trend()
        let rejected = try views.rejected(includeResolved: true)
        // The entity and host views answer "missing" (66) until a report of them is stored.
        var details = (try? views.entity(siren)).map { [$0] } ?? []
        if let host, let hostViews = try? views.host(host) { details += hostViews }
        var tables = ViewTables.status(status, .fr) + ViewTables.findings(findings, .en) + ViewTables.certificates(certificates, .fr)
        tables += [ViewTables.trend(trend.points, .en)] + ViewTables.rejected(rejected, .fr)
        tables += details.flatMap { ViewTables.detail($0, .fr) }
        for table in tables {
            #expect(unsafeCharacters(table.text).isEmpty, "table text \(table.title ?? ""): \(unsafeCharacters(table.text)) after \(note)")
            #expect(unsafeCharacters(table.markdown).isEmpty, "table markdown \(table.title ?? "") after \(note)")
            // Title, headers, rule, one line per row, and the final line feed: no cell starts a line of its own.
            #expect(table.text.split(separator: "\n", omittingEmptySubsequences: false).count == table.rows.count + 3 + (table.title == nil ? 0 : 1),
                    "a cell broke a row into lines after \(note)")
        }
        for export in [ExportTables.status(status, .fr), ExportTables.findings(findings, .en), ExportTables.certificates(certificates, .fr),
                       ExportTables.trend(trend.points, filter: nil, .en), ExportTables.rejected(rejected, .fr), ExportTables.details(details, .fr)] {
            for dialect in CSVDialect.allCases { _ = export.csv(dialect) }
        }
        for json in [try ViewJSON.encode(status), try ViewJSON.encode(findings), try ViewJSON.encode(certificates), try ViewJSON.encode(trend),
                     try ViewJSON.encode(rejected), try ViewJSON.encode(details)] {
            #expect((try? JSONParser.parse(Array(json.utf8))) != nil, "view JSON does not parse after \(note)")
        }
        let html = HTMLPage.dashboard(status: status, trend: trend, certificates: certificates, findings: findings, language: .fr)
            + HTMLPage.details(details, title: "x", language: .en)
        #expect(!html.contains("<script>alert"), "HTML not escaped after \(note)")
    }

    @Test("Mutated signed reports: verify and ingest agree, nothing traps or hangs, every refusal has a reason, every view renders safely",
          .timeLimit(.minutes(10)))
    func fuzz() throws {
        let world = try World()
        let verifier = try world.verifier()
        let store = try TerritoryStore(path: world.store)
        let ingest = Ingest(store: store, verifier: verifier, workers: 1)
        let views = TerritoryViews(store: store, now: Date(), language: .fr)
        let mutator = ReportMutator(base: world.base, now: world.now)
        var random = FuzzRandom(seed: Self.seed)
        print("ReportFuzz: seed \(Self.seed), \(Self.cases) cases (CYBERCTL_FUZZ_SEED, CYBERCTL_FUZZ_CASES)")

        // The unmutated report is accepted: the run cannot pass by refusing everything.
        let valid = ReportMutator.serialize(.object(world.base))
        _ = try verifier.verify(reportBytes: valid, signatureBytes: try world.signer.sign(valid, signingTime: Date()))

        var accepted = 0
        var refusedCodes: [String: Int] = [:]
        var hostnames: [String] = []
        for index in 0..<Self.cases {
            let mutated = Self.makeCase(mutator, &random)
            let note = "case \(index) (seed \(Self.seed)): \(mutated.description)"
            let started = Date()
            defer { if Self.verbose { print(String(format: "  %.2f s", Date().timeIntervalSince(started))) } }
            if Self.verbose { print(note) }
            let signature = try world.signer.sign(mutated.bytes, signingTime: Date())
            let name = String(format: "case-%05d.json", index)
            try world.folder.write("inbox/\(name)", Data(mutated.bytes))
            try world.folder.write("inbox/\(name).p7s", Data(signature))

            // verify, in-process.
            var verdict: String?
            do {
                _ = try verifier.verifyDocument(reportBytes: mutated.bytes, signatureBytes: signature)
            } catch {
                // verifyDocument throws only VerificationFailure (typed throws).
                verdict = error.code.rawValue
                #expect(!error.text.fr.isEmpty && !error.text.en.isEmpty, "refusal without a reason: \(note)")
            }
            // The consolidation of the same file agrees.
            let summary = try ingest.run(try Inbox.discover([world.folder.url("inbox/\(name)")]))
            if let verdict {
                #expect(summary.rejected == 1 && summary.rejectedByCode[verdict] == 1, "verify refused (\(verdict)) but ingest said \(String(describing: summary)): \(note)")
                refusedCodes[verdict, default: 0] += 1
            } else {
                #expect(summary.stored + summary.alreadyStored == 1, "verify accepted but ingest said \(String(describing: summary.rejectedByCode)): \(note)")
                accepted += 1
                if let host = mutated.hostname { hostnames.append(host) }
            }
            // A refusal changes only the rejections: every view again after an accepted report, the refusals' view after any.
            if verdict == nil {
                try Self.renderEveryView(views, host: mutated.hostname, note: note)
            } else {
                let rejected = try views.rejected(includeResolved: true)
                for table in ViewTables.rejected(rejected, .fr) {
                    #expect(Self.unsafeCharacters(table.text).isEmpty, "rejections table after \(note)")
                }
                #expect((try? JSONParser.parse(Array(try ViewJSON.encode(rejected).utf8))) != nil, "rejections JSON after \(note)")
            }
        }
        // Every refusal recorded with its reason.
        for rejection in try views.rejected(includeResolved: true).rejections {
            #expect(!rejection.message.isEmpty && !rejection.code.isEmpty, "rejection of \(rejection.path) without a reason")
        }
        print("ReportFuzz: \(accepted) accepted, refused: \(refusedCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        #expect(accepted > 0 && accepted < Self.cases, "the mutations must both pass and fail verification")

        let binaryStarted = Date()
        try Self.throughBinary(world, hostnames: hostnames)
        if Self.verbose { print(String(format: "ReportFuzz: binary pass %.1f s", Date().timeIntervalSince(binaryStarted))) }
    }

    /// The same inbox and store through the built binary: verify every file, every view in every format.
    static func throughBinary(_ world: World, hostnames: [String]) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: world.inbox).filter { $0.hasSuffix(".json") }.sorted()
        func check(_ arguments: [String], allowed: Set<Int32>) throws {
            let started = Date()
            let run = try BuiltBinary.run(arguments, timeout: 120)
            if verbose { print(String(format: "  binary %.2f s: %@", Date().timeIntervalSince(started), arguments.prefix(5).joined(separator: " "))) }
            let shown = arguments.prefix(4).joined(separator: " ")
            #expect(!run.timedOut, "cyberctl \(shown) did not finish in 120 s")
            #expect(allowed.contains(run.output.exitCode), "cyberctl \(shown): exit \(run.output.exitCode): \(run.output.stderr.prefix(2000))")
            #expect(unsafeCharacters(run.output.stdout).isEmpty, "cyberctl \(shown) printed \(unsafeCharacters(run.output.stdout).prefix(5))")
            #expect(unsafeCharacters(run.output.stderr).isEmpty, "cyberctl \(shown) wrote \(unsafeCharacters(run.output.stderr).prefix(5)) on stderr")
        }
        let ca = ["--ca", world.authority.certificatePath, "--crl", world.authority.crlPath]
        for chunk in stride(from: 0, to: files.count, by: 400) {
            let batch = files[chunk..<min(chunk + 400, files.count)].map { world.inbox + "/" + $0 }
            try check(["verify"] + batch + ca, allowed: [0, 65])
            try check(["verify"] + batch + ca + ["--format", "json", "--lang", "en"], allowed: [0, 65])
        }
        let db = world.folder.url("binary.sqlite")
        try check(["consolidate", world.inbox, "--db", db] + ca, allowed: [0, 65])
        // Every view as a table (the terminal's format) and as JSON; every format of the status and entity views.
        for view in [["status", "--fixes", "5"], ["findings"], ["certificates"], ["trend"], ["rejected", "--all"], ["entity", siren]] {
            let formats = view[0] == "status" || view[0] == "entity" ? ["table", "markdown", "csv", "json", "html"] : ["table", "json"]
            for format in formats {
                try check(["territory"] + view + ["--db", db, "--format", format], allowed: [0])
            }
        }
        for host in Array(Set(hostnames.map { $0.lowercased() })).sorted().prefix(4) where !host.isEmpty && host.utf8.count < 4096 && !host.contains("\u{0}") {
            try check(["territory", "host", host, "--db", db], allowed: [0, 66])
        }
        try check(["summary", "--territory", "--db", db, "--format", "markdown"], allowed: [0])
    }
}
