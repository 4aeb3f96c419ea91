import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Territory
import Trust

/// A real CA, agents enrolled and issued through the Trust library, reports assembled with the
/// Agent's `Report` and signed with `ReportSigner`, written into an inbox; a store beside them: a SQLite file in the
/// fixture's folder, or with `CYBERCTL_TEST_STORE=postgresql` a fresh PostgreSQL database made for this fixture
/// (`StoreUnderTest`), which every `store()` call reopens.
final class TerritoryFixture: @unchecked Sendable {
    let folder: TemporaryDirectory
    let authority: CertificateAuthority
    let now: Date
    /// The engine the store is on.
    let engine: StoreUnderTest
    /// Where the store is: what `TerritoryStore(location:)` and `cyberctl … --db` take (a path or a URI).
    let storeLocation: String
    private var agents: [String: ReportSigner] = [:]

    static let sirenA = "212901896"
    static let sirenB = "213502388"

    /// - Parameter engine: the store's engine; tests about SQLite itself pass `.sqlite`.
    init(store engine: StoreUnderTest = .current) throws {
        folder = try TemporaryDirectory(prefix: "cyberctl-territory")
        self.engine = engine
        storeLocation = try engine.newLocation(sqlitePath: folder.url("territory.sqlite"))
        now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        authority = try CertificateAuthority.initialize(directory: folder.url("pki"), name: "RSSI de test", now: now.addingTimeInterval(-40 * 86_400))
    }

    var inbox: String { folder.url("inbox") }
    /// The SQLite file of a `.sqlite` fixture (tests that open it with GRDB or sqlite3).
    var databasePath: String {
        precondition(engine == .sqlite, "databasePath is the SQLite file: this fixture's store is on \(engine)")
        return folder.url("territory.sqlite")
    }

    func store() throws -> TerritoryStore { try TerritoryStore(location: storeLocation) }

