import Foundation
import Model
import OpenSSLKit
import Trust

/// The revocation state the territory's reports were last verified under: per trusted CA, the CRL in force (its
/// issuer, file, thisUpdate and nextUpdate) or the lack of one, as the last `consolidate` or `collect` (at its start
/// and at each reload of a changed CA or CRL file) saw it. Kept in the store (`crl_state`, migration `v14-crl-state`)
/// so that `territory alerts` can remind the RSSI durably — not only once on `consolidate`'s stderr — that:
/// - a CRL is past its nextUpdate (`crl-stale`): revocations issued since may be missing from it, so a revoked agent
///   may still be accepted and its reports kept (RFC 5280 §5.1.2.5: a relying party fetches a new CRL after
///   nextUpdate);
/// - a CA had no CRL at all (`crl-missing`): revocation was not checked (`cyberctl verify` warns "no CRL given",
///   `consolidate --crl` and `collect --crl` are optional).
///
/// The state is replaced whole at each recording: it says what the last reader trusted, not a history. Several
/// collectors or consolidations with different `--crl` files on one store: the last one to record wins.
public struct CRLState: Codable, Sendable, Equatable {
    /// The CA's subject (RFC 2253-like display text, as `report.signerIssuer` stores it); for a CRL, its issuer name.
    public var issuer: String
    /// The CRL file read; nil when the CA had no CRL.
    public var path: String?
    /// The CRL's thisUpdate and nextUpdate (`YYYY-MM-DDTHH:MM:SSZ`); nil without a CRL, nextUpdate nil for a CRL
    /// that gives none (never stale then).
    public var thisUpdate: String?
    public var nextUpdate: String?
    /// Who recorded it: `consolidate` or `collect`.
    public var source: String
    /// When (`YYYY-MM-DDTHH:MM:SSZ`).
    public var recordedAt: String

    public init(issuer: String, path: String?, thisUpdate: String?, nextUpdate: String?, source: String, recordedAt: String) {
        self.issuer = issuer
        self.path = path
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.source = source
        self.recordedAt = recordedAt
    }

    /// Whether the CA had a CRL.
    public var hasCRL: Bool { path != nil }

    /// Whether the CRL is past its nextUpdate at `now` (false without a CRL or without a nextUpdate).
    public func isStale(at now: Date) -> Bool {
        guard let nextUpdate, let date = ISO8601.date(from: nextUpdate) else { return false }
        return now > date
    }

    /// The rows `trust` gives: one per CRL (in `trust.revocationLists`' order, with `paths[i]` when `paths` has one
    /// per CRL, else `CRL n° i+1`), then one per CA that none of the CRLs is signed by (no CRL). Issuer names as
    /// `DistinguishedName.displayText` writes them.
    public static func of(_ trust: TrustAnchors, paths: [String], source: String, now: Date) -> [CRLState] {
        let recorded = ISO8601.string(from: now)
        var rows: [CRLState] = []
        for (index, crl) in trust.revocationLists.enumerated() {
            rows.append(CRLState(
                issuer: crl.issuerName.displayText, path: paths.count == trust.revocationLists.count ? paths[index] : "CRL n° \(index + 1)",
                thisUpdate: crl.thisUpdate.map { ISO8601.string(from: $0) }, nextUpdate: crl.nextUpdate.map { ISO8601.string(from: $0) },
                source: source, recordedAt: recorded))
        }
        for ca in trust.certificateAuthorities where !trust.revocationLists.contains(where: { $0.isSigned(by: ca) }) {
            rows.append(CRLState(issuer: ca.subjectName.displayText, path: nil, thisUpdate: nil, nextUpdate: nil, source: source, recordedAt: recorded))
        }
        return rows
    }
}

