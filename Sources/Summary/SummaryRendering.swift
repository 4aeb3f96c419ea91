import Foundation
import Mustache
import Rendering
import Territory

/// The summary as one self-contained HTML page (inline CSS, no script, no external resource), laid
/// out for one A4 sheet when printed (`@page size: A4`), and as Markdown for an e-mail.
public enum SummaryRenderer {
    static func escape(_ text: String) -> String { HTMLPage.escape(text) }

    /// Background and text colours of a level badge (`Palette`: contrast at least 4.5:1).
    static func colors(_ level: String?) -> String {
        let pair = Palette.level(level)
        return "background:\(pair.fill);color:\(pair.text)"
    }

    static func arrow(_ direction: ReadinessSummary.Trend.Direction) -> String {
        switch direction {
        case .first: return "premier bilan"
        case .up: return "↗ en progrès"
        case .stable: return "→ stable"
        case .down: return "↘ en recul"
        case .perimeter: return "≠ serveurs contrôlés différents"
        case .unverified: return "≠ vérifications non refaites"
        }
    }

    static let style = """
        @page{size:A4;margin:10mm 13mm}
        *{box-sizing:border-box}
        body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;font-size:10pt;line-height:1.27;color:#1b1f24;margin:0;background:#fff}
        main{max-width:184mm;margin:0 auto;padding:0}
        header{display:flex;justify-content:space-between;align-items:flex-end;border-bottom:2px solid #1b1f24;padding-bottom:2mm;margin-bottom:3mm}
        h1{font-size:16pt;margin:0}header p{margin:0 0 0 4mm;color:#57606a;font-size:9pt;text-align:right;white-space:nowrap}
        h2{font-size:11.5pt;margin:2.8mm 0 1mm;color:#0b3d91}
        .level{display:flex;gap:5mm;align-items:center;border:1px solid #d0d7de;border-radius:2mm;padding:2mm 4mm}
        .badge{flex:none;width:20mm;height:20mm;border-radius:2mm;font-size:30pt;font-weight:700;display:flex;align-items:center;justify-content:center}
        .level p{margin:0 0 1mm}.level .score{color:#57606a;font-size:9pt}
        .caution{color:#8a4600;font-size:9pt;margin:1.5mm 0 0}
        ul.gaps{margin:1.5mm 0 0;padding-left:5mm;color:#8a1c12;font-size:9.5pt}ul.gaps li{margin:0 0 .6mm}.incidents{margin:1.5mm 0 0;font-size:9.5pt}
        ol.priorities{margin:0;padding-left:5mm}ol.priorities li{margin:0 0 1.4mm}
        .who{color:#57606a;font-size:9pt;display:block}
        .nis2{border-left:3mm solid #0b3d91;background:#f3f6fb;padding:2mm 3mm}.nis2 p{margin:0}
        ul.decisions{margin:0;padding-left:5mm}ul.decisions li{margin:0 0 1.2mm}
        .why{color:#57606a}
        .csirt{border:2px solid #b42318;border-radius:2mm;padding:2mm 3mm;margin-top:2.8mm;break-inside:avoid}
        .csirt b.phone{font-size:14pt;white-space:nowrap;display:block;margin-top:1mm}
        table{border-collapse:collapse;width:100%;font-size:9pt;margin-top:1mm}
        th,td{border:1px solid #d0d7de;padding:1mm 2mm;text-align:left}th{background:#f6f8fa}
        .lvl{display:inline-block;min-width:6mm;text-align:center;border-radius:1mm;font-weight:700}
        .members{break-before:page}
        footer{margin-top:2mm;color:#57606a;font-size:7.5pt}
        @media screen{body{background:#eef1f4}main{background:#fff;width:210mm;max-width:210mm;min-height:297mm;padding:12mm 14mm;margin:6mm auto;box-shadow:0 1px 4px #0003}}
        """