    /// Puts the store back as an older cyberctl left it: runs `sql` (statements both engines accept, separated by
    /// semicolons) and forgets that `migrations` were applied (GRDB's `grdb_migrations` on SQLite, `cyberctl_migration`
    /// on PostgreSQL), in one transaction. The next `store()` applies them again.
    func downgrade(_ sql: String, forgetting migrations: [String]) throws {
        try store().write { db in
            try db.execute(sql: sql)
            let (table, column) = db.dialect == .sqlite ? ("grdb_migrations", "identifier") : ("cyberctl_migration", "id")
            for id in migrations { try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [id]) }
        }
    }

    func verifier() throws -> ReportVerifier {
        ReportVerifier(trust: try TrustAnchors.load(caFile: authority.certificatePath, crlFiles: [authority.crlPath]))
    }

    func ingest(_ paths: [String]? = nil, batchSize: Int = 64, reread: Bool = false) throws -> IngestSummary {
        try Ingest(store: try store(), verifier: try verifier(), batchSize: batchSize).run(try Inbox.discover(paths ?? [inbox]), rereadUnchanged: reread)
    }

    func views() throws -> TerritoryViews { TerritoryViews(store: try store(), now: now, language: .en) }

    /// The signer for (siren, host), enrolled and issued 39 days ago, its certificate naming `entityName` (by default
    /// the name the fixture gives the SIREN): the store keeps the certificate's name.
    func signer(siren: String, host: String, entityName: String? = nil) throws -> ReportSigner {
        let name = entityName ?? (siren == Self.sirenA ? "Commune de Plouzané" : "Commune de Lanvéoc")
        let key = "\(siren)-\(host)" + (entityName.map { "-" + Digest.sha256Hex(Array($0.utf8)).prefix(12) } ?? "")
        if let signer = agents[key] { return signer }
        let identity = try AgentIdentity(entityName: name, siren: siren, host: host)
        let enrolment = try Enrolment.enroll(identity: identity, directory: folder.url("agents/\(key)"))
        let issuedAt = now.addingTimeInterval(-39 * 86_400)
        let (certificate, _) = try authority.issue(enrolment.request, days: 400, now: issuedAt)
        let certificatePath = folder.url("agents/\(key)/agent.crt")
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: certificatePath, mode: 0o644)
        let signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: certificatePath, now: issuedAt.addingTimeInterval(60))
        agents[key] = signer
        return signer
    }

    /// Report bytes for (siren, host), generated `daysAgo` days before `now`.
    /// `name` replaces the entity's usual name (a hostile one, for instance).
    func reportBytes(
        siren: String = sirenA, host: String = "srv-mairie", daysAgo: Double, results: [CheckResult], id: String? = nil, name: String? = nil,
        only: [String]? = nil
    ) throws -> [UInt8] {
        let report = Report(
            id: id ?? UUID().uuidString.lowercased(),
            generatedAt: Date(timeIntervalSince1970: (now.timeIntervalSince1970 - daysAgo * 86_400).rounded(.down)),
            agent: .init(version: "0.1.0", profile: "default", profileSHA256: String(repeating: "ab", count: 32), only: only),
            entity: Entity(
                name: name ?? (siren == Self.sirenA ? "Commune de Plouzané" : "Commune de Lanvéoc"), siren: siren, insee: "29212", kind: "commune",
                population: 13000, departement: "29"),
            host: HostFacts(hostname: host, os: .init(id: "debian", version: "12"), kernel: "6.1.0-28-amd64", machineID: nil),
            results: results)
        return try report.jsonBytes()
    }

    /// Writes a signed report into the inbox at `name`; returns its path.
    @discardableResult
    func write(
        _ name: String, siren: String = sirenA, host: String = "srv-mairie", daysAgo: Double, results: [CheckResult], id: String? = nil,
        sign: Bool = true, signedAfter: TimeInterval = 60, entityName: String? = nil, only: [String]? = nil
    ) throws -> String {
        let bytes = try reportBytes(siren: siren, host: host, daysAgo: daysAgo, results: results, id: id, name: entityName, only: only)
        let path = try folder.write("inbox/\(name)", Data(bytes))
        if sign {
            let generated = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - daysAgo * 86_400).rounded(.down))
            let signature = try signer(siren: siren, host: host, entityName: entityName).sign(bytes, signingTime: generated.addingTimeInterval(signedAfter))
            try folder.write("inbox/\(name).p7s", Data(signature))
        }
        return path
    }

    static func result(_ code: String, _ status: Status, _ severity: Severity = .high, target: String = "t", evidence: [String: JSONValue] = [:]) -> CheckResult {
        CheckResult(
            check: code.hasPrefix("cert.") ? "cert.files" : "test.check", target: target, code: code, status: status, severity: severity,
            evidence: evidence, references: ["NIS2-21.2.h"], durationMs: 3)
    }

    /// A mixed set of results over three domains.
    static func mixed(_ seed: Int = 0) -> [CheckResult] {
        [
            result("tls.legacy-protocols", seed % 2 == 0 ? .fail : .pass, .high, target: "mail:993"),
            result("tls.hsts", .warn, .medium, target: "www:443"),
            result("cert.expiry", .pass, .high, target: "/etc/ssl/a.pem"),
            result("cert.key-strength", .fail, .critical, target: "/etc/ssl/b.pem"),
            result("backup.recent", .pass, .high, target: "/srv/backup"),
            result("backup.offsite", .error, .high, target: "/srv/backup"),
        ]
    }

    /// (bytes, mtime, mode) of every file under the inbox.
    func snapshot() throws -> [String: (Data, Date, Int)] {
        var out: [String: (Data, Date, Int)] = [:]
        let enumerator = FileManager.default.enumerator(atPath: inbox)!
        while let relative = enumerator.nextObject() as? String {
            let path = inbox + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            out[relative] = (
                try Data(contentsOf: URL(fileURLWithPath: path)), attributes[.modificationDate] as! Date,
                (attributes[.posixPermissions] as! NSNumber).intValue
            )
        }
        return out
    }
}

extension Trait where Self == ConditionTrait {
    /// For tests about SQLite itself (file modes, WAL, damaged or foreign files, read-only media, `integrity_check`,
    /// the sqlite3 CLI, the v8 fixture store): they run in the SQLite pass and are left out of the PostgreSQL pass
    /// (`CYBERCTL_TEST_STORE=postgresql`), where they would test the same SQLite file again.
    static var sqliteOnly: Self {
        .enabled(if: StoreUnderTest.current == .sqlite, "about SQLite itself: runs in the SQLite pass")
    }
}
