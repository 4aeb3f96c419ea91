import Foundation
import Model
import Testing
@testable import Territory

/// Rows per second and memory of `forEachRow` on a large PostgreSQL store (issue 20): every row of a query read
/// through the store's `SQLConnection`, as the views read them. Runs only when `CYBERCTL_PG_BENCH_URI` names a store
/// (for example the kept 100,000-report store, `postgresql://bench:…@127.0.0.1:55432/t100k`); read-only.
///
/// Prints, for each query: rows, seconds, rows/s, the rows seen before the first row (always 0: the time to the
/// first row is printed instead) and the process's peak RSS growth during the query (`VmHWM` after resetting it
/// through `/proc/self/clear_refs`).
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

    static func measure(_ label: String, _ backend: PostgresBackend, sql: String, read: @escaping (SQLRow) -> Void) throws -> Measure {
        var measure = Measure(label: label)
        Self.resetPeak()
        let base = Self.status("VmRSS")
        let start = DispatchTime.now().uptimeNanoseconds
        try backend.read { db in
            try db.forEachRow(sql: sql, arguments: []) { row in
                if measure.rows == 0 { measure.firstRow = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
                measure.rows += 1
                read(row)
            }
        }
        measure.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        measure.peakGrowthKB = Self.status("VmHWM") - base
        return measure
    }

    @Test(.enabled(if: uri != nil, "CYBERCTL_PG_BENCH_URI names no store"))
    func everyResultRowThroughForEachRow() throws {
        let backend = try PostgresBackend(location: try PostgresLocation(uri: Self.uri ?? "", environment: ProcessInfo.processInfo.environment))
        let expected = try backend.read { try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result") } ?? -1
        let latestFindings = try backend.read {
            try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host h JOIN result res ON res.reportKey = h.latestReportKey WHERE res.status IN ('warn', 'fail')")
        } ?? -1
        var checksum = 0
        // The findings view's query on a store without history: six columns, every one read.
        let findings = try Self.measure("findings query (6 columns, all read)", backend, sql: """
            SELECT 1, h.id, h.siren, res.code, res.target, res.severity
            FROM host h JOIN result res ON res.reportKey = h.latestReportKey
            WHERE res.status IN ('warn', 'fail')
            """) { row in
            let siren: String = row[2], code: String = row[3], target: String = row[4], severity: String = row[5]
            checksum &+= (row[1] as Int) &+ siren.utf8.count &+ code.utf8.count &+ target.utf8.count &+ severity.utf8.count
        }
        print(findings)
        #expect(findings.rows == latestFindings)
        // Every result, every column selected, two read.
        let all = try Self.measure("SELECT * FROM result (13 columns, 2 read)", backend, sql: "SELECT * FROM result") { row in
            checksum &+= (row[0] as Int) &+ (row[6] as String).utf8.count
        }
        print(all)
        #expect(all.rows == expected)
        #expect(checksum != 0)
    }
}
