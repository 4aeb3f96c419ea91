import Checks
import Foundation
import FoundationXML
@testable import Rendering
import TestSupport
import Testing
@testable import Territory

/// The exports opened by a real spreadsheet: LibreOffice Calc headless (package libreoffice-calc-nogui)
/// imports each CSV as a French user's Calc would (`;`, UTF-8, locale fr-FR 1036) and saves it as flat
/// OpenDocument (.fods), whose cells are read back with their types (`office:value-type`).
@Suite("Spreadsheet round trip (LibreOffice headless)", .serialized)
struct SpreadsheetRoundTripTests {
    typealias F = TerritoryFixture

    /// Import options of LibreOffice's CSV filter: separator 59 (`;`), text delimiter 34 (`"`), character set 76
    /// (UTF-8), from line 1, no column formats, language 1036 (fr-FR); "detect special numbers" (dates,
    /// percentages, times) at its import default, on.
    static let frenchImport = "CSV:59,34,76,1,,1036"
    /// The same with "quoted field as text" off and "detect special numbers" off: what a Calc set that way reads.
    static let frenchImportPlain = "CSV:59,34,76,1,,1036,false,false"
    /// RFC 4180 as a program reads it: `,` (44), `"`, UTF-8, en-US (1033), quoted fields as text.
    static let rfcImport = "CSV:44,34,76,1,,1033,true"

    @Test("excel-fr opens in French Calc with numbers as numbers, dates as dates, identifiers, fractions and formula-like names as text")
    func excelFrench() throws {
        let fixture = try F()
        let hostile = "=HYPERLINK(\"http://evil.example\";\"Cliquez\")"
        let notAfter = fixture.now.addingTimeInterval(10 * 86_400)
        let certificate = F.result(
            "cert.expiry", .warn, .medium, target: "12/40",
            evidence: ["notAfter": .time(notAfter), "sha256": .string("00ab" + String(repeating: "12", count: 30)), "subject": "CN=mairie"])
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: F.mixed() + [certificate], entityName: hostile)
        try fixture.write("b.json", siren: F.sirenB, host: "srv-b", daysAgo: 2, results: F.mixed(1), entityName: "3/4")
        _ = try fixture.ingest()
        let expected = try fixture.views().status()

        let folder = fixture.folder
        func export(_ name: String, _ arguments: [String]) throws -> String {
            let output = try BuiltBinary.run(
                ["territory"] + arguments + ["--db", fixture.storeLocation, "--format", "csv", "--csv-dialect", "excel-fr"])
            #expect(output.exitCode == 0, "\(arguments): \(output.stderr)")
            #expect(output.stdoutData.starts(with: [0xEF, 0xBB, 0xBF]), "UTF-8 BOM first")
            return try folder.write("csv/\(name).csv", output.stdoutData)
        }
        let files = [
            try export("status", ["status"]), try export("certificates", ["certificates"]), try export("findings", ["findings"]),
            try export("filtered", ["status", "--entity", "213 502 388", "--domain", "tls"]),
            try folder.write("csv/synthetic.csv", CSVTable(
                headers: ["SIREN", "Booléen", "Virgule", "Pourcentage", "Mois", "Moins", "Entier", "Décimal", "Jour"],
                rows: [[.text("001290006"), .text("VRAI"), .text("1,5"), .text("95 %"), .text("mars 3"), .text("-12"), .integer(-3),
                        .decimal(-2.5, places: 1), .date(CSVWriterTests.lateEvening)]]).csv(.excelFR)),
        ]
        let sheets = try LibreOffice.open(files, filter: Self.frenchImport, folder: folder.url("calc"))

        // territory status: one row per entity.
        let status = try #require(sheets["status"])
        let a = try status.row(where: "SIREN", is: F.sirenA)
        let b = try status.row(where: "SIREN", is: F.sirenB)
        #expect(a["SIREN"]?.type == "string", "a SIREN is an identifier, kept as text: \(String(describing: a["SIREN"]))")
        let name = try #require(a["Entité"])
        #expect(name.type == "string" && name.text == "'" + hostile && !(name.formula ?? "").contains("HYPERLINK"), "\(name)")
        #expect(b["Entité"]?.type == "string" && b["Entité"]?.text == "3/4", "a fraction stays text: \(String(describing: b["Entité"]))")
        #expect(a["Hôtes"]?.type == "float" && a["Hôtes"]?.value == "1")
        #expect(a["Dernier rapport"]?.type == "date", "\(String(describing: a["Dernier rapport"]))")
        #expect(a["Dernier rapport"]?.date == LibreOffice.parisDay(fixture.now.addingTimeInterval(-86_400)))
        #expect(a["Âge (jours)"]?.type == "float" && a["Âge (jours)"]?.value == "1")
        let entityA = try #require(expected.entities.first { $0.siren == F.sirenA })
        #expect(a["Score"]?.type == "float" && a["Score"]?.value == entityA.score.score.map(String.init))
        let coverage = try #require(a["Couverture (%)"])
        #expect(coverage.type == "float" && Double(coverage.value ?? "") == (entityA.score.coverage * 1000).rounded() / 10, "\(coverage)")
        #expect(a["Certificats échecs"]?.type == "float" && a["Certificats échecs"]?.value == String(entityA.failing["certificates"] ?? 0))
        #expect(a["Sauvegardes score"]?.type == "string" || a["Sauvegardes score"]?.type == "float")

