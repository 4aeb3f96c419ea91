import Agent
import Checks
import Foundation
import Model

/// The identity of the entities in the store and their score history, for the élus summary
/// (issue 9). Additive: reads only what ingest already stores.
extension TerritoryViews {
    /// Every entity's identity as its newest report states it (`entity` table), by SIREN.
    public func identities() throws -> [String: Entity] {
        try store.read { db in
            var out: [String: Entity] = [:]
            try db.forEachRow(sql: "SELECT siren, name, insee, kind, population, departement, region FROM entity", arguments: []) { row in
                let siren: String = row[0]
                out[siren] = Entity(
                    name: row[1], siren: siren, insee: row[2], kind: row[3], population: row[4], departement: row[5], region: row[6])
            }
            return out
        }
    }

    /// The entity's score and level after each of its reports (each host's latest report up to then).
    public func entityTrend(siren: String) throws -> [TrendPoint] {
        try store.read { db in try TrendBuilder.points(db, scope: .entity(siren), language: language) }
    }

    /// The territory's trend (as `trend()`) and every member's own (as `entityTrend`), in one pass.
    public func trends() throws -> (territory: TrendView, members: [String: [TrendPoint]]) {
        try store.read { db in
            let built = try TrendBuilder.build(db, scope: .territory(try TerritoryStore.roster(db)), language: language, members: true)
            return (TrendView(now: ISO8601.string(from: now), points: built.points), built.members)
        }
    }
}
