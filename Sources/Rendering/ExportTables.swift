import Checks
import Foundation
import Model
import Territory
import Trust

/// The views as one typed table each, for `--format csv` (both dialects, `CSVTable`).
///
/// Unlike the tables people read (`ViewTables`), an export holds every row and every name in full (never
/// "et 2 autres"), one value per column with its type (a count is an integer, a score gain a decimal, an
/// end of validity a date), fractions as two numeric columns ("échecs", "avertissements"), and the rows a
/// terminal shows in a second table (certificates not verified, parts that could not be read) in the same
/// table, marked in a column of their own: a CSV is a single table, and nothing may fall out of it.
public enum ExportTables {
    /// One row per entity (members, then out of perimeter), then one per roster member that never reported.
    /// Per domain shown (the filter's, or all): its score (`non évalué` when every result erred), fail and warn
    /// counts. Coverage in percent, one decimal.
    public static func status(_ view: StatusView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let domains = view.filter?.domain.map { [$0] } ?? Domain.allCases
        var headers = [fr ? "Entité" : "Entity", "SIREN", fr ? "Périmètre" : "Perimeter", fr ? "Suivi" : "Reporting", fr ? "Hôtes" : "Hosts",
                       fr ? "Hôtes silencieux" : "Silent hosts",
                       fr ? "Dernier rapport" : "Latest report", fr ? "Âge (jours)" : "Age (days)", "Score", fr ? "Niveau" : "Level",
                       fr ? "Niveau du score" : "Score's level", fr ? "Plafonds" : "Caps"]
        for domain in domains {
            let name = Words.domain(domain.rawValue, language)
            headers += [name + " score", name + (fr ? " échecs" : " failures"), name + (fr ? " avertissements" : " warnings")]
        }
        headers.append(fr ? "Couverture (%)" : "Coverage (%)")
        var rows: [[CSVCell]] = view.entities.map { entity in
            var row: [CSVCell] = [
                .text(entity.name), .text(entity.siren),
                .text(entity.inPerimeter ? (fr ? "membre" : "member") : (fr ? "hors périmètre" : "out of perimeter")),
                .text(entity.stale ? (fr ? "silencieux" : "silent") : entity.staleHosts > 0 ? (fr ? "serveur silencieux" : "server silent") : (fr ? "à jour" : "up to date")),
                .integer(entity.hosts), .integer(entity.staleHosts),
                .time(entity.newestReport), .integer(entity.ageDays), .integer(entity.score.score), level(entity.score, language),
                .text(entity.score.scoreLevel), .text(entity.score.caps.isEmpty ? nil : Words.caps(entity.score.caps, language)),
            ]
            for domain in domains {
                row.append(entity.score.notEvaluated.contains(domain.rawValue)
                    ? .text(Words.notEvaluated(language)) : .integer(entity.score.domains[domain.rawValue]))
                row += [.integer(entity.failing[domain.rawValue] ?? 0), .integer(entity.warnings[domain.rawValue] ?? 0)]
            }
            row.append(percent(entity.score.coverage))
            return row
        }
        for member in view.neverReported {
            rows.append([.text(member.name), .text(member.siren), .text(fr ? "membre" : "member"),
                         .text(fr ? "jamais de rapport" : "never reported"), .integer(0), .integer(0)])
        }
        return CSVTable(headers: headers, rows: rows, note: view.filter?.line(language))
    }

