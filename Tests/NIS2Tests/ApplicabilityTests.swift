import Foundation
import NIS2
import Testing
import TestSupport

/// `ScopeRules` over the shipped table: every kind, on both sides of every threshold.
@Suite struct ApplicabilityTests {
    static let rules: ScopeRules = try! ScopeRules.shipped()

    func category(_ kind: String, _ population: Int?, flag: Bool? = nil) -> NIS2Category? {
        Self.rules.decide(ScopeFacts(kind: kind, population: population, hasCommuneOver30000: flag)).category
    }

    @Test func theShippedTableCoversEveryKindAndNamesItsSources() throws {
        for kind in ScopeFacts.kinds {
            #expect(Self.rules.rules.contains { $0.kinds.contains(kind) }, "no row for \(kind)")
        }
        for rule in Self.rules.rules {
            #expect(!rule.sources.isEmpty)
            #expect(!rule.reason.fr.isEmpty && !rule.reason.en.isEmpty)
            #expect(rule.line != nil)
        }
        #expect(Self.rules.textStatus.fr.contains("pas définitive"))
    }

    @Test(arguments: [0, 1, 29_999, 30_000])
    func communesUpTo30000AreNotRegulatedAsSuch(population: Int) {
        #expect(category("commune", population) == .nonRegulee)
        // The flag about member communes says nothing about a commune.
        #expect(category("commune", population, flag: true) == .nonRegulee)
    }

    @Test(arguments: [30_001, 30_002, 150_000, 2_100_000])
    func communesAbove30000AreEssential(population: Int) {
        #expect(category("commune", population) == .essentielle)
        let decision = Self.rules.decide(ScopeFacts(kind: "commune", population: population))
        #expect(decision.rule?.id == "commune-over-30000")
        #expect(decision.rule?.sourceStatus == .verified)
    }

    @Test func aCommuneWithoutPopulationIsUndecidedAndSaysWhatIsMissing() {
        let decision = Self.rules.decide(ScopeFacts(kind: "commune"))
        #expect(decision.category == nil)
        #expect(decision.missingFacts == ["population"])
        #expect(Set(decision.candidates.map(\.category)) == [.essentielle, .nonRegulee])
    }

    @Test(arguments: [0, 29_999, 30_000, 30_001, 250_000])
    func agglomerationCommunitiesDependOnTheirLargestCommune(population: Int) {
        #expect(category("ca", population, flag: true) == .essentielle)
        #expect(category("ca", population, flag: false) == .importante)
        let unknown = Self.rules.decide(ScopeFacts(kind: "ca", population: population))
        #expect(unknown.category == nil)
        #expect(unknown.missingFacts == ["has-commune-over-30000"])
        #expect(unknown.candidates.map(\.category) == [.essentielle, .importante])
    }

    @Test(arguments: [0, 19_999, 20_000, 29_999, 30_000, 30_001, 120_000])
    func communitiesOfCommunesAreImportantWhateverTheirSize(population: Int) {
        #expect(category("cc", population) == .importante)
        #expect(category("cc", population, flag: true) == .importante)
        #expect(category("cc", nil) == .importante)
    }

    @Test(arguments: ["cu", "metropole", "departement", "region"], [0, 30_000, 30_001, 1_000_000])
    func largeAuthoritiesAreEssential(kind: String, population: Int) {
        #expect(category(kind, population) == .essentielle)
        #expect(category(kind, nil) == .essentielle)
    }

    @Test func secondarySourcesAreMarkedAsSuch() {
        for kind in ["cu", "metropole"] {
            #expect(Self.rules.decide(ScopeFacts(kind: kind)).rule?.sourceStatus == .secondary)
        }
        #expect(Self.rules.decide(ScopeFacts(kind: "region")).rule?.sourceStatus == .verified)
    }

    @Test(arguments: [0, 30_000, 30_001])
    func syndicatesDependOnTheirActivity(population: Int) {
        #expect(category("syndicat", population) == .selonActivite)
    }

    @Test func aThresholdChangesWithTheDataNotTheCode() throws {
        let directory = try TemporaryDirectory()
        // A table where communities of communes count only from 20,000 inhabitants, as an amendment proposed.
        let path = try directory.write("scope.yaml", """
            version: "test"
            text_status: {fr: "Essai.", en: "Test."}
            rules:
              - id: cc-large
                kinds: [cc]
                population_above: 20000
                category: importante
                reason: {fr: "Grande CC.", en: "Large CC."}
                sources: ["amendement CSCYBER/104"]
                source_status: verified
              - id: cc-small
                kinds: [cc]
                population_at_most: 20000
                category: non-regulee
                reason: {fr: "Petite CC.", en: "Small CC."}
                sources: ["amendement CSCYBER/104"]
                source_status: verified
              - id: others
                kinds: [commune, ca, cu, metropole, departement, region, syndicat]
                category: essentielle
                reason: "Tout le reste."
                sources: ["essai"]
                source_status: secondary
            """)
        let table = try ScopeRules.load(path: path)
        #expect(table.decide(ScopeFacts(kind: "cc", population: 20_000)).category == .nonRegulee)
        #expect(table.decide(ScopeFacts(kind: "cc", population: 20_001)).category == .importante)
        #expect(table.decide(ScopeFacts(kind: "cc", population: 20_001)).rule?.line == 4)
    }

    @Test func aBrokenTableNamesEveryProblemWithItsLine() throws {
        let text = """
            version: "x"
            text_status: {fr: "a", en: "b"}
            rules:
              - id: one
                kinds: [commune, village]
                category: maybe
                reason: {fr: "r", en: "r"}
                source_status: verified
                colour: blue
              - id: two
                kinds: [region]
                population_above: many
                category: essentielle
                reason: {fr: "r", en: "r"}
                sources: ["s"]
                source_status: rumour
            """
        #expect {
            try ScopeRules.parse(text, file: "scope.yaml")
        } throws: { error in
            guard let error = error as? NIS2InputError else { return false }
            let text = error.description(english: true)
            return text.contains("scope.yaml:5: rule one: kind \"village\"")
                && text.contains("scope.yaml:6: rule one: category \"maybe\"")
                && text.contains("scope.yaml:4: rule one: missing key \"sources\"")
                && text.contains("scope.yaml:9: unknown key \"colour\"")
                && text.contains("scope.yaml:12: rule two: population_above")
                && text.contains("scope.yaml:16: rule two: source_status \"rumour\"")
                && error.exitCode == 65
        }
    }

    @Test func aMissingTableIsExit66() {
        #expect {
            try ScopeRules.load(path: "/no/such/scope.yaml")
        } throws: { error in
            (error as? NIS2InputError)?.exitCode == 66
        }
    }
}
