import Agent
import Checks
import Foundation
@testable import Incidents
import Model
import TestSupport
import Testing
@testable import Territory

/// Incident clocks (DST, month ends), time parsing, the store's incident tables and the drafts, over
/// real signed reports ingested into a real store.
@Suite("Incidents: clocks, store, drafts")
struct IncidentTests {
    typealias F = TerritoryFixture

    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static func paris(_ text: String) throws -> Date { try IncidentClock.parse(text) }

    static func incident(aware: Date, personalData: Bool = false, significant: Significance = .unknown, closedAt: Date? = nil,
                         log: [Incident.LogEntry] = []) -> Incident {
        Incident(id: 1, title: "t", siren: nil, awareAt: aware, personalData: personalData, significant: significant, hosts: [],
                 openedAt: aware, closedAt: closedAt, log: log)
    }

    @Test("Times: ISO 8601 with offset or Z, and Paris local time; the skipped and the repeated hour are refused")
    func parsing() throws {
        #expect(try IncidentClock.parse("2026-07-14T10:00:00Z") == Self.utc("2026-07-14T10:00:00Z"))
        #expect(try IncidentClock.parse("2026-07-14T12:00+02:00") == Self.utc("2026-07-14T10:00:00Z"))
        #expect(try IncidentClock.parse("2026-07-14 10:00:30-0330") == Self.utc("2026-07-14T13:30:30Z"))
        // Local time: summer (UTC+2) and winter (UTC+1).
        #expect(try IncidentClock.parse("2026-07-14 10:00") == Self.utc("2026-07-14T08:00:00Z"))
        #expect(try IncidentClock.parse("2026-01-15 10:00") == Self.utc("2026-01-15T09:00:00Z"))
        // Either side of the changes of 2026 (29 March, 25 October).
        #expect(try IncidentClock.parse("2026-03-29 01:59") == Self.utc("2026-03-29T00:59:00Z"))
        #expect(try IncidentClock.parse("2026-03-29 03:00") == Self.utc("2026-03-29T01:00:00Z"))
        #expect(try IncidentClock.parse("2026-10-25 01:59") == Self.utc("2026-10-24T23:59:00Z"))
        #expect(try IncidentClock.parse("2026-10-25 03:00") == Self.utc("2026-10-25T02:00:00Z"))
        let gap = #expect(throws: InputError.self) { try IncidentClock.parse("2026-03-29 02:30", option: "--aware-at") }
        #expect(gap?.description.contains("cette heure n'existe pas à Paris") == true)
        #expect(gap?.description(in: .en).contains("does not exist") == true)
        #expect(gap?.kind == .usage)
        let twice = #expect(throws: InputError.self) { try IncidentClock.parse("2026-10-25 02:30") }
        #expect(twice?.description.contains("existe deux fois") == true)
        #expect(twice?.description(in: .en).contains("happens twice") == true)
        #expect(try IncidentClock.parse("2026-10-25T02:30+02:00") == Self.utc("2026-10-25T00:30:00Z"))
        #expect(try IncidentClock.parse("2026-10-25T02:30+01:00") == Self.utc("2026-10-25T01:30:00Z"))
        for bad in ["yesterday", "2026-02-30 10:00", "2026-13-01 10:00", "2026-07-14", "2026-07-14 25:00", "14/07/2026 10:00",
                    "2026-07-14T10:00+15:00", "", "2026-07-14 10:00 CET"] {
            let error = #expect(throws: InputError.self, "\(bad)") { try IncidentClock.parse(bad, option: "--aware-at") }
            #expect(error?.description.contains("--aware-at") == true)
            #expect(error?.exitCode == 64)
        }
    }

    @Test("24 h and 72 h are elapsed hours across the spring and autumn changes; shown in CET/CEST")
    func hoursAcrossDST() throws {
        // Spring: aware Saturday 28 March 2026 10:00 CET; the night loses an hour.
        let spring = Self.incident(aware: try Self.paris("2026-03-28 10:00"), personalData: true)
        let deadlines = spring.deadlines(now: try Self.paris("2026-03-28 11:00"))
        let early = try #require(deadlines.first { $0.stage == .earlyWarning })
        #expect(early.due == Self.utc("2026-03-29T09:00:00Z"))
        #expect(early.dueLocal == "2026-03-29 11:00 CEST")
        let notification = try #require(deadlines.first { $0.stage == .notification })
        #expect(notification.dueLocal == "2026-03-31 11:00 CEST")
        #expect(notification.due.timeIntervalSince(spring.awareAt) == 72 * 3600)
        #expect(deadlines.first { $0.stage == .cnil }?.due == notification.due)
        // Autumn: aware Saturday 24 October 2026 10:00 CEST; the night gains an hour.
        let autumn = Self.incident(aware: try Self.paris("2026-10-24 10:00"))
        let autumnEarly = try #require(autumn.deadlines(now: autumn.awareAt).first { $0.stage == .earlyWarning })
        #expect(autumnEarly.due == Self.utc("2026-10-25T08:00:00Z"))
        #expect(autumnEarly.dueLocal == "2026-10-25 09:00 CET")
    }

