import Foundation
import Summary
import Testing
import TestSupport

/// The page printed by headless Chromium through the built binary: one A4 sheet for an entity, a
/// screenshot through pdftoppm; the clear message when Chromium is missing. Chromium and
/// poppler-utils are installed by .ci/run.
@Suite("Summary printing", .serialized)
struct SummaryPrintTests {
    typealias F = SummaryFixture

    static func pages(_ pdf: String) throws -> Int {
        let info = try Command.run(try Command.which("pdfinfo"), [pdf])
        let line = try #require(info.stdout.split(separator: "\n").first { $0.hasPrefix("Pages:") })
        return try #require(Int(line.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test("Entity PDF: one A4 page; PNG screenshot rendered; territory PDF adds the members' page")
    func pdf() throws {
        let fixture = try F.territory()
        let pdf = fixture.folder.url("plouzane.pdf")
        let run = try BuiltBinary.run(["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "pdf", "--out", pdf])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(try Self.pages(pdf) == 1)
        let info = try Command.run(try Command.which("pdfinfo"), [pdf]).stdout
        #expect(info.contains("(A4)"), "\(info)")
        // The text of the PDF is the page's text.
        let text = try Command.run(try Command.which("pdftotext"), [pdf, "-"]).stdout.replacingOccurrences(of: "\u{00A0}", with: " ")
        #expect(text.contains("Commune de Plouzané"))
        #expect(text.contains("0 800 200 008"))
        #expect(Jargon.violations(in: text).isEmpty, "\(Jargon.violations(in: text))")
        // Screenshot.
        let prefix = fixture.folder.url("plouzane")
        let png = try Command.run(try Command.which("pdftoppm"), ["-png", "-r", "50", "-singlefile", pdf, prefix])
        #expect(png.exitCode == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: prefix + ".png"))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        // The longest entity page still fits one sheet.
        try fixture.write(F.longest, host: "srv-agglo", daysAgo: 30, results: F.longestResults)
        try fixture.write(F.longest, host: "srv-agglo", daysAgo: 12, results: F.longestResults)
        try fixture.ingest()
        let longest = fixture.folder.url("longest.pdf")
        let long = try BuiltBinary.run(["summary", "--entity", F.longest.siren!, "--db", fixture.storeLocation, "--format", "pdf", "--out", longest])
        #expect(long.exitCode == 0, "\(long.stderr)")
        #expect(try Self.pages(longest) == 1)
        let longText = try Command.run(try Command.which("pdftotext"), [longest, "-"]).stdout
        #expect(longText.contains("À préciser") || longText.contains("à préciser"))
        #expect(longText.contains("Le dernier contrôle date du"))
        #expect(longText.contains("n'ont pas pu être menés"))
        let longPNG = try Command.run(try Command.which("pdftoppm"), ["-png", "-r", "50", "-singlefile", longest, fixture.folder.url("longest")])
        #expect(longPNG.exitCode == 0)

        let territoryPDF = fixture.folder.url("territory.pdf")
        let territory = try BuiltBinary.run(["summary", "--territory", "--db", fixture.storeLocation, "--format", "pdf", "--out", territoryPDF])
        #expect(territory.exitCode == 0, "\(territory.stderr)")
        #expect(try Self.pages(territoryPDF) == 2, "the page, then the member communes")
        let territoryPNG = try Command.run(try Command.which("pdftoppm"), ["-png", "-r", "50", territoryPDF, fixture.folder.url("territory")])
        #expect(territoryPNG.exitCode == 0)
        // Keep what was printed for a person to look at (CI artefacts): CYBERCTL_SUMMARY_ARTIFACTS=DIR.
        if let keep = ProcessInfo.processInfo.environment["CYBERCTL_SUMMARY_ARTIFACTS"] {
            try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path) where name.hasSuffix(".pdf") || name.hasSuffix(".png") {
                try? FileManager.default.removeItem(atPath: keep + "/" + name)
                try FileManager.default.copyItem(atPath: fixture.folder.url(name), toPath: keep + "/" + name)
            }
        }
    }

    @Test("No Chromium on PATH: exit 69 and a message naming the package")
    func chromiumMissing() throws {
        let fixture = try F.territory()
        let out = fixture.folder.url("x.pdf")
        let run = try BuiltBinary.run(
            ["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "pdf", "--out", out],
            environment: ["PATH": fixture.folder.url("empty-bin"), "HOME": fixture.folder.path])
        #expect(run.exitCode == 69)
        #expect(run.stderr.contains("chromium"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("Markdown and HTML on stdout or --out; usage errors")
    func formats() throws {
        let fixture = try F.territory()
        let markdown = try BuiltBinary.run(["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "markdown"])
        #expect(markdown.exitCode == 0)
        #expect(markdown.stdout.hasPrefix("# Commune de Plouzané"))
        let out = fixture.folder.url("page.html")
        let html = try BuiltBinary.run(["summary", "--territory", "--db", fixture.storeLocation, "--out", out])
        #expect(html.exitCode == 0)
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("@page{size:A4"))
        #expect(page.contains("Commune de Lanvéoc"))
        // --answers: the decisions follow the answers file; a broken one is bad input (65) naming its line.
        let answers = try fixture.folder.write("answers.yaml", """
            questionnaire: "1"
            entity:
              siren: "\(F.plouzane.siren!)"
            answers:
              art20.elu-referent: {status: oui}
              d.convention-mutualisation: {status: non}
            """)
        let answered = try BuiltBinary.run(
            ["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "markdown", "--answers", answers])
        #expect(answered.exitCode == 0, "\(answered.stderr)")
        #expect(!answered.stdout.contains("Désigner un élu référent"))
        #expect(answered.stdout.contains("Adhérer au service numérique mutualisé"))
        let broken = try fixture.folder.write("broken.yaml", "answers:\n  art20.elu-referent: {status: peut-être}\n")
        let refused = try BuiltBinary.run(["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--answers", broken])
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("broken.yaml"))
        #expect(try BuiltBinary.run(["summary", "--db", fixture.storeLocation]).exitCode == 64, "neither --entity nor --territory")
        #expect(try BuiltBinary.run(["summary", "--entity", "123456789", "--db", fixture.storeLocation]).exitCode == 64, "bad SIREN")
        #expect(try BuiltBinary.run(["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "pdf"]).exitCode == 64)
        #expect(try BuiltBinary.run(["summary", "--entity", "356000000", "--db", fixture.storeLocation]).exitCode == 66, "no report for that SIREN")
        #expect(try BuiltBinary.run(["summary", "--territory", "--db", try StoreUnderTest.current.absentLocation(sqlitePath: fixture.folder.url("none.sqlite"))]).exitCode == 66)
    }
}
