import Checks
import Foundation

/// Self-contained HTML: one file, inline CSS and SVG, no script, no external resource (it works
/// offline and survives being mailed).
public enum HTMLPage {
    /// Escapes text for HTML content and attribute values (`& < > " '`).
    public static func escape(_ text: String) -> String {
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
        table{border-collapse:collapse;font-size:12px;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f6f8fa}td.n{text-align:right}.stale{color:#b35900;font-weight:600}svg{max-width:100%;height:auto}
        svg text{font-family:system-ui,sans-serif}.lvl{display:inline-block;min-width:18px;text-align:center;border-radius:3px;color:#fff;font-weight:700}
        """

    /// Red (0) to green (100) through orange, for scores.
    static func color(_ score: Int?) -> String {
        guard let score else { return "#d0d7de" }
        let hue = Double(max(0, min(100, score))) * 1.2
        return "hsl(\(Int(hue)),62%,44%)"
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
                let numeric = Double(cell.replacingOccurrences(of: " %", with: "")) != nil
                return numeric ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
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
        var body = "<h1>\(escape(title))</h1><p class=\"meta\">\(escape(views.first?.now ?? ""))</p>\n"
        for view in views {
            let tables = ViewTables.detail(view, language)
            body += "<section>\n" + table(tables[0])
            body += trendChart(view.trend, language: language, title: language == .fr ? "Évolution du score" : "Score over time")
            body += tables.dropFirst().map(table).joined() + "</section>\n"
        }
        return page(title: title, language: language, body: body)
    }

    // MARK: charts

    /// Entities × domains, each cell coloured by the domain score; the `limit` entities furthest behind.
    public static func heatMap(_ status: StatusView, language: Language, limit: Int = 300) -> String {
        let fr = language == .fr
        let entities = Array(status.entities.prefix(limit))
        let domains = Domain.allCases.map(\.rawValue)
        let labelWidth = 260, cell = 84, row = 16, top = 40
        let width = labelWidth + cell * (domains.count + 1) + 10
        let height = top + row * max(entities.count, 1) + 10
        var svg = "<h2>\(fr ? "Carte de chaleur : entités × domaines" : "Heat map: entities × domains")</h2>\n"
        if status.entities.count > limit {
            svg += "<p class=\"meta\">\(fr ? "Les \(limit) entités les plus en retard sur \(status.entities.count) ; toutes figurent dans le tableau." : "The \(limit) entities furthest behind out of \(status.entities.count); all are in the table.")</p>\n"
        }
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"heat map\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        for (index, domain) in (domains + ["overall"]).enumerated() {
            let x = labelWidth + index * cell + cell / 2
            let label = domain == "overall" ? (fr ? "Global" : "Overall") : Words.domain(domain, language)
            svg += "<text x=\"\(x)\" y=\"\(top - 10)\" font-size=\"11\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        for (rowIndex, entity) in entities.enumerated() {
            let y = top + rowIndex * row
            let name = entity.name ?? entity.siren
            let shown = name.count > 40 ? String(name.prefix(39)) + "…" : name
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 12)\" font-size=\"11\" text-anchor=\"end\">\(escape(shown))\(entity.stale ? " ⚠" : "")</text>\n"
            for (index, domain) in domains.enumerated() {
                let score = entity.score.domains[domain]
                let notEvaluated = entity.score.notEvaluated.contains(domain)
                let shownScore = notEvaluated ? Words.notEvaluated(language) : score.map(String.init) ?? "—"
                svg += "<rect x=\"\(labelWidth + index * cell)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(row - 2)\" fill=\"\(color(notEvaluated ? 0 : score))\"><title>\(escape(name)) — \(escape(Words.domain(domain, language))) : \(shownScore)</title></rect>"
                if let score { svg += "<text x=\"\(labelWidth + index * cell + cell / 2 - 1)\" y=\"\(y + 11)\" font-size=\"10\" fill=\"#fff\" text-anchor=\"middle\">\(score)</text>" }
                else if notEvaluated { svg += "<text x=\"\(labelWidth + index * cell + cell / 2 - 1)\" y=\"\(y + 11)\" font-size=\"10\" fill=\"#fff\" text-anchor=\"middle\">?</text>" }
                svg += "\n"
            }
            let x = labelWidth + domains.count * cell
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(row - 2)\" fill=\"\(color(entity.score.score))\"/>"
            svg += "<text x=\"\(x + cell / 2 - 1)\" y=\"\(y + 11)\" font-size=\"10\" fill=\"#fff\" font-weight=\"bold\" text-anchor=\"middle\">\(Words.score(entity.score)) \(entity.score.level ?? "")</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Histogram of entity scores in bands of 10 points, bars coloured by band.
    public static func distribution(_ status: StatusView, language: Language) -> String {
        let fr = language == .fr
        var bins = Array(repeating: 0, count: 10)
        for entity in status.entities { if let score = entity.score.score { bins[min(9, score / 10)] += 1 } }
        let maximum = max(bins.max() ?? 1, 1)
        let width = 560, height = 220, left = 40, bottom = 30, barWidth = 48
        var svg = "<h2>\(fr ? "Répartition des scores des entités" : "Distribution of entity scores")</h2>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"distribution\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        let plot = height - bottom - 20
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#57606a\"/>\n"
        for (index, count) in bins.enumerated() {
            let barHeight = Int((Double(count) / Double(maximum) * Double(plot)).rounded())
            let x = left + index * (barWidth + 4)
            svg += "<rect x=\"\(x)\" y=\"\(height - bottom - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"\(color(index * 10 + 5))\"><title>\(index * 10)–\(index == 9 ? 100 : index * 10 + 9) : \(count)</title></rect>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom - barHeight - 4)\" font-size=\"11\" text-anchor=\"middle\">\(count)</text>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - bottom + 14)\" font-size=\"10\" text-anchor=\"middle\">\(index * 10)–\(index == 9 ? 100 : index * 10 + 9)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Score over time as a line with one dot per day with reports.
    public static func trendChart(_ points: [TrendPoint], language: Language, title: String? = nil) -> String {
        let fr = language == .fr
        let scored = points.filter { $0.score != nil }
        var svg = "<h2>\(escape(title ?? (fr ? "Évolution du score du territoire" : "Territory score over time")))</h2>\n"
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
        for (index, point) in scored.enumerated() {
            svg += "<circle cx=\"\(x(index))\" cy=\"\(y(point.score!))\" r=\"3\" fill=\"\(color(point.score))\"><title>\(escape(point.at)) : \(point.score!) (\(point.level ?? ""))</title></circle>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 8)\" font-size=\"10\">\(escape(scored.first!.at))</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 8)\" font-size=\"10\" text-anchor=\"end\">\(escape(scored.last!.at))</text>\n"
        return svg + "</svg>\n"
    }

    /// Certificates on a day axis from the earliest (possibly expired) to the window's end; one dot each.
    public static func certificateTimeline(_ view: CertificatesView, language: Language) -> String {
        let fr = language == .fr
        var svg = "<h2>\(fr ? "Échéancier des certificats (\(view.windowDays) jours)" : "Certificate expiry timeline (\(view.windowDays) days)")</h2>\n"
        guard !view.certificates.isEmpty else { return svg + "<p class=\"meta\">\(fr ? "Aucun certificat n'expire dans la fenêtre." : "No certificate expires within the window.")</p>\n" }
        let first = min(0, view.certificates.map(\.daysLeft).min() ?? 0)
        let last = max(view.windowDays, 1)
        let width = 720, left = 30, right = 30, axis = 60
        let lanes = 6
        let height = axis + lanes * 14 + 30
        func x(_ day: Int) -> Int { left + (day - first) * (width - left - right) / max(last - first, 1) }
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"certificate timeline\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(axis)\" x2=\"\(width - right)\" y2=\"\(axis)\" stroke=\"#57606a\"/>\n"
        svg += "<line x1=\"\(x(0))\" y1=\"\(axis - 40)\" x2=\"\(x(0))\" y2=\"\(height - 10)\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>"
        svg += "<text x=\"\(x(0))\" y=\"\(axis - 44)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#cf222e\">\(fr ? "aujourd'hui" : "today")</text>\n"
        for tick in stride(from: 0, through: last, by: max(1, last / 6)) {
            svg += "<text x=\"\(x(tick))\" y=\"\(axis - 6)\" font-size=\"10\" text-anchor=\"middle\">+\(tick) \(fr ? "j" : "d")</text>\n"
        }
        var laneUse: [Int: Int] = [:]
        for certificate in view.certificates {
            let day = certificate.daysLeft
            let lane = laneUse[day, default: 0] % lanes
            laneUse[day, default: 0] += 1
            let colour = day < 0 ? "#cf222e" : day <= 15 ? "#d1242f" : day <= 30 ? "#bc4c00" : "#9a6700"
            svg += "<circle cx=\"\(x(day))\" cy=\"\(axis + 12 + lane * 14)\" r=\"5\" fill=\"\(colour)\" fill-opacity=\"0.8\"><title>\(escape(certificate.subject ?? certificate.target)) — \(escape(certificate.entity ?? certificate.siren)) / \(escape(certificate.host)) — \(escape(certificate.notAfter))</title></circle>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 4)\" font-size=\"10\">\(view.certificates.count) \(fr ? "certificat(s)" : "certificate(s)")</text>\n"
        return svg + "</svg>\n"
    }

    /// The territory dashboard: key figures, heat map, score distribution, trend, certificate
    /// timeline, fixes, findings and the entity table.
    public static func dashboard(
        status: StatusView, trend: TrendView, certificates: CertificatesView, findings: FindingsView, language: Language
    ) -> String {
        let fr = language == .fr
        let t = status.territory
        var body = "<h1>\(fr ? "Tableau de bord du territoire" : "Territory dashboard")</h1>\n"
        body += "<p class=\"meta\">\(fr ? "Établi le" : "Generated on") \(escape(status.now)) — \(fr ? "rapports signés et vérifiés" : "signed and verified reports") — cyberctl</p>\n"
        func kpi(_ label: String, _ value: String, colour: String? = nil) -> String {
            "<div class=\"kpi\"\(colour.map { " style=\"border-color:\($0)\"" } ?? "")><b>\(escape(value))</b>\(escape(label))</div>"
        }
        body += "<div class=\"kpis\">"
            + kpi(fr ? "Score du territoire" : "Territory score", "\(Words.score(t.score)) \(t.score.level ?? "")", colour: color(t.score.score))
            + kpi(fr ? "Entités" : "Entities", String(t.entities)) + kpi(fr ? "Hôtes" : "Hosts", String(t.hosts))
            + kpi(fr ? "Rapports" : "Reports", String(t.reports))
            + kpi(fr ? "Sans rapport depuis 7 j" : "No report for 7 days", String(t.staleEntities))
            + kpi(fr ? "Couverture" : "Coverage", Words.percent(t.score.coverage))
            + kpi(fr ? "Certificats à renouveler" : "Certificates to renew", String(certificates.certificates.count))
            + "</div>\n"
        body += heatMap(status, language: language)
        body += distribution(status, language: language)
        body += trendChart(trend.points, language: language)
        body += certificateTimeline(certificates, language: language)
        body += table(ViewTables.fixes(status.fixes, language))
        body += ViewTables.findings(findings, language).map(table).joined()
        body += ViewTables.certificates(certificates, language).map(table).joined()
        body += table(ViewTables.status(status, language)[0])
        return page(title: fr ? "Tableau de bord du territoire" : "Territory dashboard", language: language, body: body)
    }
}