        // territory certificates: the end of validity is a date, the days left a number, the target "12/40" text.
        let certificates = try #require(sheets["certificates"])
        let row = try certificates.row(where: "Cible", is: "12/40")
        #expect(row["Cible"]?.type == "string")
        #expect(row["Fin de validité"]?.type == "date" && row["Fin de validité"]?.date == LibreOffice.parisDay(notAfter), "\(String(describing: row["Fin de validité"]))")
        #expect(row["Jours restants"]?.type == "float" && ["9", "10"].contains(row["Jours restants"]?.value ?? ""))
        #expect(row["SHA-256"]?.type == "string" && row["SHA-256"]?.text.hasPrefix("00ab") == true)

        // territory findings: counts are numbers, the gain a decimal number.
        let findings = try #require(sheets["findings"])
        let finding = try findings.row(where: "Règle", is: "cert.key-strength")
        #expect(finding["Entités"]?.type == "float" && finding["Entités"]?.value == "2")
        #expect(finding["Gain si corrigé (points)"]?.type == "float", "\(String(describing: finding["Gain si corrigé (points)"]))")
        #expect(finding["Qui"]?.text.contains("3/4 (\(F.sirenB)) : srv-b") == true)

        // A filtered export says so on its first line, and has the filtered domain's columns only.
        let filtered = try #require(sheets["filtered"])
        #expect(filtered.rows.first?.first?.text == "Filtré : entité \(F.sirenB) ; domaine tls (vue partielle du territoire)")
        #expect(filtered.headers.contains("TLS échecs") && !filtered.headers.contains("Sauvegardes échecs"), "\(filtered.headers)")
        #expect(filtered.records.count == 1)
        #expect(try filtered.row(where: "SIREN", is: F.sirenB)["Entité"]?.text == "3/4")

        // Text a spreadsheet would convert stays the text written; numbers and dates keep their types.
        let synthetic = try #require(sheets["synthetic"]).records[0]
        #expect(synthetic.map(\.type) == ["string", "string", "string", "string", "string", "string", "float", "float", "date"], "\(synthetic)")
        #expect(synthetic.map(\.text).prefix(6) == ["001290006", "VRAI", "1,5", "95 %", "mars 3", "'-12"])
        #expect(synthetic[6].value == "-3" && synthetic[7].value == "-2.5" && synthetic[8].date == "2026-01-02")

        // With "detect special numbers" off, dates written AAAA-MM-JJ are still dates, numbers still numbers.
        let plain = try #require(try LibreOffice.open([files[0]], filter: Self.frenchImportPlain, folder: folder.url("calc-plain"))["status"])
        let plainA = try plain.row(where: "SIREN", is: F.sirenA)
        #expect(plainA["Dernier rapport"]?.type == "date" && plainA["Hôtes"]?.type == "float" && plainA["Couverture (%)"]?.type == "float")
    }

    @Test("rfc4180 reads back exact: quoted commas, semicolons, quotes and line breaks, formula-like text unaltered")
    func rfc4180() throws {
        let fixture = try F()
        let hostile = "=HYPERLINK(\"http://evil.example\";\"Cliquez\")"
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: F.mixed(), entityName: hostile)
        _ = try fixture.ingest()
        let output = try BuiltBinary.run(["territory", "status", "--db", fixture.storeLocation, "--format", "csv"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(!output.stdoutData.starts(with: [0xEF, 0xBB, 0xBF]), "no BOM for programs")
        let files = [
            try fixture.folder.write("csv/status.csv", output.stdoutData),
            try fixture.folder.write("csv/quoting.csv", CSVTable(
                headers: ["a", "b", "c", "d"], rows: [[.text("x,y"), .text("say \"hi\""), .text("line 1\nline 2"), .text("a;b")]]).csv(.rfc4180)),
        ]
        let sheets = try LibreOffice.open(files, filter: Self.rfcImport, folder: fixture.folder.url("calc"))
        let status = try #require(sheets["status"])
        #expect(status.headers.first == "Entité")
        let name = status.records.first?.first
        #expect(name?.text == hostile && name?.type == "string", "\(String(describing: name))")
        #expect(try #require(sheets["quoting"]).records[0].map(\.text) == ["x,y", "say \"hi\"", "line 1\nline 2", "a;b"])
    }
}