    @Test("One month is a calendar month in Paris: month ends clamp, wall-clock time kept across DST")
    func months() throws {
        #expect(IncidentClock.addingOneMonth(to: try Self.paris("2026-01-31 12:00")) == (try Self.paris("2026-02-28 12:00")))
        #expect(IncidentClock.addingOneMonth(to: try Self.paris("2028-01-31 12:00")) == (try Self.paris("2028-02-29 12:00")), "leap year")
        #expect(IncidentClock.addingOneMonth(to: try Self.paris("2026-03-31 08:00")) == (try Self.paris("2026-04-30 08:00")))
        #expect(IncidentClock.addingOneMonth(to: try Self.paris("2026-12-31 23:30")) == (try Self.paris("2027-01-31 23:30")))
        // Across the spring change: 10 March 12:00 CET → 10 April 12:00 CEST, i.e. 31 days minus one hour.
        let march = try Self.paris("2026-03-10 12:00")
        let april = IncidentClock.addingOneMonth(to: march)
        #expect(IncidentClock.local(april) == "2026-04-10 12:00 CEST")
        #expect(april.timeIntervalSince(march) == 31 * 86_400 - 3600)
        // The final report runs from the notification deadline (aware 28 Jan 12:00 → 31 Jan 12:00 → 28 Feb 12:00) …
        let incident = Self.incident(aware: try Self.paris("2026-01-28 12:00"))
        let final = try #require(incident.deadlines(now: incident.awareAt).first { $0.stage == .final })
        #expect(final.dueLocal == "2026-02-28 12:00 CET")
        #expect(final.title.contains("rapport d'avancement"), "ongoing incident: progress report instead")
        // … or from the notification as sent, when logged.
        var sent = incident
        sent.log = [.init(at: try Self.paris("2026-01-28 18:00"), text: "notification envoyée", stage: .notification)]
        #expect(sent.deadlines(now: incident.awareAt).first { $0.stage == .final }?.dueLocal == "2026-02-28 18:00 CET")
        sent.log = [.init(at: try Self.paris("2026-01-30 09:15"), text: "notification envoyée", stage: .notification)]
        #expect(sent.deadlines(now: incident.awareAt).first { $0.stage == .final }?.dueLocal == "2026-02-28 09:15 CET", "Jan 30 → Feb 28 (clamped)")
        // Handled after the final-report date: final report one month after closing (Art. 23(4)(e)).
        var late = incident
        late.closedAt = try Self.paris("2026-03-20 18:00")
        let lateFinal = try #require(late.deadlines(now: late.closedAt!).first { $0.stage == .final })
        #expect(lateFinal.dueLocal == "2026-04-20 18:00 CEST")
        #expect(lateFinal.title == "Rapport final NIS 2")
        // A report logged as "final" while the incident was ongoing was a progress report: the final one is still due.
        late.log = [.init(at: try Self.paris("2026-02-27 10:00"), text: "rapport d'avancement", stage: .final)]
        #expect(late.deadlines(now: late.closedAt!).first { $0.stage == .final }?.state == .pending)
        late.log.append(.init(at: try Self.paris("2026-03-25 10:00"), text: "rapport final", stage: .final))
        #expect(late.deadlines(now: late.closedAt!).first { $0.stage == .final }?.submittedAt == (try Self.paris("2026-03-25 10:00")))
        // Handled before: the final report keeps its date.
        var early = incident
        early.closedAt = try Self.paris("2026-02-10 18:00")
        #expect(early.deadlines(now: early.closedAt!).first { $0.stage == .final }?.dueLocal == "2026-02-28 12:00 CET")
    }