    /// The templates, parsed once (a template that does not parse is a build defect: the tests render it).
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in SummaryTemplates.texts {
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name): \(error)") }
        }
        return library
    }()

    /// The page in HTML, from the `summary.html` template (swift-mustache: every value HTML-escaped).
    public static func html(_ summary: ReadinessSummary) -> String {
        library.render(context(summary), withTemplate: "summary.html") ?? ""
    }

    /// What the template reads: the summary's text, and the few things worked out for the page (badge
    /// colours, the trend arrows, report ages, the CSIRT's address as people write it).
    static func context(_ summary: ReadinessSummary) -> [String: Any] {
        let missing = summary.gaps + summary.silence + [summary.organisation].compactMap { $0 }
        var context: [String: Any] = [
            "style": style, "title": summary.title, "date": summary.date, "level": summary.level ?? "?",
            "badgeStyle": colors(summary.level), "meaning": summary.meaning, "trend": summary.trend.sentence,
            "hasMissing": !missing.isEmpty, "missing": missing, "cautions": summary.cautions, "incidents": summary.incidents,
            "hasPriorities": !summary.priorities.isEmpty,
            "noPriorities": summary.noPriorities,
            "priorities": summary.priorities.map { ["action": $0.action, "why": $0.why, "who": $0.who, "effort": $0.effort, "cost": $0.cost] },
            "nis2Label": summary.nis2.label.prefix(1).lowercased() + summary.nis2.label.dropFirst(), "nis2Implications": summary.nis2.implications,
            "decisions": summary.decisions.map { ["decision": $0.decision, "why": $0.why] },
            "csirtName": summary.csirt.name, "hasMembers": !summary.members.isEmpty,
            "members": summary.members.map { member -> [String: Any] in
                var row: [String: Any] = [
                    "name": member.name, "score": member.score.map { "\($0) / 100" } ?? "—", "gap": member.gap ?? "—",
                    "trend": member.reported ? arrow(member.trend) : "—", "last": member.reported ? age(member.ageDays) : "aucun contrôle reçu",
                ]
                if let level = member.level {
                    row["level"] = level
                    row["levelStyle"] = colors(level)
                }
                return row
            },
        ]
        if let score = summary.score { context["score"] = score }
        if let note = summary.capNote { context["capNote"] = note }
        if let phone = summary.csirt.phone { context["csirtPhone"] = phone }
        if let website = summary.csirt.website { context["csirtWebsite"] = displayAddress(website) }
        return context
    }

    /// A web address as people write it: without `https://` and the trailing slash.
    static func displayAddress(_ url: String) -> String {
        var text = url
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text.removeFirst(scheme.count) }
        if text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func age(_ days: Int?) -> String {
        guard let days else { return "—" }
        switch days {
        case 0: return "aujourd'hui"
        case 1: return "hier"
        default: return "il y a \(days) jours"
        }
    }

    /// The page in Markdown, for an e-mail.
    public static func markdown(_ summary: ReadinessSummary) -> String {
        var out = "# \(summary.title) — bilan pour les élus\n\n"
        out += "_Préparation face aux attaques informatiques, \(summary.date)._\n\n"
        out += "## Niveau \(summary.level ?? "?")\(summary.score.map { " (note \($0) sur 100)" } ?? "")\n\n"
        out += "**\(summary.meaning)** Niveaux de A (très bon) à E (critique).\n\n\(summary.trend.sentence)\n\n"
        if let note = summary.capNote { out += "> **\(note)**\n\n" }
        for caution in summary.cautions { out += "> \(caution)\n\n" }
        if !summary.gaps.isEmpty || !summary.silence.isEmpty || summary.organisation != nil {
            out += "## Ce qui manque\n\n"
            for line in summary.gaps + summary.silence + [summary.organisation].compactMap({ $0 }) { out += "- \(line)\n" }
            out += "\n"
        }
        out += "**Incidents :** \(summary.incidents)\n\n"
        out += "## Les trois priorités\n\n"
        if summary.priorities.isEmpty { out += "\(summary.noPriorities)\n\n" }
        for (index, priority) in summary.priorities.enumerated() {
            out += "\(index + 1). **\(priority.action).** \(priority.why)  \n   Qui agit : \(priority.who) — effort : \(priority.effort), \(priority.cost).\n"
        }
        out += "\n## Directive européenne NIS 2 : \(summary.nis2.label.prefix(1).lowercased() + summary.nis2.label.dropFirst())\n\n\(summary.nis2.implications)\n\n"
        out += "## Les décisions demandées au conseil\n\n"
        for decision in summary.decisions { out += "- **\(decision.decision).** \(decision.why)\n" }
        out += "\n## En cas d'attaque\n\nAppeler tout de suite le centre régional d'assistance : **\(summary.csirt.name)**"
        if let phone = summary.csirt.phone { out += " — **\(phone)**" }
        if let website = summary.csirt.website { out += " — \(displayAddress(website))" }
        out += "\n"
        if !summary.members.isEmpty {
            out += "\n## Les collectivités membres\n\n| Collectivité | Niveau | Note | Point bloquant | Évolution | Dernier contrôle |\n|---|---|---|---|---|---|\n"
            for member in summary.members {
                let name = member.name.replacingOccurrences(of: "|", with: "\\|")
                out += "| \(name) | \(member.level ?? "—") | \(member.score.map { "\($0) / 100" } ?? "—") | \(member.gap ?? "—") | \(member.reported ? arrow(member.trend) : "—") | \(member.reported ? age(member.ageDays) : "aucun contrôle reçu") |\n"
            }
        }
        return out
    }
}
