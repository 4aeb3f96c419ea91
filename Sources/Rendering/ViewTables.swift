import Agent
import Checks
import Foundation
import Model
import Territory

/// A titled table for people, rendered as aligned text or Markdown (CSV exports are `ExportTables`, typed).
public struct TextTable: Sendable {
    public var title: String?
    public var headers: [String]
    public var rows: [[String]]

    public init(title: String? = nil, headers: [String], rows: [[String]]) {
        self.title = title
        self.headers = headers
        self.rows = rows
    }

    /// Widest column `text` pads to: 120 characters.
    public static let maximumPaddedWidth = 120

    /// Columns aligned with two spaces, a rule under the headers. Every cell and the title are one line
    /// with control and bidirectional formatting characters escaped (`TerminalText.line`): a name from a
    /// signed report can neither repaint the terminal nor break the table into lines of its own.
    public var text: String {
        let headers = headers.map(TerminalText.line)
        let title = title.map(TerminalText.line)
        // A column is padded to its widest cell up to `maximumPaddedWidth`; a longer cell (a 1 MB target in a
        // signed report) is shown whole but not padded to, or every row would be.
        // Each cell's width (characters) counted once; an ASCII cell's is its length in bytes (the escaping left
        // no CR LF, the one ASCII pair that is a single character). 20,000 status rows of 14 cells: counting every
        // cell's characters twice, then joining copies of the padded cells, was a fifth of the status.
        func width(_ cell: String) -> Int {
            var cell = cell
            let ascii = cell.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
            return ascii ? cell.utf8.count : cell.count
        }
        let headerWidths = headers.map(width)
        // The rows' cells escaped, and their widths, in two flat arrays (an array per row was 20,000 more allocations).
        var cells: [String] = []
        var cellWidths: [Int] = []
        var rowEnds: [Int] = []
        let cellCount = rows.reduce(0) { $0 + $1.count }
        cells.reserveCapacity(cellCount)
        cellWidths.reserveCapacity(cellCount)
        rowEnds.reserveCapacity(rows.count)
        var widths = headerWidths.map { min($0, Self.maximumPaddedWidth) }
        for row in rows {
            for (index, raw) in row.enumerated() {
                let cell = TerminalText.line(raw)
                let cellWidth = width(cell)
                if index < widths.count { widths[index] = max(widths[index], min(cellWidth, Self.maximumPaddedWidth)) }
                cells.append(cell)
                cellWidths.append(cellWidth)
            }
            rowEnds.append(cells.count)
        }
        // Written as UTF-8 bytes into one buffer sized at once: 20,000 status rows of 14 cells appended to a `String`, each
        // padding a `String(repeating:)` of its own, was most of the table's time.
        var out: [UInt8] = []
        out.reserveCapacity((title?.utf8.count ?? 0) + 2 + (rows.count + 2) * (widths.reduce(0, +) + 2 * widths.count + 1) * 11 / 10)
        func append(_ text: String) {
            var text = text
            text.withUTF8 { out.append(contentsOf: $0) }
        }
        func pad(_ count: Int) {
            if count > 0 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count)) }
        }
        func line(_ cells: ArraySlice<String>, _ cellWidths: ArraySlice<Int>) {
            for (index, at) in cells.indices.enumerated() {
                if index > 0 { pad(2) }
                append(cells[at])
                if at != cells.endIndex - 1, index < widths.count { pad(widths[index] - cellWidths[at]) }
            }
            out.append(UInt8(ascii: "\n"))
        }
        if let title {
            append(title)
            out.append(UInt8(ascii: "\n"))
        }
        line(headers[...], headerWidths[...])
        for (index, width) in widths.enumerated() {
            if index > 0 { pad(2) }
            for _ in 0..<width { append("─") }
        }
        out.append(UInt8(ascii: "\n"))
        var start = 0
        for end in rowEnds {
            line(cells[start..<end], cellWidths[start..<end])
            start = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A GitHub-flavoured Markdown table under a `###` heading when titled. Cells hold names from signed reports and
    /// rosters: every character Markdown could read as markup (`\\ ` * _ [ ] < > | &`) is escaped with a backslash, as the
    /// commune's digest does, so that a name renders as text (no link, emphasis or HTML tag in a converter that passes
    /// HTML through, no entity reference such as `&#8203;` turned into an invisible or look-alike character); line breaks
    /// become spaces, control characters are escaped as in `text`.
    public var markdown: String {
        func cell(_ value: String) -> String {
            // Most cells hold none of these bytes: kept as they are.
            let marked = value.utf8.contains { byte in
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "["), UInt8(ascii: "]"),
                     UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "&"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): true
                default: false
                }
            }
            guard marked else { return TerminalText.line(value) }
            var out = ""
            out.reserveCapacity(value.utf8.count + 8)
            for character in value {
                if character == "\n" || character == "\r\n" || character == "\r" {
                    out.append(" ")
                    continue
                }
                if "\\`*_[]<>|&".contains(character) { out.append("\\") }
                out.append(character)
            }
            return TerminalText.line(out)
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

    /// The level shown, and the score's own level when a cap lowers it: `E (plafond ; score : C)`.
    static func level(_ line: ScoreLine, _ language: Language) -> String {
        guard let level = line.level else { return line.notEvaluated.isEmpty ? "—" : notEvaluated(language) }
        guard line.isCapped, let own = line.scoreLevel else { return level }
        return language == .fr ? "\(level) (plafond ; score : \(own))" : "\(level) (capped; score: \(own))"
    }

    /// The caps that apply, harshest first: `E aucune sauvegarde (srv-1)`; `·` when none.
    static func caps(_ caps: [AppliedCap], _ language: Language) -> String {
        guard !caps.isEmpty else { return "·" }
        // One string appended to (a string per cap and per host list, then joined, was two fifths of the status's cells).
        var text = ""
        for (index, cap) in caps.enumerated() {
            if index > 0 { text += "; " }
            text += cap.level
            text += " "
            text += cap.title
            guard !cap.hosts.isEmpty else { continue }
            text += " ("
            for (at, host) in cap.hosts.enumerated() {
                if at > 0 { text += ", " }
                text += host
            }
            text += ")"
        }
        return text
    }

    /// After an entity's age: ` ⚠ silencieux` when its newest report is past the silence threshold, else
    /// ` ⚠ 1 serveur silencieux` when some of its servers are (their own latest report past it, or no trusted report
    /// left): the newest report of the others would hide them. Empty when every server reports.
    static func silence(_ entity: StatusView.EntityRow, _ language: Language) -> String {
        let fr = language == .fr
        if entity.stale { return fr ? " ⚠ silencieux" : " ⚠ silent" }
        guard entity.staleHosts > 0 else { return "" }
        let n = entity.staleHosts
        return fr ? " ⚠ \(n) serveur\(n > 1 ? "s" : "") silencieux" : " ⚠ \(n) server\(n > 1 ? "s" : "") silent"
    }

    /// `2/4`.
    static func count(_ part: Int, _ whole: Int) -> String { "\(part)/\(whole)" }

    /// The first five names, then how many more (the JSON has them all).
    static func names(_ names: [String], _ language: Language) -> String {
        names.prefix(5).joined(separator: ", ")
            + (names.count > 5 ? (language == .fr ? " et \(names.count - 5) autres" : " and \(names.count - 5) more") : "")
    }

    /// A domain where every counted result erred: nothing was verified there.
    static func notEvaluated(_ language: Language) -> String { language == .fr ? "non évalué" : "not evaluated" }

    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }

    static func gain(_ value: Double) -> String { String(format: "+%.1f", value) }
}

