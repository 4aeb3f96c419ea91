import Foundation
import Model
import TestSupport
import Testing

/// Issue 22, where the domain results go: the built `cyberctl` checks the domains declared in
/// `agent.yaml` (`exposition.domains` in the scan's profile) against a real NSD and unbound on loopback,
/// signs the report, the RSSI consolidates it, and the territory view and the élus page carry the
/// results (the élus page in plain French). `cyberctl domain` answers the same on the same zones.
@Suite("Domain exposure end to end (scan, signed report, territory, élus page)", .serialized)
struct DomainScanEndToEndTests {
    static let siren = "212901896"

    /// mairie.test without DMARC, ville.test with p=reject. Unsigned zones: no key generation, the resolver
    /// starts in about a second.
    static func testbed(in folder: TemporaryDirectory) throws -> DNSTestbed {
        try DNSTestbed(zones: [
            .init("mairie.test", signing: .unsigned, """
                @ NS ns1
                ns1 A 127.0.0.1
                @ TXT "v=spf1 -all"
                """),
            .init("ville.test", signing: .unsigned, """
                @ NS ns1
                ns1 A 127.0.0.1
                @ TXT "v=spf1 -all"
                _dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@ville.test"
                """),
        ], in: folder)
    }

    @Test("A domain without DMARC: failed in the signed report, counted in the territory view, said plainly to the élus")
    func throughTheReport() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-e2e-domains")
        let dns = try Self.testbed(in: folder)
        // Web and mail ports nothing listens on: the domains have no A or MX records, so none is tried.
        let unused = try BackgroundServer.freePort()
        func run(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(arguments)
        }
        func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Command.Output {
            let output = try run(arguments)
            #expect(output.exitCode == 0, "cyberctl \(arguments.joined(separator: " ")): \(output.stderr) \(output.stdout)", sourceLocation: sourceLocation)
            return output
        }

        // Ad hoc: `cyberctl domain`, JSON, exit 1 since a rule fails.
        let adHoc = try run([
            "domain", "mairie.test", "ville.test", "--resolver", dns.resolver, "--trust-anchor", "none", "--no-mx-tls",
            "--http-port", "\(unused)", "--https-port", "\(unused)", "--smtp-port", "\(unused)", "--format", "json",
        ])
        #expect(adHoc.exitCode == 1, "\(adHoc.stderr)")
        let adHocObject = try #require(try JSONSerialization.jsonObject(with: Data(adHoc.stdout.utf8)) as? [String: Any], "\(adHoc.stdout)")
        let adHocResults = try #require(adHocObject["results"] as? [[String: Any]])
        func status(_ results: [[String: Any]], _ code: String, _ target: String) -> String? {
            results.first { $0["code"] as? String == code && $0["target"] as? String == target }?["status"] as? String
        }
        #expect(status(adHocResults, "mail.dmarc", "mairie.test") == "fail", "\(adHoc.stdout)")
        #expect(status(adHocResults, "mail.dmarc", "ville.test") == "pass", "\(adHoc.stdout)")

        // The agent: a CA, an enrolled agent, domains in agent.yaml, a profile with exposition.domains only.
        let pki = folder.url("pki"), etc = folder.url("etc")
        _ = try succeed(["pki", "init", "--dir", pki, "--name", "RSSI mutualisé du Pays de Brest"])
        _ = try succeed(["enroll", "--entity-name", "Commune de Plouzané", "--siren", Self.siren, "--host", "srv-mairie", "--dir", etc])
        // `pki issue` names its output <siren>-<host>.crt next to the request unless --out says where (issue 18).
        _ = try succeed(["pki", "issue", folder.url("etc/agent.csr"), "--dir", pki, "--out", folder.url("etc/agent.crt")])
        try folder.write("root/etc/hostname", "srv-mairie\n")
        let config = try folder.write("config/agent.yaml", """
            entity:
              name: Commune de Plouzané
              siren: "\(Self.siren)"
              domains: [mairie.test, ville.test]

            """)
        let profile = try folder.write("config/domains.yaml", """
            name: domaines
            description: Noms de domaine de la commune
            checks:
              exposition.domains:
                resolver: ["\(dns.resolver)"]
                trust_anchor: none
                mx_tls: false
                dns_timeout: 3
                ports: {smtp: \(unused), http: \(unused), https: \(unused)}

            """)
        let report = folder.url("inbox/srv-mairie.json")
        try FileManager.default.createDirectory(atPath: folder.url("inbox"), withIntermediateDirectories: true)
        let scan = try run([
            "scan", "--root", folder.url("root"), "--profile", profile, "--config", config, "--out", report, "--format", "json",
            "--fail-on", "never", "--key", folder.url("etc/agent.key"), "--cert", folder.url("etc/agent.crt"),
        ])
        #expect(scan.exitCode == 0, "\(scan.stderr)")
        #expect(FileManager.default.fileExists(atPath: report + ".p7s"))
        let reportObject = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let reportResults = try #require(reportObject["results"] as? [[String: Any]])
        #expect(status(reportResults, "mail.dmarc", "mairie.test") == "fail")
        #expect(status(reportResults, "mail.dmarc", "ville.test") == "pass")
        #expect(reportResults.allSatisfy { $0["check"] as? String == "exposition.domains" })

