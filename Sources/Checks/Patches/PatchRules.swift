import Model

/// The rules of the `patch.packages` check, with their French and English text.
public enum PatchRules {
    static let references = ["NIS2-21.2.e", "ANSSI-HYG-34"]

    public static let all: [RuleDescription] = [
        RuleDescription(
            code: "patch.security-updates", severity: .high, references: references,
            french: RuleText(
                title: "Mises à jour de sécurité en attente",
                explanation: "Des correctifs de sécurité publiés par la distribution ne sont pas installés, ou ne peuvent pas l'être (aucune source de sécurité configurée dans apt, ou une source bloquée par un pin) : les failles qu'ils corrigent sont connues et exploitées.",
                remediation: "Installer les mises à jour (apt upgrade, ou dnf upgrade --security), puis redémarrer les services concernés."),
            english: RuleText(
                title: "Pending security updates",
                explanation: "Security fixes published by the distribution are not installed, or cannot be (no security source configured in apt, or one held back by a pin): the flaws they fix are public and exploited.",
                remediation: "Install the updates (apt upgrade, or dnf upgrade --security), then restart the affected services.")),
        RuleDescription(
            code: "patch.pending-updates", severity: .medium, references: references,
            french: RuleText(
                title: "Mises à jour en attente",
                explanation: "Beaucoup de paquets ont une version plus récente disponible : le serveur n'est pas mis à jour régulièrement.",
                remediation: "Planifier des mises à jour régulières (mensuelles au moins) et les appliquer."),
            english: RuleText(
                title: "Pending updates",
                explanation: "Many packages have a newer version available: the server is not updated regularly.",
                remediation: "Schedule regular updates (at least monthly) and apply them.")),
        RuleDescription(
            code: "patch.lists-age", severity: .medium, references: references,
            french: RuleText(
                title: "Listes de paquets anciennes",
                explanation: "Les listes de paquets n'ont pas été rafraîchies depuis plus d'une semaine : personne ne regarde les mises à jour, et celles en attente sont sous-estimées.",
                remediation: "Rafraîchir les listes chaque jour (apt-get update, timer apt-daily) ou activer les mises à jour automatiques."),
            english: RuleText(
                title: "Stale package lists",
                explanation: "The package lists have not been refreshed for more than a week: nobody is looking at updates, and pending ones are under-counted.",
                remediation: "Refresh the lists daily (apt-get update, apt-daily timer) or enable automatic updates.")),
        RuleDescription(
            code: "patch.auto-updates", severity: .medium, references: references,
            french: RuleText(
                title: "Mises à jour de sécurité automatiques",
                explanation: "Sans mise à jour automatique, les correctifs de sécurité dépendent d'une intervention manuelle qui est souvent oubliée.",
                remediation: "Installer et activer unattended-upgrades (Debian, Ubuntu) ou dnf-automatic (RHEL, Rocky, Alma)."),
            english: RuleText(
                title: "Automatic security updates",
                explanation: "Without automatic updates, security fixes depend on someone remembering to install them.",
                remediation: "Install and enable unattended-upgrades (Debian, Ubuntu) or dnf-automatic (RHEL, Rocky, Alma).")),
        RuleDescription(
            code: "patch.reboot-required", severity: .medium, references: references,
            french: RuleText(
                title: "Redémarrage nécessaire",
                explanation: "Des mises à jour (noyau, bibliothèques) ne prennent effet qu'au redémarrage : le serveur tourne encore avec l'ancienne version vulnérable.",
                remediation: "Redémarrer le serveur dans une fenêtre de maintenance."),
            english: RuleText(
                title: "Reboot required",
                explanation: "Some updates (kernel, libraries) only take effect after a reboot: the server still runs the old, vulnerable version.",
                remediation: "Reboot the server in a maintenance window.")),
        RuleDescription(
            code: "patch.held-packages", severity: .info, references: references,
            french: RuleText(
                title: "Paquets bloqués",
                explanation: "Des paquets sont bloqués à leur version actuelle (hold) : ils ne recevront plus de mises à jour, même de sécurité.",
                remediation: "Vérifier que chaque blocage est encore justifié et documenté ; sinon le lever (apt-mark unhold)."),
            english: RuleText(
                title: "Held packages",
                explanation: "Some packages are held at their current version: they get no updates, not even security ones.",
                remediation: "Check that each hold is still justified and documented; otherwise release it (apt-mark unhold).")),
        RuleDescription(
            code: "patch.os-eol", severity: .high, references: references,
            french: RuleText(
                title: "Fin de support du système",
                explanation: "Chaque version d'un système n'est suivie que pendant une durée fixée : d'abord par l'équipe de sécurité de la distribution, puis, pour certaines, par un support prolongé (LTS de Debian, ESM d'Ubuntu) qui ne corrige qu'une partie des logiciels, jusqu'à une date fixée. Après la fin de tout support, plus aucun correctif n'est publié : chaque nouvelle faille reste ouverte.",
                remediation: "Mettre le système à niveau vers une version suivie avant la fin de son support ; le détail du résultat donne la phase et sa date de fin."),
            english: RuleText(
                title: "Operating system end of support",
                explanation: "Each release of a system is supported for a fixed time: first by the distribution's security team, then, for some, by an extended programme (Debian LTS, Ubuntu ESM) that fixes only part of the software, until a set date. Once all support has ended no fix is published any more: every new flaw stays open.",
                remediation: "Upgrade the system to a supported release before its support ends; the result's detail gives the phase and its end date.")),
        RuleDescription(
            code: "patch.package-lists", severity: .medium, references: references,
            french: RuleText(
                title: "Listes de paquets lisibles",
                explanation: "Les listes de paquets des sources configurées doivent être présentes et lisibles pour savoir quelles mises à jour existent.",
                remediation: "Lancer apt-get update et corriger les sources ou fichiers signalés."),
            english: RuleText(
                title: "Readable package lists",
                explanation: "The package lists of the configured sources must be present and readable to know which updates exist.",
                remediation: "Run apt-get update and fix the sources or files named.")),
    ]
}