/// A cell as LibreOffice saved it.
struct SpreadsheetCell: CustomStringConvertible {
    /// `office:value-type`: float, date, string, percentage, boolean… (nil for an empty cell).
    var type: String?
    /// `office:value` (numbers).
    var value: String?
    /// `office:date-value`.
    var date: String?
    /// The text shown (`text:p` elements, joined with line feeds).
    var text: String
    /// `table:formula`, when the cell holds one.
    var formula: String?

    var description: String { "\(type ?? "empty") value=\(value ?? date ?? "-") text=\(text) formula=\(formula ?? "-")" }
}

/// One sheet: rows of cells. `headers` is the first row that is not the filter's note.
struct Sheet {
    var rows: [[SpreadsheetCell]]

    var headerIndex: Int { rows.first?.count == 1 && rows.count > 1 && rows[1].count > 1 ? 1 : 0 }
    var headers: [String] { rows.isEmpty ? [] : rows[headerIndex].map(\.text) }
    var records: [[SpreadsheetCell]] { Array(rows.dropFirst(headerIndex + 1)) }

    /// The record whose `column` reads `text`, by header name.
    func row(where column: String, is text: String) throws -> [String: SpreadsheetCell] {
        let index = try #require(headers.firstIndex(of: column), "no column \(column) in \(headers)")
        let record = try #require(records.first { $0.count > index && $0[index].text == text }, "no row with \(column) = \(text)")
        return Dictionary(zip(headers, record), uniquingKeysWith: { a, _ in a })
    }
}

/// LibreOffice Calc, headless, in a profile and HOME of its own.
enum LibreOffice {
    /// Converts each CSV of `paths` to flat ODS with the import `filter`, in `folder`; the sheets by file name
    /// (without extension).
    static func open(_ paths: [String], filter: String, folder: String) throws -> [String: Sheet] {
        let soffice = try Command.which("soffice")
        try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder + "/home"
        let run = try Command.run(
            soffice,
            ["-env:UserInstallation=file://\(folder)/profile", "--headless", "--norestore", "--infilter=\(filter)", "--convert-to", "fods",
             "--outdir", folder + "/out"] + paths,
            timeout: 300, environment: environment)
        #expect(!run.timedOut, "soffice did not finish in 300 s")
        #expect(run.output.exitCode == 0, "soffice: \(run.output.stderr)")
        var sheets: [String: Sheet] = [:]
        for path in paths {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let converted = folder + "/out/\(name).fods"
            let data = try #require(FileManager.default.contents(atPath: converted), "soffice wrote no \(converted): \(run.output.stdout) \(run.output.stderr)")
            sheets[name] = try read(data)
        }
        return sheets
    }

    /// The first table of a flat ODS document, repeated cells expanded, trailing empty cells dropped.
    static func read(_ data: Data) throws -> Sheet {
        let document = try XMLDocument(data: data)
        let table = try #require(try document.nodes(forXPath: "//*[local-name()='table']").first as? XMLElement)
        var rows: [[SpreadsheetCell]] = []
        for case let row as XMLElement in table.children ?? [] where row.localName == "table-row" {
            var cells: [SpreadsheetCell] = []
            for case let cell as XMLElement in row.children ?? [] where cell.localName == "table-cell" || cell.localName == "covered-table-cell" {
                var attributes: [String: String] = [:]
                for attribute in cell.attributes ?? [] { attributes[attribute.localName ?? attribute.name ?? ""] = attribute.stringValue }
                let text = (cell.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.localName == "p" }.map { $0.stringValue ?? "" }
                    .joined(separator: "\n")
                let parsed = SpreadsheetCell(
                    type: attributes["value-type"], value: attributes["value"], date: attributes["date-value"], text: text,
                    formula: attributes["formula"])
                let repeated = min(Int(attributes["number-columns-repeated"] ?? "1") ?? 1, 64)
                cells += Array(repeating: parsed, count: repeated)
            }
            while let last = cells.last, last.type == nil, last.text.isEmpty { cells.removeLast() }
            if !cells.isEmpty { rows.append(cells) }
        }
        return Sheet(rows: rows)
    }

    /// `YYYY-MM-DD`, the day of `date` in Europe/Paris (what an excel-fr date cell holds).
    static func parisDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}