/// The views as tables (terminal, CSV, Markdown, and the HTML pages' tables).
public enum ViewTables {
    public static func status(_ view: StatusView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let shownDomains = view.filter?.domain.map { [$0] } ?? Domain.allCases
        let domains = shownDomains.map(\.rawValue)
        var rows: [[String]] = []
        for entity in view.entities {
            let failing = domains.map { domain -> String in
                if entity.score.notEvaluated.contains(domain) { return Words.notEvaluated(language) }
                let fail = entity.failing[domain] ?? 0, warn = entity.warnings[domain] ?? 0
                return fail + warn == 0 ? "·" : "\(fail)/\(warn)"
            }
            rows.append([
                (entity.name ?? "") + (entity.inPerimeter ? "" : (fr ? " (hors périmètre)" : " (out of perimeter)")), entity.siren, String(entity.hosts),
                (entity.ageDays.map { fr ? "\($0) j" : "\($0) d" } ?? "—") + Words.silence(entity, language),
                Words.score(entity.score), Words.level(entity.score, language), Words.caps(entity.score.caps, language),
            ] + failing + [Words.percent(entity.score.coverage)])
        }
        for member in view.neverReported {
            rows.append([member.name, member.siren, "0", fr ? "⚠ jamais de rapport" : "⚠ never reported", "—", "—", "·"]
                + domains.map { _ in "—" } + ["—"])
        }
        let headers = [fr ? "Entité" : "Entity", "SIREN", fr ? "Hôtes" : "Hosts", fr ? "Âge" : "Age", "Score", fr ? "Niveau" : "Level",
                       fr ? "Plafonds" : "Caps"]
            + shownDomains.map { Words.domain($0.rawValue, language) + (fr ? " éch./av." : " fail/warn") }
            + [fr ? "Couverture" : "Coverage"]
        let t = view.territory
        let name = t.name ?? (fr ? "Territoire" : "Territory")
        let summary = TextTable(
            title: name + (t.rosterDeclared ? "" : (fr ? " (aucun périmètre déclaré : toutes les entités de la base)" : " (no roster declared: every entity in the store)")),
            headers: [fr ? "Membres" : "Members", fr ? "Avec rapport" : "Reporting", fr ? "Jamais de rapport" : "Never reported",
                      fr ? "Silencieux (> \(t.silentAfterDays) j)" : "Silent (> \(t.silentAfterDays) d)", fr ? "Hors périmètre" : "Out of perimeter",
                      fr ? "Hôtes" : "Hosts", fr ? "Hôtes silencieux" : "Silent hosts", fr ? "Rapports" : "Reports", fr ? "Score (moyenne des membres)" : "Score (members' mean)",
                      fr ? "Niveau" : "Level", fr ? "Plafond" : "Cap", fr ? "Couverture" : "Coverage"],
            rows: [[String(t.members), String(t.entities), String(t.neverReported), String(t.staleEntities), String(t.outOfPerimeter),
                    String(t.hosts), String(t.staleHosts), String(t.reports), Words.score(t.score), Words.level(t.score, language),
                    t.score.caps.first.map { "\($0.level) \($0.title)" + ($0.detail.map { " : \($0)" } ?? "") } ?? "·",
                    Words.percent(t.score.coverage)]])
        return [TextTable(title: fr ? "Entités (les plus en retard d'abord)" : "Entities (furthest behind first)", headers: headers, rows: rows),
                summary, distribution(t, language), domainCounts(t, language)]
            // The fixes are computed on request (`--fixes N`): no empty "fix first" table that reads as "nothing to fix".
            + (view.fixes.isEmpty ? [] : [fixes(view.fixes, language)])
    }