        // The RSSI: verify and consolidate, then the territory view and the élus page.
        let db = folder.url("territory.sqlite")
        _ = try succeed(["consolidate", folder.url("inbox"), "--db", db, "--ca", folder.url("pki/ca.pem"), "--format", "json"])
        let territory = try succeed(["territory", "status", "--db", db, "--format", "json"])
        #expect(territory.stdout.contains("exposition"), "\(territory.stdout)")
        let text = try succeed(["territory", "status", "--db", db])
        #expect(text.stdout.contains("Domaines"), "\(text.stdout)")
        let elus = try succeed(["summary", "--entity", Self.siren, "--db", db, "--format", "markdown"])
        #expect(elus.stdout.contains("Les courriels de la mairie peuvent être imités"), "\(elus.stdout)")
        #expect(!elus.stdout.contains("mail.dmarc"), "the élus page speaks plain French, not rule codes")
    }

    @Test("cyberctl domain --roster: every entity's domains from the roster, grouped by entity, shown by roster show")
    func fromTheRoster() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-e2e-domain-roster")
        let dns = try Self.testbed(in: folder)
        let unused = try BackgroundServer.freePort()
        let roster = try folder.write("roster.yaml", """
            territory:
              name: Communauté de communes du Pays d'Iroise
              siren: "242900645"
              domains: [ville.test]
            members:
              - name: Commune de Plouzané
                siren: "\(Self.siren)"
                domains: [mairie.test, Ville.Test.]
              - name: Commune de Lanvéoc
                siren: "213502388"
            """)
        let common = ["--resolver", dns.resolver, "--trust-anchor", "none", "--no-mx-tls",
                      "--http-port", "\(unused)", "--https-port", "\(unused)", "--smtp-port", "\(unused)"]

        let json = try BuiltBinary.run(["domain", "--roster", roster, "--format", "json"] + common)
        #expect(json.exitCode == 1, "mairie.test has no DMARC: \(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        let members = try #require(object["members"] as? [[String: Any]])
        #expect(members.map { $0["siren"] as? String } == ["242900645", Self.siren], "Lanvéoc declares no domain")
        #expect(members.map { $0["domains"] as? [String] } == [["ville.test"], ["mairie.test", "ville.test"]])
        func dmarc(_ member: [String: Any]) -> [String: String] {
            var statuses: [String: String] = [:]
            for result in member["results"] as? [[String: Any]] ?? [] where result["code"] as? String == "mail.dmarc" {
                statuses[result["target"] as? String ?? ""] = result["status"] as? String
            }
            return statuses
        }
        #expect(dmarc(members[0]) == ["ville.test": "pass"])
        #expect(dmarc(members[1]) == ["mairie.test": "fail", "ville.test": "pass"], "a shared domain is shown under each entity")

        let table = try BuiltBinary.run(["domain", "--roster", roster, "--all"] + common)
        #expect(table.exitCode == 1)
        let territoryAt = try #require(table.stdout.range(of: "Communauté de communes du Pays d'Iroise — SIREN 242900645"), "\(table.stdout)")
        let memberAt = try #require(table.stdout.range(of: "Commune de Plouzané — SIREN \(Self.siren)"), "\(table.stdout)")
        #expect(territoryAt.upperBound < memberAt.lowerBound)
        #expect(table.stdout[memberAt.upperBound...].contains("mairie.test"))

        // Bad domains: the file and line; names and --roster together: a usage error.
        let bad = try folder.write("bad.yaml", """
            territory: {name: CC, siren: "242900645"}
            members:
              - name: Commune de Plouzané
                siren: "\(Self.siren)"
                domains: [mairie.test, "not a name"]
            """)
        let refused = try BuiltBinary.run(["domain", "--roster", bad] + common)
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("\(bad):5:"), "\(refused.stderr)")
        #expect(try BuiltBinary.run(["domain", "mairie.test", "--roster", roster]).exitCode == 64)
        let none = try folder.write("none.yaml", "territory: {name: CC, siren: \"242900645\"}\nmembers: [{name: Commune, siren: \"\(Self.siren)\"}]\n")
        #expect(try BuiltBinary.run(["domain", "--roster", none] + common).exitCode == 65)

        // The roster view shows each entity's domains.
        let db = folder.url("territory.sqlite")
        #expect(try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db]).exitCode == 0)
        let shown = try BuiltBinary.run(["territory", "roster", "show", "--db", db])
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("mairie.test, ville.test"), "\(shown.stdout)")
        let shownJSON = try BuiltBinary.run(["territory", "roster", "show", "--db", db, "--format", "json"])
        #expect(shownJSON.stdout.contains("\"mairie.test\""), "\(shownJSON.stdout)")
    }
}