    @Test("Overdue, submitted and pending states; which clocks apply")
    func states() throws {
        let aware = try Self.paris("2026-05-04 08:00")
        var incident = Self.incident(aware: aware, personalData: true, significant: .yes)
        let now = aware.addingTimeInterval(30 * 3600)
        var deadlines = incident.deadlines(now: now)
        #expect(deadlines.map(\.stage) == [.earlyWarning, .notification, .cnil, .final])
        #expect(deadlines[0].state == .overdue)
        #expect(deadlines[0].remaining == "EN RETARD de 6 h")
        #expect(deadlines[1].state == .pending)
        #expect(deadlines[1].remaining == "dans 1 j 18 h")
        #expect(incident.deadlines(now: now, english: true)[1].remaining == "in 1 d 18 h")
        incident.log = [.init(at: aware.addingTimeInterval(20 * 3600), text: "alerte envoyée", stage: .earlyWarning)]
        deadlines = incident.deadlines(now: now)
        #expect(deadlines[0].state == .submitted)
        #expect(deadlines[0].submittedAt == aware.addingTimeInterval(20 * 3600))
        // Exactly at the deadline it is not yet overdue.
        #expect(incident.deadlines(now: aware.addingTimeInterval(72 * 3600))[1].state == .pending)
        #expect(Self.incident(aware: aware, significant: .no).deadlines(now: now).isEmpty, "not significant, no personal data: no clock")
        #expect(Self.incident(aware: aware, personalData: true, significant: .no).deadlines(now: now).map(\.stage) == [.cnil])
    }

