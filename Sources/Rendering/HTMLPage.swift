import Agent
import Checks
import Foundation
import Model
import Territory

/// Self-contained HTML: one file, inline CSS and SVG, no script, no external resource (it works
/// offline and survives being mailed).
public enum HTMLPage {
    /// Escapes text for HTML content and attribute values (`& < > " '`).
    public static func escape(_ text: String) -> String {
        // Most cells need nothing escaped (a 20,000-entity dashboard escapes a million of them).
        if !text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) { return text }
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1b1f24;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
        .meta{color:#57606a;font-size:13px}.kpis{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0}
        .kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:110px}.kpi b{display:block;font-size:22px}
        table{border-collapse:collapse;font-size:12px;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}td.wrap{overflow-wrap:anywhere}
        th{background:#f6f8fa}td.n{text-align:right}.stale{color:#b35900;font-weight:600}svg{max-width:100%;height:auto}
        svg text{font-family:system-ui,sans-serif}.lvl{display:inline-block;min-width:18px;text-align:center;border-radius:3px;font-weight:700}
        .id{font-family:ui-monospace,monospace;white-space:nowrap;text-decoration:underline dotted}
        .cap{border-left:4px solid #b42318;background:#fff5f5;padding:6px 10px;margin:8px 0}
        ol.legend{font-size:12px;columns:2;column-gap:32px;margin:4px 0 0;padding-left:22px}
        @media print{svg{max-width:none}.kpis{break-inside:avoid}h2{break-after:avoid}}
        """

    /// The fill of a score (its level's, `Palette`).
    static func color(_ score: Int?) -> String { Palette.score(score).fill }

    /// A long identifier (a SHA-256 or any fingerprint of 40 hex digits or more, colons allowed) shortened
    /// to its first 12 digits, the full value on hover (`title`) and in the JSON; nil for anything else.
    static func shortIdentifier(_ cell: String) -> String? {
        // Fewer than 40 bytes cannot hold 40 hex digits.
        guard cell.utf8.count >= 40 else { return nil }
        let digits = cell.filter { $0 != ":" }
        guard digits.count >= 40, digits.allSatisfy(\.isHexDigit) else { return nil }
        return "<span class=\"id\" title=\"\(escape(cell))\">\(escape(String(digits.prefix(12))))…</span>"
    }

    static func page(title: String, language: Language, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(escape(title))</title><style>\(style)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    static func table(_ table: TextTable) -> String {
        var out = ""
        if let title = table.title { out += "<h2>\(escape(title))</h2>\n" }
        if table.rows.isEmpty { return out + "<p class=\"meta\">—</p>\n" }
        out += "<table><thead><tr>" + table.headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in table.rows {
            out += "<tr>" + row.map { cell in
                if let short = shortIdentifier(cell) { return "<td>\(short)</td>" }
                let numeric = Double(cell.utf8.contains(0x25) ? cell.replacingOccurrences(of: " %", with: "") : cell) != nil
                if numeric { return "<td class=\"n\">\(escape(cell))</td>" }
                // A long unbroken value (a path, a distinguished name) may break anywhere rather than widen the page.
                let longWord = cell.utf8.count > 30 && cell.split(separator: " ").contains { $0.count > 30 }
                return longWord ? "<td class=\"wrap\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    /// A page of tables, with optional SVG charts before them.
    public static func render(title: String, subtitle: String, tables: [TextTable], charts: [String] = [], language: Language) -> String {
        var body = "<h1>\(escape(title))</h1><p class=\"meta\">\(escape(subtitle))</p>\n"
        body += charts.joined(separator: "\n")
        body += tables.map(table).joined()
        return page(title: title, language: language, body: body)
    }

    /// Host or entity pages: one section per entity (its reports, score, trend chart, fixes, results).
    public static func details(_ views: [DetailView], title: String, language: Language) -> String {
        let meta = [views.first.map { PeopleTime.string(iso: $0.now) }, views.first?.filter?.line(language)].compactMap { $0 }.joined(separator: " — ")
        var body = "<h1>\(escape(title))</h1><p class=\"meta\">\(escape(meta))</p>\n"
        for view in views {
            let tables = ViewTables.detail(view, language)
            body += "<section>\n" + table(tables[0])
            body += trendChart(view.trend, language: language, title: language == .fr ? "Évolution du score" : "Score over time")
            body += tables.dropFirst().map(table).joined() + "</section>\n"
        }
        return page(title: title, language: language, body: body)
    }

    // MARK: charts

    /// Width in pixels of `text` at `size` px in a sans-serif font, generously estimated (no font metrics
    /// here): labels are laid out so that they are never clipped.
    static func textWidth(_ text: String, size: Double) -> Int { Int((Double(text.count) * size * 0.62).rounded(.up)) + 8 }

    /// Entities × domains, each cell filled by the level of the domain score (text in the palette's colour
    /// for that fill), then the overall score and level shown, then the harshest cap; members that never
    /// reported as grey rows. The `limit` entities furthest behind. Names are never shortened: the label
    /// column is as wide as the longest name.
    public static func heatMap(_ status: StatusView, language: Language, limit: Int = 300) -> String {
        let fr = language == .fr
        let entities = Array(status.entities.prefix(limit))
        let silent = status.neverReported.prefix(max(0, limit - entities.count))
        let domains = Domain.allCases.map(\.rawValue)
        let names = entities.map { ($0.name ?? $0.siren) + ($0.stale ? " ⚠" : "") + ($0.inPerimeter ? "" : (fr ? " (hors périmètre)" : " (out of perimeter)")) }
            + silent.map(\.name)
        let labelWidth = max(160, names.map { textWidth($0, size: 11) }.max() ?? 0)
        let cell = 84, row = 16, top = 40
        let capWidth = max(120, (entities.compactMap { $0.score.caps.first.map { "\($0.level) \($0.title)" } }.map { textWidth($0, size: 10) }.max() ?? 0))
        let width = labelWidth + cell * (domains.count + 1) + 8 + capWidth
        let height = top + row * max(names.count, 1) + 10
        var svg = "<h2>\(fr ? "Carte de chaleur : entités × domaines" : "Heat map: entities × domains")</h2>\n"
        if status.entities.count > limit || status.neverReported.count > limit {
            // The dashboard's table is cut at the same limit (`listLimit`): the command lists them all.
            svg += "<p class=\"meta\">\(fr ? "Les \(limit) entités les plus en retard sur \(status.entities.count) ; toutes : " : "The \(limit) entities furthest behind out of \(status.entities.count); all: ")\(command("cyberctl territory status --format csv"))</p>\n"
        } else if status.entities.count + status.neverReported.count > limit {
            svg += "<p class=\"meta\">\(fr ? "Les \(limit) entités les plus en retard sur \(status.entities.count) ; toutes figurent dans le tableau." : "The \(limit) entities furthest behind out of \(status.entities.count); all are in the table.")</p>\n"
        }
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"heat map\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        for (index, domain) in (domains + ["overall"]).enumerated() {
            let x = labelWidth + index * cell + cell / 2
            let label = domain == "overall" ? (fr ? "Global" : "Overall") : Words.domain(domain, language)
            svg += "<text x=\"\(x)\" y=\"\(top - 10)\" font-size=\"11\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        let capX = labelWidth + (domains.count + 1) * cell + 8
        svg += "<text x=\"\(capX)\" y=\"\(top - 10)\" font-size=\"11\">\(fr ? "Plafond" : "Cap")</text>\n"
        func cellSVG(x: Int, y: Int, pair: Palette.Pair, text: String, title: String, bold: Bool = false) -> String {
            "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(row - 2)\" fill=\"\(pair.fill)\"><title>\(escape(title))</title></rect>"
                + "<text x=\"\(x + cell / 2 - 1)\" y=\"\(y + 11)\" font-size=\"10\" fill=\"\(pair.text)\"\(bold ? " font-weight=\"bold\"" : "") text-anchor=\"middle\">\(escape(text))</text>"
        }
        for (rowIndex, entity) in entities.enumerated() {
            let y = top + rowIndex * row
            let name = entity.name ?? entity.siren
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 12)\" font-size=\"11\" text-anchor=\"end\">\(escape(names[rowIndex]))</text>\n"
            for (index, domain) in domains.enumerated() {
                let score = entity.score.domains[domain]
                let notEvaluated = entity.score.notEvaluated.contains(domain)
                let shown = notEvaluated ? Words.notEvaluated(language) : score.map(String.init) ?? "—"
                let pair = notEvaluated ? Palette.notEvaluated : score == nil ? Palette.noReport : Palette.score(score)
                svg += cellSVG(
                    x: labelWidth + index * cell, y: y, pair: pair, text: notEvaluated ? "?" : score.map(String.init) ?? "",
                    title: "\(name) — \(Words.domain(domain, language)) : \(shown)") + "\n"
            }
            let overall = "\(Words.score(entity.score)) \(entity.score.level ?? "")" + (entity.score.isCapped ? "*" : "")
            svg += cellSVG(
                x: labelWidth + domains.count * cell, y: y, pair: Palette.level(entity.score.level), text: overall,
                title: "\(name) — \(Words.level(entity.score, language))", bold: true)
            if let cap = entity.score.caps.first {
                svg += "<text x=\"\(capX)\" y=\"\(y + 11)\" font-size=\"10\">\(escape("\(cap.level) \(cap.title)"))\(entity.score.caps.count > 1 ? " +\(entity.score.caps.count - 1)" : "")</text>"
            }
            svg += "\n"
        }
        for (offset, member) in silent.enumerated() {
            let y = top + (entities.count + offset) * row
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 12)\" font-size=\"11\" text-anchor=\"end\">\(escape(member.name))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(cell * (domains.count + 1) - 2)\" height=\"\(row - 2)\" fill=\"\(Palette.noReport.fill)\"/>"
            svg += "<text x=\"\(labelWidth + cell * (domains.count + 1) / 2)\" y=\"\(y + 11)\" font-size=\"10\" fill=\"\(Palette.noReport.text)\" text-anchor=\"middle\">\(fr ? "jamais de rapport" : "never reported")</text>\n"
        }
        return svg + "</svg>\n" + (entities.contains { $0.score.isCapped } ? "<p class=\"meta\">* \(fr ? "niveau limité par un plafond (colonne Plafond)" : "level limited by a cap (Cap column)")</p>\n" : "")
    }

    /// Members per level shown (A–E), not evaluated, and never reported: one bar each, filled by the level.
    public static func distribution(_ status: StatusView, language: Language) -> String {
        let fr = language == .fr
        let d = status.territory.distribution
        let bins: [(label: String, count: Int, pair: Palette.Pair)] = Level.allCases.map { ($0.rawValue, d[$0.rawValue] ?? 0, Palette.level($0.rawValue)) }
            + [(fr ? "non évalué" : "not evaluated", d["non-evalue"] ?? 0, Palette.notEvaluated), (fr ? "sans rapport" : "no report", d["sans-rapport"] ?? 0, Palette.noReport)]
        let maximum = max(bins.map(\.count).max() ?? 1, 1)
        let width = 600, height = 220, left = 20, bottom = 30, barWidth = 70
        var svg = "<h2>\(fr ? "Répartition des membres par niveau" : "Members per level")</h2>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"distribution\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        let plot = height - bottom - 20
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#57606a\"/>\n"
        for (index, bin) in bins.enumerated() {
            let barHeight = Int((Double(bin.count) / Double(maximum) * Double(plot)).rounded())
            let x = left + index * (barWidth + 12)
            svg += "<rect x=\"\(x)\" y=\"\(height - bottom - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"\(bin.pair.fill)\"><title>\(escape(bin.label)) : \(bin.count)</title></rect>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom - barHeight - 4)\" font-size=\"11\" text-anchor=\"middle\">\(bin.count)</text>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom + 14)\" font-size=\"10\" text-anchor=\"middle\">\(escape(bin.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Score over time as a line with one dot per report (dots left out beyond 300 reports: the line stays).
    public static func trendChart(_ points: [TrendPoint], language: Language, title: String? = nil, note: String? = nil) -> String {
        let fr = language == .fr
        let scored = points.filter { $0.score != nil }
        var svg = "<h2>\(escape(title ?? (fr ? "Évolution du score du territoire" : "Territory score over time")))</h2>\n"
        if let note { svg += "<p class=\"meta\">\(escape(note))</p>\n" }
        guard !scored.isEmpty else { return svg + "<p class=\"meta\">—</p>\n" }
        let width = 640, height = 240, left = 40, right = 20, top = 16, bottom = 40
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ index: Int) -> Int { scored.count == 1 ? left + plotWidth / 2 : left + index * plotWidth / (scored.count - 1) }
        func y(_ score: Int) -> Int { top + plotHeight - score * plotHeight / 100 }
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"trend\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        for level in [0, 40, 60, 75, 90, 100] {
            svg += "<line x1=\"\(left)\" y1=\"\(y(level))\" x2=\"\(width - right)\" y2=\"\(y(level))\" stroke=\"#eaeef2\"/><text x=\"\(left - 6)\" y=\"\(y(level) + 4)\" font-size=\"10\" text-anchor=\"end\">\(level)</text>\n"
        }
        let path = scored.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(x($0.offset)),\(y($0.element.score!))" }.joined(separator: " ")
        svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>\n"
        for (index, point) in scored.enumerated() where scored.count <= 300 {
            svg += "<circle cx=\"\(x(index))\" cy=\"\(y(point.score!))\" r=\"3\" fill=\"\(color(point.score))\"><title>\(escape(point.at)) : \(point.score!) (\(point.level ?? ""))</title></circle>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 8)\" font-size=\"10\">\(escape(scored.first!.at))</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 8)\" font-size=\"10\" text-anchor=\"end\">\(escape(scored.last!.at))</text>\n"
        return svg + "</svg>\n"
    }

    /// Certificates on a day axis from the earliest (possibly expired) to the window's end: one numbered dot
    /// each, and under the chart the numbered list (subject, entity / host, end date): labels that a printed
    /// page keeps, unlike hover titles.
    /// With `tableLimit`, the page's table lists only that many (`dashboard`): the note then gives the command for all.
    public static func certificateTimeline(_ view: CertificatesView, language: Language, tableLimit: Int = .max) -> String {
        let fr = language == .fr
        var svg = "<h2>\(fr ? "Échéancier des certificats (\(view.windowDays) jours)" : "Certificate expiry timeline (\(view.windowDays) days)")</h2>\n"
        guard !view.certificates.isEmpty else { return svg + "<p class=\"meta\">\(fr ? "Aucun certificat n'expire dans la fenêtre." : "No certificate expires within the window.")</p>\n" }
        let shown = Array(view.certificates.prefix(60))
        let first = min(0, shown.map(\.daysLeft).min() ?? 0)
        let last = max(view.windowDays, 1)
        let width = 720, left = 30, right = 30, axis = 60, laneHeight = 18
        var laneUse: [Int: Int] = [:]
        var placed: [(x: Int, lane: Int, certificate: CertificatesView.Certificate)] = []
        func x(_ day: Int) -> Int { left + (day - first) * (width - left - right) / max(last - first, 1) }
        for certificate in shown {
            // Dots closer than 16 px share a column and stack in lanes.
            let column = x(certificate.daysLeft) / 16
            let lane = laneUse[column, default: 0]
            laneUse[column] = lane + 1
            placed.append((x(certificate.daysLeft), lane, certificate))
        }
        let lanes = max(1, (laneUse.values.max() ?? 1))
        let height = axis + lanes * laneHeight + 30
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"certificate timeline\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(axis)\" x2=\"\(width - right)\" y2=\"\(axis)\" stroke=\"#57606a\"/>\n"
        svg += "<line x1=\"\(x(0))\" y1=\"\(axis - 40)\" x2=\"\(x(0))\" y2=\"\(height - 10)\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>"
        svg += "<text x=\"\(x(0))\" y=\"\(axis - 44)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#cf222e\">\(fr ? "aujourd'hui" : "today")</text>\n"
        for tick in stride(from: 0, through: last, by: max(1, last / 6)) {
            svg += "<text x=\"\(x(tick))\" y=\"\(axis - 6)\" font-size=\"10\" text-anchor=\"middle\">+\(tick) \(fr ? "j" : "d")</text>\n"
        }
        for (index, dot) in placed.enumerated() {
            let day = dot.certificate.daysLeft
            let colour = day < 0 ? "#cf222e" : day <= 15 ? "#d1242f" : day <= 30 ? "#bc4c00" : "#9a6700"
            let y = axis + 12 + dot.lane * laneHeight
            svg += "<circle cx=\"\(dot.x)\" cy=\"\(y)\" r=\"5\" fill=\"\(colour)\"><title>\(escape(dot.certificate.subject ?? dot.certificate.target)) — \(escape(dot.certificate.entity ?? dot.certificate.siren)) / \(escape(dot.certificate.host)) — \(escape(PeopleTime.string(iso: dot.certificate.notAfter)))</title></circle>"
            svg += "<text x=\"\(dot.x + 7)\" y=\"\(y + 4)\" font-size=\"10\" fill=\"#1b1f24\">\(index + 1)</text>\n"
        }
        svg += "</svg>\n<ol class=\"legend\">\n"
        for dot in placed {
            let c = dot.certificate
            let when = c.daysLeft < 0 ? (fr ? "expiré depuis \(-c.daysLeft) j" : "expired \(-c.daysLeft) d ago") : (fr ? "dans \(c.daysLeft) j" : "in \(c.daysLeft) d")
            svg += "<li>\(escape(c.subject ?? c.target)) — \(escape(c.entity ?? c.siren)) / \(escape(c.host)) — \(escape(PeopleTime.day(iso: c.notAfter))) (\(when))</li>\n"
        }
        svg += "</ol>\n"
        if view.certificateCount > tableLimit {
            let window = "\(view.windowDays)\(fr ? "j" : "d")"
            svg += "<p class=\"meta\">\(fr ? "Les \(shown.count) plus proches sur \(view.certificateCount) ; le tableau en donne \(tableLimit), tous : " : "The \(shown.count) soonest of \(view.certificateCount); the table gives \(tableLimit), all: ")\(command("cyberctl territory certificates --expiring \(window)"))</p>\n"
        } else if view.certificateCount > shown.count {
            svg += "<p class=\"meta\">\(fr ? "Les \(shown.count) plus proches sur \(view.certificateCount) ; tous figurent dans le tableau." : "The \(shown.count) soonest of \(view.certificateCount); all are in the table.")</p>\n"
        }
        return svg
    }

    /// The territory dashboard: key figures (the members' mean, the level and its cap), heat map, members
    /// per level, per-domain member counts, trend, certificate timeline, fixes, findings and the entity table.
    /// A large territory's long lists (entities, heat map, certificates) are cut at `listLimit` rows, the furthest
    /// behind or soonest first, each with the exact count of all and the command that lists them; its trend is drawn
    /// one point per day beyond `trendPointLimit` reports (docs/territory.md, "The dashboard of a large territory").
    public static func dashboard(
        status: StatusView, trend: TrendView, certificates: CertificatesView, findings: FindingsView, language: Language,
        listLimit: Int = HTMLPage.listLimit
    ) -> String {
        let fr = language == .fr
        let t = status.territory
        let title = (fr ? "Tableau de bord du territoire" : "Territory dashboard") + (t.name.map { " — \($0)" } ?? "")
        var body = "<h1>\(escape(title))</h1>\n"
        body += "<p class=\"meta\">\(fr ? "Établi le" : "Generated on") \(escape(PeopleTime.string(iso: status.now))) — \(fr ? "rapports signés et vérifiés" : "signed and verified reports") — cyberctl"
        if !t.rosterDeclared { body += fr ? " — aucun périmètre déclaré : toutes les entités de la base sont comptées" : " — no roster declared: every entity in the store counts" }
        body += "</p>\n"
        if let line = status.filter?.line(language) {
            body += "<p class=\"cap\"><b>\(escape(line))</b>\(escape(fr ? " : les entités, domaines, corrections, constats et certificats montrés sont filtrés ; les chiffres clés restent ceux du territoire entier." : ": the entities, domains, fixes, findings and certificates shown are filtered; the key figures remain the whole territory's."))</p>\n"
        }
        func kpi(_ label: String, _ value: String, colour: String? = nil) -> String {
            "<div class=\"kpi\"\(colour.map { " style=\"border-color:\($0)\"" } ?? "")><b>\(escape(value))</b>\(escape(label))</div>"
        }
        body += "<div class=\"kpis\">"
            + kpi(fr ? "Score du territoire (moyenne des membres) et niveau" : "Territory score (members' mean) and level",
                  "\(Words.score(t.score)) \(t.score.level ?? "")", colour: Palette.level(t.score.level).fill)
            + kpi(fr ? "Membres avec rapport" : "Members reporting", "\(t.entities) / \(t.members)")
            + kpi(fr ? "Jamais de rapport" : "Never reported", String(t.neverReported))
            + kpi(fr ? "Silencieux (> \(t.silentAfterDays) j)" : "Silent (> \(t.silentAfterDays) d)", String(t.staleEntities))
            + kpi(fr ? "Hors périmètre" : "Out of perimeter", String(t.outOfPerimeter))
            + kpi(fr ? "Hôtes" : "Hosts", String(t.hosts))
            + kpi(fr ? "Hôtes silencieux (> \(t.silentAfterDays) j)" : "Silent hosts (> \(t.silentAfterDays) d)", String(t.staleHosts))
            + kpi(fr ? "Rapports" : "Reports", String(t.reports))
            + kpi(fr ? "Couverture" : "Coverage", Words.percent(t.score.coverage))
            + kpi(fr ? "Certificats à renouveler" : "Certificates to renew", String(certificates.certificateCount))
            + "</div>\n"
        if let cap = t.score.caps.first, t.score.isCapped {
            body += "<p class=\"cap\"><b>\(escape(fr ? "Niveau limité à \(cap.level) (le score seul donnerait \(t.score.scoreLevel ?? "—")) : " : "Level capped at \(cap.level) (the score alone gives \(t.score.scoreLevel ?? "—")): "))</b>\(escape(cap.title))\(escape(cap.detail.map { " — \($0)" } ?? ""))</p>\n"
        }
        body += heatMap(status, language: language, limit: listLimit)
        body += distribution(status, language: language)
        body += table(ViewTables.domainCounts(t, language))
        if status.entities.count > listLimit || status.neverReported.count > listLimit {
            // Every member under a cap stays findable: counted exactly here, the furthest behind first in the table below.
            let silent = t.neverReported == 0 ? "" : fr ? " (dont \(t.neverReported) sans rapport)" : " (\(t.neverReported) of them never reported)"
            body += "<p class=\"meta\">\(escape(fr ? "\(t.membersUnderCap.count) membres sous un plafond\(silent), les plus en retard d'abord dans le tableau des entités ; la liste complète, chacun avec ses plafonds : " : "\(t.membersUnderCap.count) members under a cap\(silent), the furthest behind first in the entity table; the full list, each with its caps: "))\(command("cyberctl territory status --format csv"))</p>\n"
        }
        // A trend of more than `trendPointLimit` reports is drawn one point per day (`TerritoryViews.trend(filter:dailyBeyond:)`).
        let sampled = trend.dailyOfReports ?? (trend.points.count > trendPointLimit ? trend.points.count : nil)
        body += trendChart(dailyIfLong(trend.points), language: language, note: sampled.map { reports in
            fr ? "Un point par jour : le territoire après le dernier rapport du jour (\(reports) rapports ; un point par rapport : cyberctl territory trend)."
                : "One point per day: the territory after the day's last report (\(reports) reports; one point per report: cyberctl territory trend)."
        })
        body += certificateTimeline(certificates, language: language, tableLimit: listLimit)
        body += table(ViewTables.fixes(status.fixes, language))
        body += (ViewTables.coverage(findings.coverage, language) + ViewTables.findings(findings, language)).map(table).joined()
        var shownCertificates = certificates
        shownCertificates.certificates = Array(certificates.certificates.prefix(listLimit))
        shownCertificates.unverified = Array(certificates.unverified.prefix(listLimit))
        body += ViewTables.certificates(shownCertificates, language).map(table).joined()
        if certificates.certificateCount > listLimit || certificates.unverifiedCount > listLimit {
            let window = "\(certificates.windowDays)\(fr ? "j" : "d")"
            let unread = certificates.unverified.isEmpty ? "" : fr
                ? ", et \(shownCertificates.unverified.count) sur \(certificates.unverifiedCount) dont l'échéance n'a pu être lue"
                : ", and \(shownCertificates.unverified.count) of \(certificates.unverifiedCount) whose end could not be read"
            body += "<p class=\"meta\">\(escape(fr ? "Les \(shownCertificates.certificates.count) plus proches sur \(certificates.certificateCount) certificats à renouveler\(unread) ; la liste complète : " : "The \(shownCertificates.certificates.count) soonest of \(certificates.certificateCount) certificates to renew\(unread); the full list: "))\(command("cyberctl territory certificates --expiring \(window) --format csv"))</p>\n"
        }
        var shownStatus = status
        shownStatus.entities = Array(status.entities.prefix(listLimit))
        shownStatus.neverReported = Array(status.neverReported.prefix(listLimit))
        body += table(ViewTables.status(shownStatus, language)[0])
        if status.entities.count > listLimit || status.neverReported.count > listLimit {
            let silent = status.neverReported.isEmpty ? "" : fr
                ? ", et \(shownStatus.neverReported.count) des \(status.neverReported.count) membres sans rapport"
                : ", and \(shownStatus.neverReported.count) of the \(status.neverReported.count) members that never reported"
            body += "<p class=\"meta\">\(escape(fr ? "Les \(shownStatus.entities.count) entités les plus en retard sur \(status.entities.count)\(silent) ; la liste complète : " : "The \(shownStatus.entities.count) entities furthest behind of \(status.entities.count)\(silent); the full list: "))\(command("cyberctl territory status --format csv"))</p>\n"
        }
        return page(title: title, language: language, body: body)
    }

    /// Rows of the dashboard's long lists (entities, the heat map, certificates, certificates whose end could not be
    /// read): beyond it, the first rows only (the furthest behind, the soonest), the exact count of all and the command
    /// that lists them. A territory under the limit gets every row, as before.
    public static let listLimit = 300

    /// Points of a trend chart beyond which the dashboard draws one point per day.
    public static let trendPointLimit = 300

    /// `points` (oldest first) as they are when at most `trendPointLimit`, else the last point of each UTC day: the
    /// territory as it stood after that day's last report (the per-report series sampled at day ends, no value made up).
    public static func dailyIfLong(_ points: [TrendPoint]) -> [TrendPoint] {
        guard points.count > trendPointLimit else { return points }
        var out: [TrendPoint] = []
        for point in points {
            if let last = out.last, last.at.prefix(10) == point.at.prefix(10) { out[out.count - 1] = point } else { out.append(point) }
        }
        return out
    }

    /// A command to type, in monospace.
    static func command(_ text: String) -> String { "<code>\(escape(text))</code>" }
}
