import Checks
import Foundation
@testable import Rendering
import Testing
@testable import Territory

/// The CSV writer's two dialects, byte for byte (the spreadsheet round trip is `SpreadsheetRoundTripTests`).
@Suite("CSV writer")
struct CSVWriterTests {
    /// 2026-01-01T23:30:00Z: already 2 January in Paris (UTC+1 in winter).
    static let lateEvening = Date(timeIntervalSince1970: 1_767_310_200)

    @Test("RFC 4180: `,`, CRLF after every record, quoting of `,` `;` `\"` CR LF only, values exact, no BOM")
    func rfc4180() {
        let table = CSVTable(
            headers: ["a", "b", "c"],
            rows: [
                [.text("x,y"), .text("say \"hi\""), .text("line 1\nline 2")],
                [.text("a;b"), .text("=HYPERLINK(\"http://evil\")"), .text("-cmd")],
                [.integer(-3), .decimal(95.45, places: 1), .date(Self.lateEvening)],
                [.text("212900195"), .empty, .text("3/4")],
                [.text("short")],
            ])
        let expected = "a,b,c\r\n"
            + "\"x,y\",\"say \"\"hi\"\"\",\"line 1\nline 2\"\r\n"
            + "\"a;b\",\"=HYPERLINK(\"\"http://evil\"\")\",-cmd\r\n"
            + "-3,95.5,2026-01-01T23:30:00Z\r\n"
            + "212900195,,3/4\r\n"
            + "short,,\r\n"
        #expect(table.csv(.rfc4180) == expected)
    }

    @Test("excel-fr: BOM, `;`, CRLF, decimal comma, the Paris day, neutralised text")
    func excelFrench() {
        let table = CSVTable(
            headers: ["Entité", "SIREN", "Hôtes", "Couverture (%)", "Fin"],
            rows: [
                [.text("Commune de Plouzané"), .text("001290006"), .integer(2), .decimal(95.45, places: 1), .date(Self.lateEvening)],
                [.text("=HYPERLINK(\"http://evil\";\"clic\")"), .text("3/4"), .integer(-3), .decimal(-0.25, places: 2), .empty],
            ])
        let csv = table.csv(.excelFR)
        #expect(csv.hasPrefix("\u{FEFF}Entité;SIREN;"))
        #expect(csv == "\u{FEFF}Entité;SIREN;Hôtes;Couverture (%);Fin\r\n"
            + "Commune de Plouzané;\"=\"\"001290006\"\"\";2;95,5;2026-01-02\r\n"
            + "\"'=HYPERLINK(\"\"http://evil\"\";\"\"clic\"\")\";\"=\"\"3/4\"\"\";-3;-0,25;\r\n")
    }

    @Test("excel-fr text: formula starts get a quote, anything a spreadsheet would convert becomes =\"…\", the rest stays")
    func excelText() {
        let cases: [(String, String)] = [
            ("=1+2", "'=1+2"), ("+33 1 23", "'+33 1 23"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("  =1", "'  =1"),
            ("\tx", "'\tx"), ("212900195", "=\"212900195\""), ("001290006", "=\"001290006\""), ("12/40", "=\"12/40\""),
            ("mars 3", "=\"mars 3\""), ("1,5", "=\"1,5\""), ("95 %", "=\"95 %\""), ("VRAI", "=\"VRAI\""), ("faux", "=\"faux\""),
            ("srv \"2\"", "=\"srv \"\"2\"\"\""), ("Commune de Lanvéoc", "Commune de Lanvéoc"), ("janvier", "janvier"), ("", ""),
        ]
        for (value, written) in cases {
            #expect(CSVCellWriter.excelText(value) == written, "\(value)")
        }
        // Too long for Excel's formula strings, or on several lines: never read as a number or a date, left as is.
        let long = String(repeating: "mot 1 ", count: 50)
        #expect(CSVCellWriter.excelText(long) == long)
        #expect(CSVCellWriter.excelText("ligne 1\nligne 2") == "ligne 1\nligne 2")
    }

    @Test("A filter's note is the first record, alone, before the header; an empty filtered table still says it")
    func note() {
        let filter = ViewFilter(entities: ["212900195"], domain: .tls)
        let table = CSVTable(headers: ["a", "b"], rows: [], note: filter.line(.fr))
        #expect(table.csv(.rfc4180) == "\"Filtré : entité 212900195 ; domaine tls (vue partielle du territoire)\"\r\na,b\r\n")
        #expect(table.csv(.excelFR) == "\u{FEFF}\"=\"\"Filtré : entité 212900195 ; domaine tls (vue partielle du territoire)\"\"\"\r\na;b\r\n")
        #expect(ViewFilter().line(.fr) == nil)
        #expect(ViewFilter(entities: ["213502388", "212900195", "213502388"]).entities == ["212900195", "213502388"])
    }

    @Test("Exports keep every name: no « et N autres » where the terminal table shortens")
    func fullLists() throws {
        let affected = (0..<7).map { FindingsView.Affected(siren: String(format: "2129%05d", $0), name: "Commune \($0)", hosts: ["srv-\($0)"]) }
        let view = FindingsView(
            now: "2026-11-29T08:00:00Z",
            findings: [FindingsView.Finding(
                code: "tls.hsts", title: "HSTS", domain: "tls", severity: .medium, entities: 7, hosts: 7, results: 7, rank: 28, new: 7,
                persistent: 0, resolved: 0, gain: 1.25, affected: affected, resolvedBy: [])],
            coverage: ViewCoverage(members: 7, reporting: 7, neverReported: 0, silent: 0, notEvaluated: 0, withErrors: 0))
        let human = ViewTables.findings(view, .fr)[0].rows[0].joined(separator: " ")
        #expect(human.contains("et 4 autres"), "the terminal table shortens: \(human)")
        let csv = ExportTables.findings(view, .fr).csv(.rfc4180)
        #expect(!csv.contains("autres"))
        for entity in affected { #expect(csv.contains("\(entity.name!) (\(entity.siren)) : \(entity.hosts[0])")) }
        #expect(csv.contains(",1.25,"))
    }
}