    /// One row per rule, every entity affected and every fix named (`Nom (SIREN) : hôte, hôte`).
    public static func findings(_ view: FindingsView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Domaine" : "Domain", fr ? "Gravité" : "Severity",
                       fr ? "Entités" : "Entities", fr ? "Hôtes" : "Hosts", fr ? "Cibles" : "Targets", fr ? "Nouveaux" : "New",
                       fr ? "Persistants" : "Persistent", fr ? "Résolus" : "Resolved", fr ? "Gain si corrigé (points)" : "Gain if fixed (points)",
                       fr ? "Qui" : "Who", fr ? "Corrigé par (le)" : "Fixed by (on)"]
        let rows: [[CSVCell]] = view.findings.map { finding in
            let who = finding.affected.map { "\(entityName($0.name, $0.siren)) : \($0.hosts.joined(separator: ", "))" }.joined(separator: " ; ")
            let fixedBy = finding.resolvedBy.map { "\(entityName($0.name, $0.siren)) / \($0.host) (\($0.at.prefix(10)))" }.joined(separator: " ; ")
            return [.text(finding.code), .text(finding.title), .text(finding.domain.map { Words.domain($0, language) }), .text(finding.severity.rawValue),
                    .integer(finding.entities), .integer(finding.hosts), .integer(finding.results), .integer(finding.new),
                    .integer(finding.persistent), .integer(finding.resolved), .decimal(finding.gain, places: 2), .text(who), .text(fixedBy)]
        }
        return CSVTable(headers: headers, rows: rows, note: note(view.filter, view.coverage, language))
    }

    /// The filter's line and what the list could not see (`ViewTables.coverageLine`), joined; nil when neither applies.
    static func note(_ filter: ViewFilter?, _ coverage: ViewCoverage, _ language: Language) -> String? {
        let lines = [filter?.line(language), ViewTables.coverageLine(coverage, language)].compactMap { $0 }
        return lines.isEmpty ? nil : lines.joined(separator: " — ")
    }

    /// The certificates to renew, soonest first, then those whose end date could not be read (`non vérifié`).
    public static func certificates(_ view: CertificatesView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "État" : "State", fr ? "Fin de validité" : "Not after", fr ? "Jours restants" : "Days left", fr ? "Entité" : "Entity",
                       "SIREN", fr ? "Hôte" : "Host", fr ? "Cible" : "Target", fr ? "Type" : "Kind", fr ? "Sujet" : "Subject",
                       fr ? "Émetteur" : "Issuer", fr ? "Noms (SAN)" : "Names (SAN)", "SHA-256", fr ? "Raison" : "Reason"]
        func kind(_ kind: String) -> CSVCell { .text(kind == "file" ? (fr ? "fichier" : "file") : (fr ? "servi" : "served")) }
        var rows: [[CSVCell]] = view.certificates.map {
            [.text($0.daysLeft < 0 ? (fr ? "expiré" : "expired") : (fr ? "à renouveler" : "to renew")), .time($0.notAfter), .integer($0.daysLeft),
             .text($0.entity), .text($0.siren), .text($0.host), .text($0.target), kind($0.kind), .text($0.subject), .text($0.issuer),
             .text($0.subjectAltNames.joined(separator: ", ")), .text($0.sha256), .empty]
        }
        rows += view.unverified.map {
            [.text(fr ? "non vérifié" : "not verified"), .empty, .empty, .text($0.entity), .text($0.siren), .text($0.host), .text($0.target),
             kind($0.kind), .empty, .empty, .empty, .empty, .text($0.reason ?? $0.status)]
        }
        return CSVTable(headers: headers, rows: rows, note: note(view.filter, view.coverage, language))
    }

    /// One row per agent whose signing certificate has expired or expires within the window.
    public static func agentCertificates(_ view: AgentCertificatesView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "Entité" : "Entity", "SIREN", fr ? "Hôte" : "Host", fr ? "Série" : "Serial", fr ? "Sujet" : "Subject",
                       fr ? "Fin de validité" : "Not after", fr ? "Jours restants" : "Days left", fr ? "État" : "State",
                       fr ? "Dernier rapport" : "Latest report"]
        let rows: [[CSVCell]] = view.agents.map {
            [.text($0.entity), .text($0.siren), .text($0.host), .text($0.serial), .text($0.subject), .time($0.notAfter), .integer($0.daysLeft),
             .text($0.state == SignerCertificateStatus.State.expired.rawValue ? (fr ? "expiré" : "expired") : (fr ? "expire bientôt" : "expiring soon")),
             .time($0.latestReport)]
        }
        return CSVTable(headers: headers, rows: rows, note: view.filter?.line(language))
    }

    /// One row per alert, then one per part that could not be read (its alerts are unknown).
    public static func alerts(_ view: AlertsView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "Alerte" : "Alert", "Code", fr ? "Entité" : "Entity", "SIREN", fr ? "Hôte" : "Host", fr ? "Objet" : "Subject",
                       fr ? "Date" : "Date", fr ? "Jours" : "Days", fr ? "Détail" : "Detail"]
        var rows: [[CSVCell]] = view.alerts.map {
            [.text(ViewTables.kindName($0.kind, fr)), .text($0.kind.rawValue), .text($0.entity), .text($0.siren), .text($0.host), .text($0.subject),
             .time($0.date), .integer($0.days), .text($0.detail)]
        }
        rows += view.errors.map {
            [.text(fr ? "Partie illisible : alertes inconnues" : "Part not read: alerts unknown"), .text("part-unreadable"), .empty, .empty, .empty,
             .text(ViewTables.partName($0.part, fr)), .empty, .empty, .text($0.message)]
        }
        return CSVTable(headers: headers, rows: rows, note: view.filter?.line(language))
    }

    /// The results of the latest reports of one or more hosts or entities, worst first.
    public static func details(_ views: [DetailView], _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = ["SIREN", fr ? "Entité" : "Entity", fr ? "Hôte" : "Host", fr ? "Rapport du" : "Report of", fr ? "Statut" : "Status",
                       fr ? "Gravité" : "Severity", fr ? "Domaine" : "Domain", fr ? "Règle" : "Rule", fr ? "Titre" : "Title",
                       fr ? "Cible" : "Target", fr ? "Détail" : "Detail"]
        var rows: [[CSVCell]] = []
        for view in views {
            let generated = Dictionary(view.reports.map { ($0.host, $0.generatedAt) }, uniquingKeysWith: { a, _ in a })
            rows += view.results.map {
                [.text(view.siren), .text(view.name), .text($0.host), .time(generated[$0.host]), .text($0.status.rawValue), .text($0.severity.rawValue),
                 .text(Domain(ruleCode: $0.code).map { Words.domain($0.rawValue, language) }), .text($0.code), .text($0.title), .text($0.target),
                 .text($0.reason)]
            }
        }
        return CSVTable(headers: headers, rows: rows, note: views.first?.filter?.line(language))
    }

    /// One row per point of a score history.
    public static func trend(_ points: [TrendPoint], filter: ViewFilter?, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "Rapport du" : "Report of", fr ? "Hôte" : "Host", "SIREN", "Score", fr ? "Niveau" : "Level",
                       fr ? "Niveau du score" : "Score's level", fr ? "Plafonds" : "Caps", fr ? "Couverture (%)" : "Coverage (%)",
                       fr ? "Hôtes" : "Hosts"]
        let rows: [[CSVCell]] = points.map {
            [.time($0.at), .text($0.host), .text($0.siren), .integer($0.score), .text($0.level), .text($0.scoreLevel),
             .text($0.caps.joined(separator: " ; ")), percent($0.coverage), .integer($0.hosts)]
        }
        return CSVTable(headers: headers, rows: rows, note: filter?.line(language))
    }

    /// One row per refused file.
    public static func rejected(_ view: RejectedView, _ language: Language) -> CSVTable {
        let fr = language == .fr
        let headers = [fr ? "Fichier" : "File", "SHA-256", "Code", fr ? "Motif" : "Reason", fr ? "Détail" : "Detail",
                       fr ? "Vu la première fois" : "First seen", fr ? "Vu la dernière fois" : "Last seen", fr ? "Fois" : "Times",
                       fr ? "Accepté depuis le" : "Accepted since"]
        let rows: [[CSVCell]] = view.rejections.map {
            [.text($0.path), .text($0.sha256), .text($0.code), .text($0.title), .text($0.message), .time($0.firstSeen), .time($0.lastSeen),
             .integer($0.seen), .time($0.resolvedAt)]
        }
        return CSVTable(headers: headers, rows: rows)
    }

    /// `Nom (SIREN)`, or the SIREN alone.
    static func entityName(_ name: String?, _ siren: String) -> String { name.map { "\($0) (\(siren))" } ?? siren }

    /// A coverage (0…1) in percent, one decimal.
    static func percent(_ coverage: Double) -> CSVCell { .decimal((coverage * 1000).rounded() / 10, places: 1) }

    /// The level shown, `non évalué` when nothing was verified, empty when there is no score.
    static func level(_ line: ScoreLine, _ language: Language) -> CSVCell {
        if let level = line.level { return .text(level) }
        return line.notEvaluated.isEmpty ? .empty : .text(Words.notEvaluated(language))
    }
}
