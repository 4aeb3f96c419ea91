import Checks
import Foundation
@testable import Summary
import Model
import Testing

/// The summary speaks to élus: no protocol or cipher names, CVE ids, port numbers, rule codes or English terms.
@Suite("Summary jargon")
struct JargonTests {
    @Test("The checker catches jargon (so the other tests can fail)")
    func checkerCatches() {
        #expect(Jargon.violations(in: "Le serveur accepte TLS 1.0 sur le port 443").contains("TLS"))
        #expect(Jargon.violations(in: "faille CVE-2024-3094 non corrigée").contains { $0.uppercased().hasPrefix("CVE") })
        #expect(!Jargon.violations(in: "joignable sur mail.example.fr:993").isEmpty)
        #expect(!Jargon.violations(in: "règle tls.legacy-protocols en échec").isEmpty)
        #expect(!Jargon.violations(in: "faire un backup chaque soir").isEmpty)
        #expect(!Jargon.violations(in: "article 21(2) point h").isEmpty)
        #expect(Jargon.violations(in: "Désigner un élu référent pour la sécurité numérique, des sauvegardes hors ligne.").isEmpty)
    }

    @Test("Every plain-French text of the tables is free of jargon")
    func tables() {
        var texts: [String] = []
        for action in Array(PlainFrench.exact.values) + Array(PlainFrench.sections.values) + Array(PlainFrench.domains.values) {
            texts += [action.action, action.why, action.who.french, action.effortFrench, action.cost.french]
        }
        texts += Level.allCases.map(PlainFrench.meaning(of:))
        texts.append(PlainFrench.action(for: "unknown.rule").action)
        for text in texts {
            #expect(Jargon.violations(in: text).isEmpty, "\(text): \(Jargon.violations(in: text))")
        }
        // Every rule the catalogue knows has a translation that is not the generic fallback.
        let fallback = PlainFrench.action(for: "unknown.rule").action
        for code in Catalogue.rules.keys {
            #expect(PlainFrench.action(for: code).action != fallback, "\(code) has no plain-French wording")
        }
    }

    @Test("The rendered pages (HTML visible text and Markdown) are free of jargon, for an entity and a territory")
    func pages() throws {
        let fixture = try SummaryFixture.territory()
        let builder = try fixture.builder()
        let summaries = [
            try builder.entity(SummaryFixture.plouzane.siren!), try builder.entity(SummaryFixture.cc.siren!), try builder.territory(),
        ]
        for summary in summaries {
            let html = SummaryRenderer.html(summary)
            let visible = Jargon.visibleText(ofHTML: html)
            #expect(visible.contains(summary.title))
            #expect(Jargon.violations(in: visible).isEmpty, "\(summary.title) HTML: \(Jargon.violations(in: visible))")
            let markdown = SummaryRenderer.markdown(summary)
            #expect(Jargon.violations(in: markdown).isEmpty, "\(summary.title) Markdown: \(Jargon.violations(in: markdown))")
            // The regional centre's number is on the page.
            #expect(visible.contains("0 800 200 008"))
            #expect(markdown.contains("0 800 200 008"))
        }
    }
}
