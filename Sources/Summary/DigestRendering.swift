import Foundation
import Mustache

/// The digest as Markdown (to paste into an e-mail) or as a small HTML page (`digest.html` template,
/// swift-mustache: every value HTML-escaped).
public enum DigestRenderer {
    /// Headings and fixed sentences, in the digest's language.
    struct Words {
        var title, to, intro, state, unverified, certificates, silent, fixes, incidents, rssi, closing: String

        init(_ digest: CommuneDigest) {
            if digest.language == .en {
                title = "\(digest.name) — cybersecurity: what to do this month (\(digest.date))"
                to = "To:"
                intro = "Here is this month's update on the security of your servers, from the checks your servers sent to the shared service."
                state = "Where things stand"
                unverified = "What could not be verified"
                certificates = "Security certificates (within \(digest.windowDays) days)"
                silent = "Servers that no longer report"
                fixes = "What to fix first"
                incidents = "Incident reports due"
                rssi = "What I will do"
                closing = "I remain available for any question."
            } else {
                title = "\(digest.name) — sécurité numérique : ce qu'il faut faire ce mois-ci (\(digest.date))"
                to = "À :"
                intro = "Voici le point du mois sur la sécurité de vos serveurs, établi à partir des contrôles qu'ils ont envoyés au service mutualisé."
                state = "Où en est la commune"
                unverified = "Ce qui n'a pas pu être vérifié"
                certificates = "Certificats de sécurité (dans les \(digest.windowDays) jours)"
                silent = "Serveurs qui n'envoient plus de contrôle"
                fixes = "À corriger en premier"
                incidents = "Déclarations d'incident à faire"
                rssi = "Ce que je fais de mon côté"
                closing = "Je reste à votre disposition pour toute question."
            }
        }
    }

    /// Markdown: headings, lists; `*`, `_`, `&` and the like in names from reports are escaped (an entity reference such
    /// as `&#8203;` would render as an invisible character).
    public static func markdown(_ digest: CommuneDigest) -> String {
        let words = Words(digest)
        func md(_ text: String) -> String {
            var out = ""
            for character in text {
                if "\\`*_[]<>&".contains(character) { out.append("\\") }
                out.append(character)
            }
            return out
        }
        var out = "# \(md(words.title))\n\n"
        if !digest.recipients.isEmpty {
            out += "\(words.to) " + digest.recipients.map { recipient in
                md(recipient.role) + (recipient.name.map { " : " + md($0) } ?? "") + (recipient.email.map { " <\($0)>" }.map(md) ?? "")
            }.joined(separator: " · ") + "\n\n"
        }
        out += "\(md(digest.greeting))\n\n\(md(words.intro))\n\n"
        out += "## \(words.state)\n\n\(md(digest.state))\n\n"
        func list(_ heading: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            out += "## \(heading)\n\n" + items.map { "- \(md($0))\n" }.joined() + "\n"
        }
        list(words.unverified, digest.unverified)
        list(words.certificates, digest.certificates)
        list(words.silent, digest.silentHosts)
        out += "## \(words.fixes)\n\n"
        if digest.fixes.isEmpty { out += "\(md(digest.noFixes))\n\n" }
        for (index, fix) in digest.fixes.enumerated() {
            out += "\(index + 1). **\(md(fix.action)).** \(md(fix.why))  \n   \(md(fix.who))\n"
        }
        if !digest.fixes.isEmpty { out += "\n" }
        list(words.incidents, digest.incidents)
        list(words.rssi, digest.rssiActions)
        out += "\(md(words.closing))\n"
        return out
    }

    /// The HTML page, from the `digest.html` template.
    public static func html(_ digest: CommuneDigest) -> String {
        SummaryRenderer.library.render(context(digest), withTemplate: "digest.html") ?? ""
    }

    static func context(_ digest: CommuneDigest) -> [String: Any] {
        let words = Words(digest)
        return [
            "lang": digest.language.rawValue, "title": words.title, "toLabel": words.to, "intro": words.intro, "closing": words.closing,
            "hasRecipients": !digest.recipients.isEmpty,
            "recipients": digest.recipients.enumerated().map { index, recipient -> [String: Any] in
                var row: [String: Any] = ["role": recipient.role, "last": index == digest.recipients.count - 1]
                if let name = recipient.name { row["name"] = name }
                if let email = recipient.email { row["email"] = email }
                return row
            },
            "greeting": digest.greeting, "stateHeading": words.state, "state": digest.state,
            "hasUnverified": !digest.unverified.isEmpty, "unverifiedHeading": words.unverified, "unverified": digest.unverified,
            "hasCertificates": !digest.certificates.isEmpty, "certificatesHeading": words.certificates, "certificates": digest.certificates,
            "hasSilentHosts": !digest.silentHosts.isEmpty, "silentHeading": words.silent, "silentHosts": digest.silentHosts,
            "fixesHeading": words.fixes, "hasFixes": !digest.fixes.isEmpty, "noFixes": digest.noFixes,
            "fixes": digest.fixes.map { ["action": $0.action, "why": $0.why, "who": $0.who] },
            "hasIncidents": !digest.incidents.isEmpty, "incidentsHeading": words.incidents, "incidents": digest.incidents,
            "rssiHeading": words.rssi, "rssiActions": digest.rssiActions,
        ]
    }
}