    /// Members per level shown.
    public static func distribution(_ territory: StatusView.Territory, _ language: Language) -> TextTable {
        let fr = language == .fr
        let d = territory.distribution
        return TextTable(
            title: fr ? "Répartition des membres par niveau" : "Members per level",
            headers: Level.allCases.map(\.rawValue) + [fr ? "Non évalué" : "Not evaluated", fr ? "Sans rapport" : "No report"],
            rows: [Level.allCases.map { String(d[$0.rawValue] ?? 0) } + [String(d["non-evalue"] ?? 0), String(d["sans-rapport"] ?? 0)]])
    }

    /// Per domain, members counted: "2/4 aucune sauvegarde".
    public static func domainCounts(_ territory: StatusView.Territory, _ language: Language) -> TextTable {
        let fr = language == .fr
        let whole = territory.entities
        return TextTable(
            title: fr ? "Par domaine, en nombre de membres (sur \(whole) avec rapport)" : "Per domain, members counted (of \(whole) reporting)",
            headers: [fr ? "Domaine" : "Domain", fr ? "Contrôlés" : "Checked", fr ? "Avec un échec" : "With a failure",
                      fr ? "Non évalués" : "Not evaluated", fr ? "Plafonds" : "Caps"],
            rows: territory.domains.map { count in
                [Words.domain(count.domain, language), Words.count(count.members, whole), Words.count(count.failing, whole),
                 Words.count(count.notEvaluated, whole),
                 count.gaps.isEmpty ? "·" : count.gaps.map { "\(Words.count($0.members.count, whole)) \($0.title) (\(Words.names($0.members, language)))" }
                    .joined(separator: "; ")]
            })
    }

