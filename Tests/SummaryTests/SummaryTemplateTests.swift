import Foundation
@testable import Summary
import Testing
import TestSupport

/// The élus page's HTML comes from Mustache templates (swift-mustache), escaped by default.
@Suite("Summary templates")
struct SummaryTemplateTests {
    @Test("The embedded templates are the files under Sources/Summary/Templates, byte for byte (run scripts/embed-templates.sh)")
    func embeddedMatchFiles() throws {
        let folder = BuiltBinary.packageRoot + "/Sources/Summary/Templates"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".mustache") }
        #expect(Set(files.map { String($0.dropLast(".mustache".count)) }) == Set(SummaryTemplates.texts.keys))
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            #expect(SummaryTemplates.texts[String(file.dropLast(".mustache".count))].map { $0 + "\n" } == text, "\(file): run scripts/embed-templates.sh")
        }
    }

    @Test("Every value is HTML-escaped: a hostile name, decision or CSIRT text cannot add markup")
    func escaped() throws {
        let fixture = try SummaryFixture.territory()
        var summary = try fixture.builder().territory()
        summary.title = "Commune <script>alert(1)</script> & \"fils\""
        summary.members[0].name = "<img src=x onerror=alert(1)>"
        summary.gaps = ["1 commune sur 2 n'a aucune sauvegarde : <b>X</b>."]
        summary.csirt.website = "https://exemple.fr/\"><script>"
        let html = SummaryRenderer.html(summary)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>X</b>"))
        #expect(html.contains("Commune &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;fils&quot;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        // The page's own structure is there: one level badge, the members' table, the style sheet as is.
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>@page{size:A4"))
        #expect(html.contains("<section class=\"members\">"))
        #expect(html.components(separatedBy: "<tr>").count - 1 == summary.members.count + 1)
    }
}
