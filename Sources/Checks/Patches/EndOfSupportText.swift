import Model

/// What a `patch.os-eol` result means in plain words, by support phase: the short detail of the result
/// table and the fix to make. Only a system whose security support has really ended is told to be
/// upgraded or replaced without waiting; during Debian LTS or Ubuntu ESM fixes still come, for fewer
/// packages, until a date, and the upgrade is to be planned before it — unless no apt source brings the
/// release's security suite (evidence `securitySources: false`): then nothing reaches the host, and the
/// text says so. Also the fix of a `patch.security-updates` result about the security source itself
/// (none configured, or its list too old), where "install the updates" would not help.
public enum EndOfSupportText {
    /// The fix for one `patch.os-eol` result (nil when its evidence names no phase: the catalogue's text applies).
    public static func remediation(_ result: CheckResult, _ language: Language) -> String? {
        if result.code == "patch.security-updates" { return securitySourceRemediation(result, language) }
        guard result.code == "patch.os-eol", let phase = result.evidence["phase"]?.stringValue.flatMap(SupportPhase.init(rawValue:)) else {
            return nil
        }
        let fr = language == .fr
        let ends = day(result.evidence["phaseEnds"]?.stringValue, language)
        let extendedEnds = day(result.evidence["extendedSupportEnds"]?.stringValue, language)
        let subscribed = result.evidence["extendedSources"] == .bool(true)
        // No configured source brings the release's security fixes (patch.security-updates fails): what
        // the distribution still publishes does not reach this host.
        let unreached = result.evidence["securitySources"] == .bool(false)
        let suite = result.evidence["codename"]?.stringValue.map { "\($0)-security" } ?? "-security"
        if unreached, [.standard, .debianLTS].contains(phase) {
            let who = phase == .debianLTS
                ? (fr ? "Support LTS de Debian, qui se termine le \(ends ?? "?") : l'équipe LTS publie encore des correctifs de sécurité" : "Debian LTS, ending on \(ends ?? "?"): the LTS team still publishes security fixes")
                : (fr ? "Support de sécurité, qui se termine le \(ends ?? "?") : des correctifs de sécurité sont publiés" : "Security support, ending on \(ends ?? "?"): security fixes are published")
            return fr
                ? "\(who), mais aucune source de sécurité (\(suite)) n'est configurée dans apt : ce serveur n'en reçoit aucun. Ajouter la source de sécurité (voir « Mises à jour de sécurité en attente »)\(phase == .debianLTS ? ", puis planifier la mise à niveau avant cette date" : "")."
                : "\(who), but no security source (\(suite)) is configured in apt: this server receives none. Add the security source (see \"Pending security updates\")\(phase == .debianLTS ? ", then plan the upgrade before that date" : "")."
        }
        switch phase {
        case .ended:
            return fr
                ? "Plus aucun correctif de sécurité n'est publié pour ce système\(ends.map { " depuis le \($0)" } ?? "") : le mettre à niveau vers une version suivie, ou remplacer le serveur, sans attendre."
                : "No security fix is published for this system any more\(ends.map { " since \($0)" } ?? ""): upgrade it to a supported release, or replace the server, without waiting."
        case .debianLTS:
            return fr
                ? "Support LTS de Debian, qui se termine le \(ends ?? "?") : les correctifs de sécurité arrivent encore, publiés par l'équipe LTS de Debian, mais pour une partie seulement des paquets. Planifier la mise à niveau vers la version stable de Debian avant cette date."
                : "Debian LTS, ending on \(ends ?? "?"): security fixes still come, from the Debian LTS team, but for a subset of packages only. Plan the upgrade to Debian stable before that date."
        case .ubuntuESM, .ubuntuLegacy:
            let programme = phase == .ubuntuESM ? "ESM" : (fr ? "Legacy (option d'Ubuntu Pro)" : "Legacy (Ubuntu Pro add-on)")
            if subscribed {
                return fr
                    ? "Support \(programme) d'Ubuntu, qui se termine le \(ends ?? "?") : les correctifs de sécurité arrivent encore, par l'abonnement Ubuntu Pro, pour une partie des paquets. Planifier la mise à niveau vers une version LTS suivie avant cette date."
                    : "Ubuntu \(programme), ending on \(ends ?? "?"): security fixes still come, through the Ubuntu Pro subscription, for a subset of packages. Plan the upgrade to a supported LTS release before that date."
            }
            return fr
                ? "Le support normal est terminé et ce serveur n'a pas les sources Ubuntu Pro : il ne reçoit plus de correctifs de sécurité. Mettre à niveau vers une version LTS suivie sans attendre, ou activer Ubuntu Pro (\(programme), qui se termine le \(ends ?? "?")) le temps de la mise à niveau."
                : "Standard support has ended and this server has no Ubuntu Pro sources: it gets no security fixes any more. Upgrade to a supported LTS release without waiting, or enable Ubuntu Pro (\(programme), ending on \(ends ?? "?")) while upgrading."
        case .debianELTS:
            if subscribed {
                return fr
                    ? "Support ELTS (Freexian, payant), qui se termine le \(ends ?? "?") : les correctifs de sécurité arrivent encore pour une partie des paquets. Planifier la mise à niveau vers la version stable de Debian avant cette date."
                    : "Freexian's Extended LTS (paid), ending on \(ends ?? "?"): security fixes still come for a subset of packages. Plan the upgrade to Debian stable before that date."
            }
            return fr
                ? "Le support LTS gratuit de Debian est terminé : ce serveur ne reçoit plus de correctifs de sécurité. Le mettre à niveau vers la version stable de Debian sans attendre (un support payant existe : l'ELTS de Freexian, qui se termine le \(extendedEnds ?? ends ?? "?"))."
                : "Debian's free LTS has ended: this server gets no security fixes any more. Upgrade it to Debian stable without waiting (a paid programme exists: Freexian's Extended LTS, ending on \(extendedEnds ?? ends ?? "?"))."
        case .development:
            return fr
                ? "Version de développement (testing, unstable ou version pas encore publiée) : l'équipe de sécurité ne la suit pas. Installer une version stable sur un serveur."
                : "Development release (testing, unstable or not yet released): the security team does not support it. Run a stable release on a server."
        case .standard:
            return fr
                ? "Support de sécurité, qui se termine le \(ends ?? "?") : planifier la mise à niveau vers la version suivante avant cette date."
                : "Security support, ending on \(ends ?? "?"): plan the upgrade to the next release before that date."
        }
    }

