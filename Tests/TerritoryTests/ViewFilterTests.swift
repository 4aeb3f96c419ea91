import Agent
import Checks
import Foundation
@testable import Rendering
import Model
import TestSupport
import Testing
@testable import Territory

/// `--entity SIREN` and `--domain D`: applied in the views, the same in every format, always said.
@Suite("View filters")
struct ViewFilterTests {
    typealias F = TerritoryFixture

    /// A SIREN with a valid Luhn key that no report and no roster names.
    static let stranger = "732829320"

    @Test("Views narrow rows to the entities and the domain asked, and carry the filter")
    func views() throws {
        let fixture = try AlertsTests.everything()
        try fixture.write("a2.json", host: "srv-2", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        let views = try fixture.views()
        let onlyB = ViewFilter(entities: [F.sirenB])

        // status: the rows of the entities asked; the territory's judgement stays the whole territory's.
        let whole = try views.status(fixes: 50)
        #expect(whole.filter == nil)
        let b = try views.status(fixes: 50, filter: onlyB)
        #expect(b.entities.map(\.siren) == [F.sirenB] && b.neverReported.isEmpty)
        #expect(b.filter == onlyB)
        #expect(b.territory.members == whole.territory.members && b.territory.score == whole.territory.score)
        let silent = try views.status(filter: ViewFilter(entities: [AlertsTests.sirenC]))
        #expect(silent.entities.isEmpty && silent.neverReported.map(\.siren) == [AlertsTests.sirenC], "a roster member without reports is known")
        let tls = try views.status(fixes: 50, filter: ViewFilter(domain: .tls))
        #expect(tls.entities.count == whole.entities.count)
        #expect(tls.entities.allSatisfy { Set($0.failing.keys).union($0.warnings.keys).isSubset(of: ["tls"]) })
        #expect(tls.territory.domains.map(\.domain) == ["tls"])
        #expect(!tls.fixes.isEmpty && tls.fixes.allSatisfy { $0.domain == "tls" })
        #expect(whole.fixes.contains { $0.domain != "tls" })

        // findings: counts, affected and resolutions of the entities asked.
        let findingsA = try views.findings(filter: ViewFilter(entities: [F.sirenA]))
        #expect(!findingsA.findings.isEmpty && findingsA.findings.allSatisfy { $0.affected.allSatisfy { $0.siren == F.sirenA } })
        let findingsB = try views.findings(filter: onlyB)
        #expect(findingsB.findings.allSatisfy { $0.affected.allSatisfy { $0.siren == F.sirenB } && $0.resolvedBy.allSatisfy { $0.siren == F.sirenB } })
        let certificateFindings = try views.findings(filter: ViewFilter(domain: .certificates))
        #expect(!certificateFindings.findings.isEmpty && certificateFindings.findings.allSatisfy { $0.code.hasPrefix("cert.") })

        // certificates: `tls` is what endpoints serve, `certificates` the files (and the files not read).
        let served = try views.certificates(expiringWithinDays: 60, filter: ViewFilter(domain: .tls))
        #expect(!served.certificates.isEmpty && served.certificates.allSatisfy { $0.kind == "served" } && served.unverified.isEmpty)
        let files = try views.certificates(expiringWithinDays: 60, filter: ViewFilter(domain: .certificates))
        #expect(!files.certificates.isEmpty && files.certificates.allSatisfy { $0.kind == "file" } && !files.unverified.isEmpty)
        #expect(try views.certificates(expiringWithinDays: 60, filter: onlyB).certificates.isEmpty)

        // agents, alerts, trend: the entities asked.
        #expect(try views.agentCertificates(expiringWithinDays: 30, filter: onlyB).agents.isEmpty)
        #expect(try !views.agentCertificates(expiringWithinDays: 30, filter: ViewFilter(entities: [F.sirenA])).agents.isEmpty)
        let alerts = try views.alerts(withinDays: 30, filter: onlyB).view
        #expect(!alerts.alerts.isEmpty && alerts.alerts.allSatisfy { $0.siren == F.sirenB } && alerts.filter == onlyB)
        let trend = try views.trend(filter: onlyB)
        #expect(trend.points.map(\.siren) == [F.sirenB] && trend.filter == onlyB)
        #expect(try views.trend().filter == nil)

        // host and entity: the host among the entities asked; the results of the domain asked.
        #expect(throws: InputError.self) { try views.host("srv-2", filter: onlyB) }
        let host = try views.host("srv-2", filter: ViewFilter(entities: [F.sirenA], domain: .backups))
        #expect(host.count == 1 && !host[0].results.isEmpty && host[0].results.allSatisfy { $0.code.hasPrefix("backup.") })
        let entity = try views.entity(F.sirenA, filter: ViewFilter(domain: .tls))
        #expect(!entity.results.isEmpty && entity.results.allSatisfy { $0.code.hasPrefix("tls.") } && entity.fixes.allSatisfy { $0.code.hasPrefix("tls.") })

        // An unknown SIREN is an error naming it, never an empty view.
        do {
            _ = try views.status(filter: ViewFilter(entities: [F.sirenA, Self.stranger]))
            Issue.record("an unknown SIREN gave a view")
        } catch let error as InputError {
            #expect(error.kind == .missing && error.message.contains(Self.stranger) && !error.message.contains(F.sirenA), "\(error)")
        }
        #expect(throws: InputError.self) { try views.findings(filter: ViewFilter(entities: [Self.stranger])) }
        #expect(throws: InputError.self) { try views.alerts(withinDays: 30, filter: ViewFilter(entities: [Self.stranger])) }

        // The same filter in every format: the table and export narrowed, the filter said.
        let tables = ViewTables.status(tls, .fr)
        #expect(tables[0].headers.contains("TLS éch./av.") && !tables[0].headers.contains("Sauvegardes éch./av."))
        let json = try ViewJSON.encode(b)
        let wholeJSON = try ViewJSON.encode(whole)
        #expect(json.contains("\"filter\"") && !wholeJSON.contains("\"filter\""))
        #expect(ExportTables.status(b, .fr).csv(.rfc4180).hasPrefix("Filtré : entité \(F.sirenB) (vue partielle du territoire)\r\n"))
    }

    @Test("The command line: SIREN with spaces, 66 naming an unknown SIREN, 64 for a bad domain or a filter a view cannot take")
    func commandLine() throws {
        let fixture = try AlertsTests.everything()
        let db = fixture.storeLocation
        func run(_ arguments: [String]) throws -> Command.Output { try BuiltBinary.run(["territory"] + arguments + ["--db", db]) }

        let spaced = try run(["status", "--entity", "213 502 388", "--format", "json"])
        #expect(spaced.exitCode == 0, "\(spaced.stderr)")
        let view = try JSONDecoder().decode(StatusView.self, from: spaced.stdoutData)
        #expect(view.filter?.entities == [F.sirenB] && view.entities.map(\.siren) == [F.sirenB])
        let table = try run(["findings", "--entity", F.sirenB, "--domain", "tls"])
        #expect(table.exitCode == 0 && table.stdout.hasPrefix("Filtré : entité \(F.sirenB) ; domaine tls"), "\(table.stdout)")

        let unknown = try run(["certificates", "--entity", Self.stranger])
        #expect(unknown.exitCode == 66 && unknown.stderr.contains(Self.stranger), "\(unknown.stderr)")
        #expect(try run(["status", "--entity", "123456789"]).exitCode == 64)
        let domain = try run(["findings", "--domain", "dns"])
        #expect(domain.exitCode == 64 && domain.stderr.contains("tls, certificates, patches, backups, organisation, exposition"), "\(domain.stderr)")
        #expect(try run(["agents", "--domain", "tls"]).exitCode == 64)
        #expect(try run(["trend", "--domain", "tls"]).exitCode == 64)
        #expect(try run(["rejected", "--entity", F.sirenA]).exitCode == 64)
        #expect(try run(["entity", F.sirenA, "--entity", F.sirenB]).exitCode == 64)
        #expect(try run(["status", "--csv-dialect", "excel-fr"]).exitCode == 64)

        // Every view with a CSV takes the dialect and its filters.
        let commands: [[String]] = [
            ["status", "--entity", F.sirenA, "--domain", "certificates"], ["findings", "--entity", F.sirenA], ["certificates", "--domain", "tls"],
            ["agents", "--entity", F.sirenA], ["alerts", "--entity", F.sirenB], ["host", "srv-mairie", "--entity", F.sirenA, "--domain", "certificates"],
            ["entity", F.sirenA, "--domain", "certificates"], ["trend", "--entity", F.sirenA], ["rejected"], ["roster", "show", "--entity", F.sirenB],
        ]
        for command in commands {
            for dialect in ["rfc4180", "excel-fr"] {
                let output = try run(command + ["--format", "csv", "--csv-dialect", dialect])
                #expect(output.exitCode == 0 || (command[0] == "alerts" && output.exitCode == 1), "\(command) \(dialect): \(output.stderr)")
                #expect(output.stdout.hasSuffix("\r\n"), "\(command) \(dialect)")
                if command.contains("--entity") || command.contains("--domain") {
                    let first = output.stdout.split(separator: "\r\n").first ?? ""
                    #expect(first.contains("Filtré : ") && !first.contains(","), "\(command) \(dialect): the first record says it is filtered: \(first)")
                }
            }
        }
        let roster = try run(["roster", "show", "--entity", F.sirenB, "--format", "json"])
        #expect(roster.exitCode == 0 && roster.stdout.contains("\"filter\"") && !roster.stdout.contains(F.sirenA), "\(roster.stdout)")
    }
}