    @Test("Store: open, log, close, list; unknown ids; the migration on an existing store")
    func store() throws {
        let fixture = try F()
        try fixture.write("a.json", host: "srv-mairie", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        let store = try fixture.store()
        let aware = try Self.paris("2026-05-04 08:00")
        let id = try store.openIncident(NewIncident(title: "Rançongiciel", siren: F.sirenA, awareAt: aware, personalData: true,
                                                    significant: .yes, hosts: ["srv-mairie", "poste-accueil", "srv-mairie"]), now: aware.addingTimeInterval(600))
        let second = try store.openIncident(NewIncident(title: "Hameçonnage", awareAt: aware.addingTimeInterval(3600)))
        #expect(second == id + 1)
        try store.logIncident(id, text: "Alerte précoce déposée sur club.ssi.gouv.fr", stage: .earlyWarning, at: aware.addingTimeInterval(5 * 3600))
        try store.closeIncident(second, at: aware.addingTimeInterval(7200))
        #expect(throws: InputError.self) { try store.closeIncident(second) }
        let missing = #expect(throws: InputError.self) { try store.logIncident(999, text: "x") }
        #expect(missing?.kind == .missing)
        #expect(throws: InputError.self) { try store.incident(999) }

        let incident = try store.incident(id)
        #expect(incident.hosts == ["poste-accueil", "srv-mairie"])
        #expect(incident.log.count == 2)
        #expect(incident.submissions[.earlyWarning] == aware.addingTimeInterval(5 * 3600))
        #expect(incident.awareAt == aware && incident.personalData && incident.significant == .yes && incident.isOpen)
        #expect(try store.incidents().map(\.id) == [second, id])
        #expect(try store.incidents(openOnly: true).map(\.id) == [id])
        #expect(try store.entityIdentity(siren: F.sirenA)?.name == "Commune de Plouzané")
        #expect(try store.entityIdentity(siren: F.sirenA)?.departement == "29")
        #expect(try store.knowsHost("SRV-MAIRIE"))
        #expect(try !store.knowsHost("poste-accueil"))
        // Reopening the store does not re-run migrations; the incidents are still there.
        let reopened = try TerritoryStore(location: fixture.storeLocation, create: false, readOnly: true)
        #expect(try reopened.incidents().count == 2)
        if fixture.engine == .sqlite {
            let applied = try reopened.read { db in try db.fetchAll(String.self, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
            #expect(applied.contains("v2-incidents"))
            #expect(applied == SQLiteBackend.migrator.migrations)
            #expect(applied == TerritoryStore.migrations.map(\.id))
        } else {
            // Each in its own transaction, possibly within the same second: the set, each once.
            let applied = try reopened.read { db in try db.fetchAll(String.self, sql: "SELECT id FROM cyberctl_migration") }
            #expect(applied.sorted() == TerritoryStore.migrations.map(\.id).sorted())
        }
    }

    @Test("A store made before incidents existed gets the incident tables when opened, its reports kept")
    func migrationOfAnOlderStore() throws {
        let fixture = try F()
        try fixture.write("a.json", host: "srv-mairie", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        // Turn it into a v1-only store, as an older cyberctl left it.
        try fixture.downgrade("DROP TABLE incident_log; DROP TABLE incident_host; DROP TABLE incident", forgetting: ["v2-incidents"])
        if fixture.engine == .postgresql {
            // PostgreSQL never migrates in a read-only open (its transactions are read-only): it says to open it for writing.
            let refused = #expect(throws: InputError.self) { try TerritoryStore(location: fixture.storeLocation, create: false, readOnly: true) }
            #expect(refused?.kind == .io)
        }
        let store = try TerritoryStore(location: fixture.storeLocation, create: false, readOnly: fixture.engine == .sqlite)
        #expect(try store.counts().reports == 1)
        let id = try store.openIncident(NewIncident(title: "t", awareAt: fixture.now))
        #expect(try store.incident(id).title == "t")
    }

    @Test("Drafts carry every required field, the entity, the timeline and the hosts' latest findings")
    func drafts() throws {
        let fixture = try F()
        try fixture.write("a.json", host: "srv-mairie", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        let store = try fixture.store()
        let aware = fixture.now.addingTimeInterval(-30 * 3600)
        let id = try store.openIncident(
            NewIncident(title: "Rançongiciel sur le serveur de la mairie", siren: F.sirenA, awareAt: aware, personalData: true,
                        significant: .yes, hosts: ["srv-mairie", "poste-accueil"]), now: aware)
        try store.logIncident(id, text: "Serveur isolé du réseau", at: aware.addingTimeInterval(3600))
        let incident = try store.incident(id)
        let views = TerritoryViews(store: store, now: fixture.now, language: .fr)
        let hosts = try views.evidence(hosts: incident.hosts, siren: F.sirenA)
        #expect(hosts.count == 2)
        let server = try #require(hosts.first { $0.hostname == "srv-mairie" })
        #expect(server.latestReport != nil)
        #expect(Set(server.findings.map(\.code)) == ["cert.key-strength", "tls.legacy-protocols", "tls.hsts"], "the warn/fail results of the latest report")
        #expect(server.findings.first?.code == "cert.key-strength", "worst first")
        #expect(hosts.first { $0.hostname == "poste-accueil" }?.latestReport == nil)

        for stage in IncidentStage.allCases {
            for format in IncidentDraft.Format.allCases {
                let text = IncidentDraft(
                    incident: incident, stage: stage, entity: try store.entityIdentity(siren: F.sirenA), hosts: hosts,
                    recipients: ["CSIRT régional : Breizh Cyber"], now: fixture.now
                ).render(format)
                for field in IncidentDraft.requiredFields(stage) {
                    #expect(text.contains(field), "\(stage) \(format): missing \(field)")
                }
                #expect(text.contains("Commune de Plouzané"))
                #expect(text.contains(F.sirenA))
                #expect(text.contains(IncidentClock.local(aware)))
                #expect(text.contains("Serveur isolé du réseau"))
                #expect(text.contains("cert.key-strength"))
                #expect(text.contains("/etc/ssl/b.pem"))
                #expect(text.contains("poste-accueil : aucun rapport"))
                #expect(text.contains("Breizh Cyber"))
                #expect(text.contains(stage.basis))
                #expect(format == .markdown ? text.contains("## Chronologie") : text.contains("Chronologie\n-----------"))
            }
        }
        let early = IncidentDraft(incident: incident, stage: .earlyWarning, entity: nil, hosts: hosts, recipients: [], now: fixture.now).render(.markdown)
        #expect(early.contains("EN RETARD"), "30 h after awareness the early warning is overdue")
        let cnil = IncidentDraft(incident: incident, stage: .cnil, entity: nil, hosts: hosts, recipients: [], now: fixture.now).render(.text)
        #expect(cnil.contains("Motifs du retard : sans objet"), "not late yet")
        let lateCNIL = IncidentDraft(incident: incident, stage: .cnil, entity: nil, hosts: hosts, recipients: [],
                                     now: fixture.now.addingTimeInterval(48 * 3600)).render(.text)
        #expect(lateCNIL.contains("Motifs du retard : [À compléter]"))
        #expect(early.contains("Personne à contacter** : [À compléter]"), "no roster: nobody known")
        // With the roster's contacts: the people to call and the DPO are filled in, not "[À compléter]".
        let contacts = [
            Roster.Contact(role: .maire, name: "Jeanne Martin", phone: "02 98 00 00 02"),
            Roster.Contact(role: .dgs, name: "Paul Le Bihan", email: "dgs@plouzane.fr"),
            Roster.Contact(role: .dpo, name: "CDG 29", email: "dpo@cdg29.bzh"),
        ]
        let filled = IncidentDraft(incident: incident, stage: .cnil, entity: nil, hosts: hosts, recipients: [], contacts: contacts, now: fixture.now)
            .render(.text)
        #expect(filled.contains("Personne à contacter : Direction générale des services : Paul Le Bihan, dgs@plouzane.fr ; Maire : Jeanne Martin, 02 98 00 00 02"))
        #expect(filled.contains("Délégué à la protection des données (DPO) ou point de contact : CDG 29, dpo@cdg29.bzh"))
        #expect(!filled.contains("Personne à contacter : [À compléter]"))
    }
}