    /// The fix for a `patch.security-updates` result about the security source itself (none configured,
    /// or its list too old); nil otherwise (the catalogue's "install the updates" applies).
    static func securitySourceRemediation(_ result: CheckResult, _ language: Language) -> String? {
        let fr = language == .fr
        if result.status == .fail, case .array(let pins)? = result.evidence["pinnedAwaySecuritySources"], !pins.isEmpty {
            let named = pins.compactMap(\.stringValue).joined(separator: fr ? " ; " : "; ")
            return fr
                ? "Retirer le pin apt de priorité négative qui bloque la source de sécurité (\(named)) ou le passer au-dessus de 0, lancer apt-get update, puis installer les mises à jour de sécurité (apt upgrade)."
                : "Remove the negative-priority apt pin that holds back the security source (\(named)) or raise it above 0, run apt-get update, then install the security updates (apt upgrade)."
        }
        if result.status == .fail, result.evidence["securitySources"] == .array([]) {
            let line = result.evidence["suggestedSource"]?.stringValue
            return fr
                ? "Ajouter la source de sécurité de la distribution aux sources d'apt\(line.map { " (par exemple « \($0) » dans /etc/apt/sources.list)" } ?? ""), lancer apt-get update, puis installer les mises à jour de sécurité (apt upgrade)."
                : "Add the distribution's security source to apt's sources\(line.map { " (for instance \"\($0)\" in /etc/apt/sources.list)" } ?? ""), run apt-get update, then install the security updates (apt upgrade)."
        }
        if result.status == .error, result.evidence["staleSecurityLists"] != nil {
            return fr
                ? "Lancer apt-get update et lire ses erreurs pour la source de sécurité (miroir injoignable, clé expirée, proxy) : tant que sa liste n'est pas à jour, les correctifs publiés depuis ne sont pas vus."
                : "Run apt-get update and read its errors for the security source (unreachable mirror, expired key, proxy): until its list is fresh, the fixes published since are not seen."
        }
        return nil
    }

    /// A short fact for the result table: release, phase and its end.
    public static func detail(_ result: CheckResult, _ language: Language) -> String? {
        guard let release = result.evidence["release"]?.stringValue,
              let phase = result.evidence["phase"]?.stringValue.flatMap(SupportPhase.init(rawValue:)) else { return nil }
        let fr = language == .fr
        let ends = day(result.evidence["phaseEnds"]?.stringValue, language) ?? day(result.evidence["securitySupportEnds"]?.stringValue, language)
        let until = ends.map { fr ? ", fin le \($0)" : ", ending on \($0)" } ?? ""
        let unreached = result.evidence["securitySources"] == .bool(false) && [.standard, .debianLTS].contains(phase)
            ? (fr ? " ; aucune source de sécurité configurée : les correctifs n'arrivent pas" : "; no security source configured: fixes do not arrive") : ""
        switch phase {
        case .ended: return fr ? "\(release) — plus aucun support" + (ends.map { " depuis le \($0)" } ?? "") : "\(release) — no support" + (ends.map { " since \($0)" } ?? "")
        case .standard: return "\(release) — " + (fr ? "support de sécurité" : "security support") + until + unreached
        case .development: return "\(release) — " + (fr ? "version de développement, sans support de sécurité" : "development release, no security support")
        case .debianLTS: return "\(release) — " + (fr ? "support LTS de Debian (partiel)" : "Debian LTS (partial)") + until + unreached
        case .debianELTS: return "\(release) — " + (fr ? "ELTS de Freexian (payant, partiel)" : "Freexian ELTS (paid, partial)") + until
        case .ubuntuESM: return "\(release) — " + (fr ? "ESM d'Ubuntu Pro (partiel)" : "Ubuntu Pro ESM (partial)") + until
        case .ubuntuLegacy: return "\(release) — " + (fr ? "Legacy d'Ubuntu Pro (partiel)" : "Ubuntu Pro Legacy (partial)") + until
        }
    }

    /// `2028-06-30` as `30 juin 2028` / `30 June 2028`; nil for nil or a malformed day.
    static func day(_ text: String?, _ language: Language) -> String? {
        guard let text else { return nil }
        let parts = text.split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), (1...12).contains(month), let dayNumber = Int(parts[2]) else { return nil }
        let french = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
        let english = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let name = language == .fr ? french[month - 1] : english[month - 1]
        return language == .fr && dayNumber == 1 ? "1er \(name) \(parts[0])" : "\(dayNumber) \(name) \(parts[0])"
    }
}
