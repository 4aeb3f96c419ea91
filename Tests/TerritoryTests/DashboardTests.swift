import Checks
import Foundation
@testable import Rendering
import TestSupport
import Testing
@testable import Territory

/// The HTML dashboard: every fill/text pair it can emit meets WCAG AA (4.5:1), long identifiers are
/// shortened with the full value on hover, entity names are never clipped, the certificate timeline's
/// labels survive printing (checked in a PDF printed by headless Chromium).
@Suite("Territory dashboard", .serialized)
struct DashboardTests {
    typealias F = TerritoryFixture

    static let longName = "Syndicat intercommunal à vocation multiple des communes du littoral de la presqu'île de Crozon"

    /// Every (fill, text colour) pair of `html`: SVG cells (a filled rect, then its text) and inline styles.
    static func pairs(_ html: String) -> [(fill: String, text: String)] {
        var out: [(String, String)] = []
        let svg = try! NSRegularExpression(pattern: #"<rect [^>]*fill="(#[0-9a-fA-F]{6})"[^>]*>(?:<title>[^<]*</title></rect>)?\s*<text [^>]*?fill="(#[0-9a-fA-F]{6})""#)
        let style = try! NSRegularExpression(pattern: #"background:(#[0-9a-fA-F]{6});color:(#[0-9a-fA-F]{6})"#)
        for regex in [svg, style] {
            for match in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
                out.append((String(html[Range(match.range(at: 1), in: html)!]), String(html[Range(match.range(at: 2), in: html)!])))
            }
        }
        return out
    }

    @Test("Every palette pair, and every fill/text pair found in a rendered dashboard, has a contrast of at least 4.5:1")
    func contrast() throws {
        for pair in Palette.all {
            let ratio = try #require(Palette.contrast(pair.fill, pair.text))
            #expect(ratio >= 4.5, "\(pair.fill) / \(pair.text): \(ratio)")
        }
        // The WCAG formula itself: black on white is 21:1, a colour on itself 1:1, #777 on white about 4.48.
        #expect(abs(Palette.contrast("#000000", "#ffffff")! - 21) < 0.001)
        #expect(Palette.contrast("#6e7781", "#6e7781") == 1)
        #expect(abs(Palette.contrast("#777777", "#ffffff")! - 4.48) < 0.01)

        let html = try Self.dashboard()
        let found = Self.pairs(html)
        #expect(found.count >= 3 * 6 + 1, "three entities × (five domains + overall), one never-reported row")
        #expect(Set(found.map(\.fill)).count >= 4, "several levels, not evaluated and no report shown")
        for (fill, text) in found {
            let ratio = try #require(Palette.contrast(fill, text))
            #expect(ratio >= 4.5, "\(fill) / \(text): \(ratio)")
        }
        // No text on a filled cell without its own colour (the default black on a dark fill): every text
        // that follows a cell is one of the pairs checked above.
        let cellTexts = html.components(separatedBy: "</rect><text ").count - 1
        let silentRows = try NSRegularExpression(pattern: #"<rect [^>]*/><text "#).numberOfMatches(in: html, range: NSRange(html.startIndex..., in: html))
        #expect(found.count == cellTexts + silentRows, "every text drawn on a cell carries its colour")
    }

    /// A store with every kind of cell: levels A to E, a domain not evaluated, a cap, a member that never
    /// reported, a long name, an expiring certificate with its SHA-256.
    static func dashboard(fixture: F? = nil) throws -> String {
        let fixture = try fixture ?? F()
        let sha = String(repeating: "9f", count: 32)
        let certificate = F.result("cert.expiry", .warn, .high, target: "/etc/ssl/portail.pem", evidence: [
            "notAfter": .time(fixture.now.addingTimeInterval(12 * 86_400)), "subject": "CN=portail.crozon.bzh", "sha256": .string(sha),
        ])
        let good = [F.result("tls.hsts", .pass, .medium), F.result("backup.present", .pass), certificate]
        let blind = [F.result("tls.hsts", .pass, .medium), F.result("patch.security-updates", .error), F.result("backup.present", .fail)]
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: good)
        try fixture.write("b.json", siren: F.sirenB, host: "srv-2", daysAgo: 2, results: blind)
        try fixture.write("c.json", siren: "200066777", host: "srv-3", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        let store = try fixture.store()
        try store.importRoster(Roster(
            territory: .init(name: "CC de la presqu'île", siren: "242900645"),
            members: [.init(name: "Commune de Plouzané", siren: F.sirenA), .init(name: "Commune de Lanvéoc", siren: F.sirenB),
                      .init(name: longName, siren: "200066777"), .init(name: "Commune de Camaret-sur-Mer", siren: "212900229")]),
            sourcePath: "roster.yaml", sha256: "")
        let views = try fixture.views()
        return HTMLPage.dashboard(
            status: try views.status(fixes: 5), trend: try views.trend(), certificates: try views.certificates(expiringWithinDays: 60),
            findings: try views.findings(top: 15), language: .fr)
    }

    @Test("Names never clipped, SHA-256 shortened with the full value on hover, the territory's name and cap shown")
    func content() throws {
        let html = try Self.dashboard()
        #expect(html.contains(HTMLPage.escape(Self.longName) + "</text>"), "the whole name in the heat map")
        #expect(!html.contains("Syndicat intercommunal à vocation multiple des communes du l…"))
        let sha = String(repeating: "9f", count: 32)
        #expect(html.contains("<span class=\"id\" title=\"\(sha)\">9f9f9f9f9f9f…</span>"))
        #expect(html.contains("Tableau de bord du territoire — CC de la presqu&#39;île"))
        #expect(html.contains("jamais de rapport"), "Camaret-sur-Mer never reported")
        #expect(html.contains("Niveau limité à"))
        #expect(html.contains("<ol class=\"legend\">"))
        #expect(html.contains("CN=portail.crozon.bzh — Commune de Plouzané / srv-1"))
    }

    static let chromium: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { try? Command.which($0) }.first

    @Test("Printed by headless Chromium: long names, the timeline's labels and the cap are in the PDF's text", .enabled(if: chromium != nil))
    func printed() throws {
        let fixture = try F()
        let page = try fixture.folder.write("dashboard.html", try Self.dashboard(fixture: fixture))
        let pdf = fixture.folder.url("dashboard.pdf")
        let browser = try #require(Self.chromium)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(fixture.folder.url("chromium-profile"))"]
        let printed = try Command.run(browser, flags + ["--no-pdf-header-footer", "--print-to-pdf=\(pdf)", "file://\(page)"])
        #expect(printed.exitCode == 0, "\(printed.stderr)")
        let text = try Command.run(try Command.which("pdftotext"), ["-layout", pdf, "-"]).stdout
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains("CN=portail.crozon.bzh — Commune de Plouzané / srv-1"), "timeline legend printed")
        #expect(flat.contains("Niveau limité à"))
        #expect(flat.contains("presqu'île de Crozon"), "long name printed whole")
        let shot = fixture.folder.url("dashboard.png")
        let screenshot = try Command.run(browser, flags + ["--hide-scrollbars", "--window-size=1400,2400", "--screenshot=\(shot)", "file://\(page)"])
        #expect(screenshot.exitCode == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: shot)).count > 10_000)
        if let keep = ProcessInfo.processInfo.environment["CYBERCTL_DASHBOARD_ARTIFACTS"] {
            try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for name in ["dashboard.png", "dashboard.pdf", "dashboard.html"] {
                try? FileManager.default.removeItem(atPath: keep + "/" + name)
                try FileManager.default.copyItem(atPath: fixture.folder.url(name), toPath: keep + "/" + name)
            }
        }
    }
}