    public static func fixes(_ fixes: [RuleFix], _ language: Language) -> TextTable {
        let fr = language == .fr
        return TextTable(
            title: fr ? "À corriger d'abord (gain sur le score du territoire)" : "Fix first (gain on the territory score)",
            headers: [fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Gravité" : "Severity", fr ? "Entités" : "Entities",
                      fr ? "Score après" : "Score after", "Gain"],
            rows: fixes.map { [$0.code, $0.title, $0.severity.label(language), String($0.entities), "\($0.scoreBefore) → \($0.scoreAfter)", Words.gain($0.gain)] })
    }

    /// What a list view could not see, to print before the list so that an empty list is not read as "nothing wrong"
    /// (`territory findings`, `territory certificates`, the dashboard's findings): nothing when every member reported
    /// recently and every check could look (`ViewCoverage.complete`).
    public static func coverage(_ coverage: ViewCoverage, _ language: Language) -> [TextTable] {
        guard let line = coverageLine(coverage, language) else { return [] }
        let fr = language == .fr
        return [TextTable(
            title: line,
            headers: [fr ? "Membres" : "Members", fr ? "Avec rapport" : "Reporting", fr ? "Jamais de rapport" : "Never reported",
                      fr ? "Silencieux" : "Silent", fr ? "Rien de vérifié" : "Nothing verified", fr ? "Contrôles en erreur" : "Checks in error",
                      fr ? "Domaine non contrôlé" : "Domain not checked"],
            rows: [[coverage.members, coverage.reporting, coverage.neverReported, coverage.silent, coverage.notEvaluated, coverage.withErrors,
                    coverage.notChecked].map(String.init)])]
    }

    /// One sentence on what the list could not see, nil when it saw everything: "Vue partielle : 3 membres sur 10 jamais
    /// évalués …" (also the CSV's note line).
    public static func coverageLine(_ coverage: ViewCoverage, _ language: Language) -> String? {
        guard !coverage.complete else { return nil }
        let fr = language == .fr
        var parts: [String] = []
        if coverage.reporting == 0 {
            parts.append(coverage.members == 1
                ? (fr ? "le membre n'a aucun rapport" : "the member has no report")
                : (fr ? "aucun des \(coverage.members) membres n'a de rapport" : "none of the \(coverage.members) members has a report"))
        } else if coverage.neverReported > 0 {
            parts.append(fr ? "\(coverage.neverReported) membre(s) sur \(coverage.members) sans aucun rapport"
                            : "\(coverage.neverReported) of \(coverage.members) member(s) never reported")
        }
        if coverage.silent > 0 {
            parts.append(fr ? "\(coverage.silent) avec un serveur silencieux ou sans rapport de confiance"
                            : "\(coverage.silent) with a server silent or without a trusted report")
        }
        if coverage.notEvaluated > 0 {
            parts.append(fr ? "\(coverage.notEvaluated) dont les rapports n'ont rien pu vérifier" : "\(coverage.notEvaluated) whose reports verified nothing")
        }
        if coverage.withErrors > 0 {
            parts.append(fr ? "\(coverage.withErrors) avec des contrôles en erreur" : "\(coverage.withErrors) with checks in error")
        }
        if coverage.notChecked > 0 {
            parts.append(fr ? "\(coverage.notChecked) avec un serveur dont le dernier rapport n'a aucun contrôle de ce domaine"
                            : "\(coverage.notChecked) with a server whose latest report has no check of this domain")
        }
        return fr
            ? "⚠ Vue partielle : \(parts.joined(separator: " ; ")). Ce qui n'a pas été vu n'est pas listé : une liste vide ne veut pas dire que tout va bien."
            : "⚠ Partial view: \(parts.joined(separator: "; ")). What was not seen is not listed: an empty list does not mean all is well."
    }