extension TerritoryStore {
    /// Migration `v14-crl-state`: the revocation state last seen (`CRLState`). Nothing to back-fill: the next
    /// `consolidate` or `collect` records it.
    static func createCRLStateTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        try db.execute(sql: """
            CREATE TABLE crl_state (
                ordinal \(integer) PRIMARY KEY NOT NULL,
                issuer TEXT NOT NULL,
                path TEXT,
                thisUpdate \(integer),
                nextUpdate \(integer),
                source TEXT NOT NULL,
                recordedAt \(integer) NOT NULL
            )
            """)
    }

    /// Replaces the recorded revocation state with `trust`'s (`CRLState.of`), in one write transaction.
    /// - Parameters:
    ///   - paths: the CRL files `trust` was loaded from, in order (`TrustAnchors.load`'s `crlFiles`).
    ///   - source: `consolidate` or `collect`.
    /// - Returns: the rows recorded.
    /// - Throws: the backend's `InputError(.io)` when the store cannot be written (the previous state stays).
    @discardableResult
    public func recordCRLState(_ trust: TrustAnchors, paths: [String], source: String, now: Date = Date()) throws -> [CRLState] {
        let rows = CRLState.of(trust, paths: paths, source: source, now: now)
        func seconds(_ text: String?) -> Int? { text.flatMap { ISO8601.date(from: $0) }.map { Int($0.timeIntervalSince1970.rounded(.down)) } }
        try write { db in
            try db.execute(sql: "DELETE FROM crl_state")
            for (ordinal, row) in rows.enumerated() {
                try db.execute(
                    sql: "INSERT INTO crl_state (ordinal, issuer, path, thisUpdate, nextUpdate, source, recordedAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [ordinal, row.issuer, row.path, seconds(row.thisUpdate), seconds(row.nextUpdate), row.source, seconds(row.recordedAt) ?? 0])
            }
        }
        return rows
    }

    /// The revocation state last recorded, in its order; empty when none was (a store not consolidated since
    /// `v14-crl-state`).
    public func crlStates() throws -> [CRLState] {
        func iso(_ seconds: Int?) -> String? { seconds.map { ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval($0))) } }
        return try read { db in
            try db.fetchRows(sql: "SELECT * FROM crl_state ORDER BY ordinal").map { row in
                CRLState(
                    issuer: row["issuer"], path: row["path"], thisUpdate: iso(row["thisUpdate"]), nextUpdate: iso(row["nextUpdate"]),
                    source: row["source"], recordedAt: iso(row["recordedAt"]) ?? "")
            }
        }
    }

    /// Why `trust` must not be used on this store: one of its CRLs is older (an earlier thisUpdate) than the CRL of the
    /// same issuer last recorded (`crlStates`) — an old CRL copied back (a backup restored, a file replayed: every CRL
    /// the CA ever signed verifies) would accept again agents revoked since. Nil when none is, or nothing was recorded.
    /// The collector applies the same rule to a CRL reloaded while it runs (`CollectorTrust.rollback`).
    /// - Throws: the backend's `InputError(.io)` when the store cannot be read.
    public func olderCRL(_ trust: TrustAnchors, paths: [String]) throws -> InputError? {
        let recorded = try crlStates()
        for (index, crl) in trust.revocationLists.enumerated() {
            let issuer = crl.issuerName.displayText
            guard let new = crl.thisUpdate,
                  let seen = recorded.first(where: { $0.issuer == issuer && $0.thisUpdate != nil }),
                  let old = seen.thisUpdate.flatMap(ISO8601.date(from:)), new.timeIntervalSince1970.rounded(.down) < old.timeIntervalSince1970
            else { continue }
            let newText = PeopleTime.string(from: new), oldText = PeopleTime.string(from: old)
            return InputError(
                .invalidData, file: paths.count == trust.revocationLists.count ? paths[index] : nil,
                fr: "CRL de « \(issuer) » émise le \(newText), plus ancienne que celle déjà vue par cette base (émise le \(oldText), par \(seen.source)) : une CRL ancienne accepterait de nouveau des agents révoqués depuis ; copiez la dernière CRL (cyberctl pki crl)",
                en: "CRL of \"\(issuer)\" issued on \(newText), older than the one this store already saw (issued on \(oldText), by \(seen.source)): an old CRL would accept again agents revoked since; copy the latest CRL (cyberctl pki crl)")
        }
        return nil
    }

    /// Whether the store holds at least one report.
    public func hasReports() throws -> Bool {
        try read { db in try db.fetchOne(Int.self, sql: "SELECT 1 FROM report LIMIT 1") != nil }
    }
}
