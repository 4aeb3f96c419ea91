import Checks
import Foundation

/// A titled table, rendered as aligned text, CSV (RFC 4180) or Markdown.
public struct TextTable: Sendable {
    public var title: String?
    public var headers: [String]
    public var rows: [[String]]

    public init(title: String? = nil, headers: [String], rows: [[String]]) {
        self.title = title
        self.headers = headers
        self.rows = rows
    }

    /// Columns aligned with two spaces, a rule under the headers.
    public var text: String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }.joined(separator: "  ")
        }
        var out = ""
        if let title { out += title + "\n" }
        out += line(headers) + "\n"
        out += widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }

    /// RFC 4180 CSV with a header line. A text cell starting with `=`, `+`, `-` or `@` (not a number) is
    /// prefixed with `'` so a spreadsheet does not evaluate it (CSV injection).
    public var csv: String {
        func cell(_ value: String) -> String {
            var value = value
            if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
            if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }
        return ([headers] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A GitHub-flavoured Markdown table (pipes escaped), under a `###` heading when titled.
    public var markdown: String {
        func cell(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = ""
        if let title { out += "### \(cell(title))\n\n" }
        out += "| " + headers.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + headers.map { _ in " --- " }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }
}

/// Text shared by the renderers.
enum Words {
    static func domain(_ name: String, _ language: Language) -> String {
        let fr = ["tls": "TLS", "certificates": "Certificats", "patches": "Mises à jour", "backups": "Sauvegardes", "organisation": "Organisation", "exposition": "Domaines"]
        let en = ["tls": "TLS", "certificates": "Certificates", "patches": "Patches", "backups": "Backups", "organisation": "Organisation", "exposition": "Domains"]
        return (language == .fr ? fr : en)[name] ?? name
    }

    static func score(_ line: ScoreLine) -> String { line.score.map(String.init) ?? "—" }

    /// A domain where every counted result erred: nothing was verified there.
    static func notEvaluated(_ language: Language) -> String { language == .fr ? "non évalué" : "not evaluated" }

    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }

    static func gain(_ value: Double) -> String { String(format: "+%.1f", value) }
}

/// The views as tables (terminal, CSV, Markdown, and the HTML pages' tables).
public enum ViewTables {
    public static func status(_ view: StatusView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let domains = Domain.allCases.map(\.rawValue)
        var rows: [[String]] = []
        for entity in view.entities {
            let failing = domains.map { domain -> String in
                if entity.score.notEvaluated.contains(domain) { return Words.notEvaluated(language) }
                let fail = entity.failing[domain] ?? 0, warn = entity.warnings[domain] ?? 0
                return fail + warn == 0 ? "·" : "\(fail)/\(warn)"
            }
            rows.append([
                entity.name ?? "", entity.siren, String(entity.hosts),
                (entity.ageDays.map { fr ? "\($0) j" : "\($0) d" } ?? "—") + (entity.stale ? (fr ? " ⚠ ancien" : " ⚠ stale") : ""),
                Words.score(entity.score), entity.score.level ?? "—",
            ] + failing + [Words.percent(entity.score.coverage)])
        }
        let headers = [fr ? "Entité" : "Entity", "SIREN", fr ? "Hôtes" : "Hosts", fr ? "Âge" : "Age", "Score", fr ? "Niveau" : "Level"]
            + Domain.allCases.map { Words.domain($0.rawValue, language) + (fr ? " éch./av." : " fail/warn") }
            + [fr ? "Couverture" : "Coverage"]
        let t = view.territory
        let summary = TextTable(
            title: fr ? "Territoire" : "Territory",
            headers: [fr ? "Entités" : "Entities", fr ? "Hôtes" : "Hosts", fr ? "Rapports" : "Reports", fr ? "Entités sans rapport récent" : "Stale entities",
                      "Score", fr ? "Niveau" : "Level", fr ? "Couverture" : "Coverage"],
            rows: [[String(t.entities), String(t.hosts), String(t.reports), String(t.staleEntities), Words.score(t.score), t.score.level ?? "—",
                    Words.percent(t.score.coverage)]])
        return [TextTable(title: fr ? "Entités (les plus en retard d'abord)" : "Entities (furthest behind first)", headers: headers, rows: rows),
                summary, fixes(view.fixes, language)]
    }

    public static func fixes(_ fixes: [RuleFix], _ language: Language) -> TextTable {
        let fr = language == .fr
        return TextTable(
            title: fr ? "À corriger d'abord (gain sur le score du territoire)" : "Fix first (gain on the territory score)",
            headers: [fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Gravité" : "Severity", fr ? "Entités" : "Entities",
                      fr ? "Score après" : "Score after", "Gain"],
            rows: fixes.map { [$0.code, $0.title, $0.severity.rawValue, String($0.entities), "\($0.scoreBefore) → \($0.scoreAfter)", Words.gain($0.gain)] })
    }

    public static func findings(_ view: FindingsView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let rows = view.findings.map { finding -> [String] in
            let who = finding.affected.prefix(3).map { $0.name ?? $0.siren }.joined(separator: ", ")
                + (finding.affected.count > 3 ? (fr ? " et \(finding.affected.count - 3) autres" : " and \(finding.affected.count - 3) more") : "")
            return [finding.code, finding.title, finding.severity.rawValue, String(finding.entities), String(finding.hosts), String(finding.results),
                    String(finding.new), String(finding.persistent), String(finding.resolved), Words.gain(finding.gain), who]
        }
        return [TextTable(
            title: fr ? "Constats du territoire (gravité × entités)" : "Territory findings (severity × entities)",
            headers: [fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Gravité" : "Severity", fr ? "Entités" : "Entities", fr ? "Hôtes" : "Hosts",
                      fr ? "Cibles" : "Targets", fr ? "Nouveaux" : "New", fr ? "Persistants" : "Persistent", fr ? "Résolus" : "Resolved",
                      fr ? "Gain si corrigé" : "Gain if fixed", fr ? "Qui" : "Who"],
            rows: rows)]
    }

    public static func certificates(_ view: CertificatesView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        return [TextTable(
            title: fr ? "Certificats expirant sous \(view.windowDays) jours (les plus proches d'abord)" : "Certificates expiring within \(view.windowDays) days (soonest first)",
            headers: [fr ? "Fin de validité" : "Not after", fr ? "Jours" : "Days", fr ? "Sujet" : "Subject", fr ? "Émetteur" : "Issuer",
                      fr ? "Entité" : "Entity", fr ? "Hôte" : "Host", fr ? "Cible" : "Target", fr ? "Type" : "Kind", "SHA-256"],
            rows: view.certificates.map {
                [$0.notAfter, String($0.daysLeft), $0.subject ?? "", $0.issuer ?? "", $0.entity ?? $0.siren, $0.host, $0.target,
                 $0.kind == "file" ? (fr ? "fichier" : "file") : (fr ? "servi" : "served"), $0.sha256 ?? ""]
            })]
    }

    public static func trend(_ points: [TrendPoint], _ language: Language, title: String? = nil) -> TextTable {
        let fr = language == .fr
        return TextTable(
            title: title ?? (fr ? "Évolution du score" : "Score over time"),
            headers: [fr ? "Jour" : "Day", "Score", fr ? "Niveau" : "Level", fr ? "Couverture" : "Coverage", fr ? "Hôtes" : "Hosts"],
            rows: points.map { [$0.at, $0.score.map(String.init) ?? "—", $0.level ?? "—", Words.percent($0.coverage), String($0.hosts)] })
    }

    public static func detail(_ view: DetailView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let header = TextTable(
            title: "\(view.name ?? view.siren) — SIREN \(view.siren) — score \(Words.score(view.score)) \(view.score.level ?? "")"
                + (view.stale ? (fr ? " — ⚠ rapport ancien" : " — ⚠ stale report") : ""),
            headers: [fr ? "Hôte" : "Host", fr ? "Rapport" : "Report", fr ? "Généré le" : "Generated", fr ? "Signé le" : "Signed", "Score",
                      fr ? "Niveau" : "Level", fr ? "Couverture" : "Coverage", "Profil", "OS"],
            rows: view.reports.map {
                [$0.host, $0.id, $0.generatedAt, $0.signingTime, Words.score($0.score), $0.score.level ?? "—", Words.percent($0.score.coverage),
                 $0.profile, $0.os ?? ""]
            })
        let domains = TextTable(
            title: fr ? "Score par domaine" : "Score per domain",
            headers: [fr ? "Domaine" : "Domain", "Score"],
            rows: Domain.allCases.compactMap { domain in
                if view.score.notEvaluated.contains(domain.rawValue) {
                    return [Words.domain(domain.rawValue, language), Words.notEvaluated(language) + (fr ? " (compte 0)" : " (counts 0)")]
                }
                return view.score.domains[domain.rawValue].map { [Words.domain(domain.rawValue, language), String($0)] }
            })
        let results = TextTable(
            title: fr ? "Résultats des derniers rapports" : "Results of the latest reports",
            headers: [fr ? "Statut" : "Status", fr ? "Gravité" : "Severity", fr ? "Hôte" : "Host", fr ? "Règle" : "Rule", fr ? "Titre" : "Title",
                      fr ? "Cible" : "Target", fr ? "Détail" : "Detail"],
            rows: view.results.map { [$0.status.rawValue, $0.severity.rawValue, $0.host, $0.code, $0.title, $0.target, $0.reason ?? ""] })
        let fixes = TextTable(
            title: fr ? "À corriger d'abord" : "Fix first",
            headers: [fr ? "Hôte" : "Host", fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Cible" : "Target", fr ? "Gravité" : "Severity",
                      fr ? "Score après" : "Score after", "Gain"],
            rows: view.fixes.map { [$0.host, $0.code, $0.title, $0.target, $0.severity.rawValue, String($0.scoreAfter), "+\($0.gain)"] })
        return [header, domains, fixes, results, trend(view.trend, language)]
    }

    public static func rejected(_ view: RejectedView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        return [TextTable(
            title: fr ? "Fichiers refusés (jamais modifiés ni déplacés)" : "Refused files (never modified or moved)",
            headers: [fr ? "Fichier" : "File", "Code", fr ? "Motif" : "Reason", fr ? "Détail" : "Detail", fr ? "Vu la première fois" : "First seen",
                      fr ? "Vu la dernière fois" : "Last seen", fr ? "Fois" : "Times"],
            rows: view.rejections.map { [$0.path, $0.code, $0.title, $0.message, $0.firstSeen, $0.lastSeen, String($0.seen)] })]
    }
}

/// JSON of any view: pretty, sorted keys.
public enum ViewJSON {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