    public static func findings(_ view: FindingsView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let rows = view.findings.map { finding -> [String] in
            // Three names, then how many others: the view may list only the first three (`affectedLimit`), its counts are whole.
            let who = finding.affected.prefix(3).map { $0.name ?? $0.siren }.joined(separator: ", ")
                + (finding.entities > 3 ? (fr ? " et \(finding.entities - 3) autres" : " and \(finding.entities - 3) more") : "")
            let fixes = finding.resolvedByTotal ?? finding.resolvedBy.count
            let fixedBy = finding.resolvedBy.prefix(3).map { "\($0.name ?? $0.siren) / \($0.host) (\($0.at.prefix(10)))" }.joined(separator: ", ")
                + (fixes > 3 ? (fr ? " et \(fixes - 3) autres" : " and \(fixes - 3) more") : "")
            return [finding.code, finding.title, finding.severity.label(language), String(finding.entities), String(finding.hosts), String(finding.results),
                    String(finding.new), String(finding.persistent), String(finding.resolved), Words.gain(finding.gain), who, fixedBy]
        }
        return [TextTable(
            title: fr ? "Constats du territoire (gravité × entités)" : "Territory findings (severity × entities)",
            headers: [fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Gravité" : "Severity", fr ? "Entités" : "Entities", fr ? "Hôtes" : "Hosts",
                      fr ? "Cibles" : "Targets", fr ? "Nouveaux" : "New", fr ? "Persistants" : "Persistent", fr ? "Résolus" : "Resolved",
                      fr ? "Gain si corrigé" : "Gain if fixed", fr ? "Qui" : "Who", fr ? "Corrigé par (le)" : "Fixed by (on)"],
            rows: rows)]
    }

    public static func certificates(_ view: CertificatesView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        return [TextTable(
            title: fr ? "Certificats expirant sous \(view.windowDays) jours (les plus proches d'abord)" : "Certificates expiring within \(view.windowDays) days (soonest first)",
            headers: [fr ? "Fin de validité" : "Not after", fr ? "Jours" : "Days", fr ? "Sujet" : "Subject", fr ? "Émetteur" : "Issuer",
                      fr ? "Entité" : "Entity", fr ? "Hôte" : "Host", fr ? "Cible" : "Target", fr ? "Type" : "Kind", "SHA-256"],
            rows: view.certificates.map {
                [PeopleTime.string(iso: $0.notAfter), String($0.daysLeft), $0.subject ?? "", $0.issuer ?? "", $0.entity ?? $0.siren, $0.host, $0.target,
                 $0.kind == "file" ? (fr ? "fichier" : "file") : (fr ? "servi" : "served"), $0.sha256 ?? ""]
            })] + (view.unverified.isEmpty ? [] : [TextTable(
                title: fr
                    ? "Certificats non vérifiés : le contrôle n'a pas pu lire leur date de fin (à vérifier à la main)"
                    : "Certificates not verified: the check could not read when they end (check them by hand)",
                headers: [fr ? "Entité" : "Entity", fr ? "Hôte" : "Host", fr ? "Cible" : "Target", fr ? "Type" : "Kind", fr ? "Statut" : "Status",
                          fr ? "Raison" : "Reason"],
                rows: view.unverified.map {
                    [$0.entity ?? $0.siren, $0.host, $0.target, $0.kind == "file" ? (fr ? "fichier" : "file") : (fr ? "servi" : "served"),
                     $0.status, $0.reason ?? ""]
                })])
    }

    public static func trend(_ points: [TrendPoint], _ language: Language, title: String? = nil) -> TextTable {
        let fr = language == .fr
        return TextTable(
            title: title ?? (fr ? "Évolution du score" : "Score over time"),
            headers: [fr ? "Rapport du" : "Report of", fr ? "Hôte" : "Host", "Score", fr ? "Niveau" : "Level", fr ? "Plafonds" : "Caps",
                      fr ? "Couverture" : "Coverage", fr ? "Hôtes" : "Hosts"],
            rows: points.map {
                [$0.at, $0.host ?? "", $0.score.map(String.init) ?? "—",
                 ($0.level ?? "—") + ($0.level != $0.scoreLevel ? (fr ? " (score : \($0.scoreLevel ?? "—"))" : " (score: \($0.scoreLevel ?? "—"))") : ""),
                 $0.caps.isEmpty ? "·" : $0.caps.joined(separator: "; "), Words.percent($0.coverage), String($0.hosts)]
            })
    }

