import Foundation
import Model
import Testing
@testable import Territory

/// Rows per second and memory of `forEachRow` on a large PostgreSQL store (issue 20). The rows of the findings view's
/// query are read through the store's `SQLConnection`, as the views read them: the same 300,000 rows collected whole
/// (outside a transaction, as every query was read before the cursor) and through a cursor, then every row through
/// the cursor. Runs only when `CYBERCTL_PG_BENCH_URI` names a store (for example the kept 100,000-report store,
/// `postgresql://bench:…@127.0.0.1:55432/t100k`); read-only.
///
/// Prints, for each read: rows, seconds, rows/s, the time until the first row, and how much the process's peak RSS
/// grew (`VmHWM` after resetting it through `/proc/self/clear_refs`).
@Suite(.serialized) struct PostgresRowsBenchmark {
    static let uri = ProcessInfo.processInfo.environment["CYBERCTL_PG_BENCH_URI"]

    struct Measure: CustomStringConvertible {
        var label: String
        var rows = 0
        var seconds = 0.0
        var firstRow = 0.0
        var peakGrowthKB = 0
        var description: String {
            let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
            return "\(label): \(rows) rows in \(String(format: "%.2f", seconds)) s (\(rate) rows/s), first row after "
                + "\(String(format: "%.3f", firstRow)) s, peak RSS +\(peakGrowthKB / 1024) MB"
        }
    }

    /// `VmRSS` or `VmHWM` of this process, in KB.
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// Resets `VmHWM` to the current RSS (Linux 4.0+).
    static func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

    /// Reads every row of `sql` through `forEachRow`: inside a transaction (a cursor, `cursor: true`), or outside one
    /// (one query whose rows postgres-nio collects first, as every query was read before the cursor).
    static func measure(_ label: String, _ backend: PostgresBackend, sql: String, cursor: Bool, read: (SQLRow) -> Void) throws -> Measure {
        var measure = Measure(label: label)
        let connection = try backend.acquire()
        defer { backend.release(connection) }
        let db = PostgresSQLConnection(connection: connection, logger: backend.logger)
        if cursor {
            try db.execute(sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            db.readsThroughCursors = true
        }
        Self.resetPeak()
        let base = Self.status("VmRSS")
        let start = DispatchTime.now().uptimeNanoseconds
        try db.forEachRow(sql: sql, arguments: []) { row in
            if measure.rows == 0 { measure.firstRow = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            measure.rows += 1
            read(row)
        }
        measure.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        measure.peakGrowthKB = Self.status("VmHWM") - base
        if cursor {
            try db.execute(sql: "COMMIT")
            try db.flush()
        }
        return measure
    }

    @Test(.enabled(if: uri != nil, "CYBERCTL_PG_BENCH_URI names no store"))
    func theFindingsQueryCollectedAndThroughACursor() throws {
        let backend = try PostgresBackend(location: try PostgresLocation(uri: Self.uri ?? "", environment: ProcessInfo.processInfo.environment))
        let latestFindings = try backend.read {
            try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host h JOIN result res ON res.reportKey = h.latestReportKey WHERE res.status IN ('warn', 'fail')")
        } ?? -1
        var checksum = 0
        let findingsSQL = """
            SELECT 1, h.id, h.siren, res.code, res.target, res.severity
            FROM host h JOIN result res ON res.reportKey = h.latestReportKey
            WHERE res.status IN ('warn', 'fail')
            """
        let readFinding = { (row: SQLRow) in
            let siren: String = row[2], code: String = row[3], target: String = row[4], severity: String = row[5]
            checksum &+= (row[1] as Int) &+ siren.utf8.count &+ code.utf8.count &+ target.utf8.count &+ severity.utf8.count
        }
        // The same 300,000 rows both ways, then the findings view's whole query (six columns, all read) through the cursor.
        let sample = findingsSQL + " LIMIT 300000"
        for cursor in [false, true] {
            let measure = try Self.measure("findings query, 300,000 rows, \(cursor ? "cursor" : "collected")", backend, sql: sample, cursor: cursor, read: readFinding)
            print(measure)
            #expect(measure.rows == min(300000, latestFindings))
        }
        let findings = try Self.measure("findings query, every row, cursor", backend, sql: findingsSQL, cursor: true, read: readFinding)
        print(findings)
        #expect(findings.rows == latestFindings)
        #expect(checksum != 0)
    }
}