    public static func detail(_ view: DetailView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let header = TextTable(
            title: "\(view.name ?? view.siren) — SIREN \(view.siren) — score \(Words.score(view.score)) \(Words.level(view.score, language))"
                + (view.stale ? (fr ? " — ⚠ rapport ancien" : " — ⚠ stale report") : "")
                + (view.inPerimeter ? "" : (fr ? " — hors périmètre" : " — out of perimeter")),
            headers: [fr ? "Hôte" : "Host", fr ? "Rapport" : "Report", fr ? "Généré le" : "Generated", fr ? "Signé le" : "Signed", "Score",
                      fr ? "Niveau" : "Level", fr ? "Plafonds" : "Caps", fr ? "Couverture" : "Coverage", "Profil", "OS"],
            rows: view.reports.map {
                [$0.host, $0.id, PeopleTime.string(iso: $0.generatedAt), PeopleTime.string(iso: $0.signingTime), Words.score($0.score), Words.level($0.score, language),
                 Words.caps($0.score.caps, language), Words.percent($0.score.coverage), $0.profile, $0.os ?? ""]
            } + view.silentHosts.filter(\.withdrawn).map {
                // A server whose every report was withdrawn: counted in the entity, silent, its caps unverified.
                [$0.host, fr ? "aucun (rapports retirés, signataire révoqué)" : "none (reports withdrawn, signer revoked)", "—", "—", "—", "—",
                 fr ? "non vérifiés" : "unverified", "—", "", ""]
            })
        let caps = TextTable(
            title: fr ? "Plafonds (écarts critiques qui limitent le niveau)" : "Caps (critical gaps that limit the level)",
            headers: [fr ? "Niveau maximal" : "Maximum level", fr ? "Écart" : "Gap", fr ? "Hôtes" : "Hosts", fr ? "Détail" : "Detail",
                      fr ? "Sources" : "Sources"],
            rows: view.score.caps.map { [$0.level, $0.title, $0.hosts.joined(separator: ", "), $0.detail ?? "", $0.sources.joined(separator: ", ")] })
        let domains = TextTable(
            title: fr ? "Score par domaine" : "Score per domain",
            headers: [fr ? "Domaine" : "Domain", "Score"],
            rows: Domain.allCases.filter { view.filter?.keeps(domain: $0) ?? true }.compactMap { domain in
                if view.score.notEvaluated.contains(domain.rawValue) {
                    return [Words.domain(domain.rawValue, language), Words.notEvaluated(language) + (fr ? " (compte 0)" : " (counts 0)")]
                }
                return view.score.domains[domain.rawValue].map { [Words.domain(domain.rawValue, language), String($0)] }
            })
        let results = TextTable(
            title: fr ? "Résultats des derniers rapports" : "Results of the latest reports",
            headers: [fr ? "Statut" : "Status", fr ? "Gravité" : "Severity", fr ? "Hôte" : "Host", fr ? "Règle" : "Rule", fr ? "Titre" : "Title",
                      fr ? "Cible" : "Target", fr ? "Détail" : "Detail"],
            rows: view.results.map { [$0.status.label(language), $0.severity.label(language), $0.host, $0.code, $0.title, $0.target, $0.reason ?? ""] })
        let fixes = TextTable(
            title: fr ? "À corriger d'abord" : "Fix first",
            headers: [fr ? "Hôte" : "Host", fr ? "Règle" : "Rule", fr ? "Titre" : "Title", fr ? "Cible" : "Target", fr ? "Gravité" : "Severity",
                      fr ? "Score après" : "Score after", "Gain"],
            rows: view.fixes.map { [$0.host, $0.code, $0.title, $0.target, $0.severity.label(language), String($0.scoreAfter), "+\($0.gain)"] })
        return [header, domains, caps, fixes, results, trend(view.trend, language)]
    }

    public static func rejected(_ view: RejectedView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        return [TextTable(
            title: fr ? "Fichiers refusés (jamais modifiés ni déplacés)" : "Refused files (never modified or moved)",
            headers: [fr ? "Fichier" : "File", "Code", fr ? "Motif" : "Reason", fr ? "Détail" : "Detail", fr ? "Vu la première fois" : "First seen",
                      fr ? "Vu la dernière fois" : "Last seen", fr ? "Fois" : "Times"],
            rows: view.rejections.map { [$0.path, $0.code, $0.title, $0.message, PeopleTime.string(iso: $0.firstSeen), PeopleTime.string(iso: $0.lastSeen), String($0.seen)] })]
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
