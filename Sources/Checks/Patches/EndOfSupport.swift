import FoundationEssentials
import Model
import NIS2

/// `patch.os-eol`: where the audited system's release stands in its support cycle.
///
/// Debian and Ubuntu: the release tables of distro-info-data (`DistroInfo`), read on the audited system
/// when it has them, else cyberctl's copy; phases as `SupportPhase` says. RHEL, CentOS, Rocky and Alma:
/// `OSEndOfLife`'s sourced table. `fail` once no security fix comes any more (for the paid phases —
/// Freexian's ELTS, Ubuntu ESM and Legacy — when the host has no source of them); `warn` in an extended
/// phase (fixes still come, for fewer packages, until a fixed date), before a release is published, and
/// within `eolWarningDays` of the end of standard support; `pass` otherwise; `error` when the release or
/// the data cannot be known (file and line named).
extension PackagesCheck {
    /// Host names of the archives of the paid extended phases, as apt sources name them.
    static let ubuntuProHost = "esm.ubuntu.com"
    static let freexianELTS = "deb.freexian.com/extended-lts"

    /// - Parameter securityCoverage: which sources bring the release's security fixes (Debian, Ubuntu);
    ///   when it says none does, the evidence says so (`securitySources: false`) and the wording never
    ///   says fixes still arrive. Nil when unknown.
    func endOfLife(_ os: OSRelease, root: FileSystemRoot, now: Date, sources: [APTSource], securityCoverage: SecurityCoverage? = nil) -> CheckResult {
        let target = os.path ?? "/etc/os-release"
        guard let id = os.id else {
            return result("patch.os-eol", target: target, .error, reason: os.problem
                ?? LocalizedText(fr: "os-release n'a pas de champ ID : la distribution est inconnue", en: "os-release has no ID field: the distribution is unknown"))
        }
        if let distribution = DistroInfo.Distribution(rawValue: id) {
            var found = distroInfoEndOfLife(os, distribution: distribution, root: root, now: now, sources: sources, target: target)
            switch securityCoverage?.verdict {
            case .covered?: found.evidence["securitySources"] = .bool(true)
            case .missing?: found.evidence["securitySources"] = .bool(false)
            case .notChecked?, nil: break
            }
            return found
        }
        var evidence: [String: JSONValue] = ["id": .string(id), "versionID": os.versionID.map { .string($0) } ?? .null]
        guard OSEndOfLife.trackedIDs.contains(id) else {
            let known = (["debian", "ubuntu"] + OSEndOfLife.trackedIDs.sorted()).joined(separator: ", ")
            return result(
                "patch.os-eol", target: target, .error, evidence: evidence,
                reason: LocalizedText(
                    fr: "distribution inconnue ID=\(id) : cyberctl n'a de dates de fin de support que pour \(known)",
                    en: "unknown distribution ID=\(id): cyberctl has end-of-support dates for \(known) only"))
        }
        guard let versionID = os.versionID, let entry = OSEndOfLife.entry(id: id, versionID: versionID),
              let securityEnd = OSEndOfLife.endOfDay(entry.security) else {
            return result(
                "patch.os-eol", target: target, .error, evidence: evidence,
                reason: LocalizedText(
                    fr: "version inconnue : pas de date de fin de support pour \(id) \(os.versionID ?? "(pas de VERSION_ID)")",
                    en: "unknown release: no end-of-support date for \(id) \(os.versionID ?? "(no VERSION_ID)")"))
        }
        evidence["release"] = .string(entry.name)
        evidence["securitySupportEnds"] = .string(entry.security)
        evidence["extendedSupportEnds"] = entry.extended.map { .string($0) } ?? .null
        evidence["extendedKind"] = entry.extendedKind.map { .string($0.rawValue) } ?? .null
        evidence["source"] = .string(entry.source)
        evidence["warningDays"] = .int(eolWarningDays)
        // RHEL's ELTS is a paid add-on invisible from disk: the end that applies is Maintenance Support's.
        let daysLeft = Int((securityEnd.timeIntervalSince(now) / 86_400).rounded(.down))
        evidence["daysLeft"] = .int(daysLeft)
        evidence["phase"] = .string(now >= securityEnd ? SupportPhase.ended.rawValue : SupportPhase.standard.rawValue)
        if now >= securityEnd { return result("patch.os-eol", target: target, .fail, severity: .high, evidence: evidence) }
        if daysLeft < eolWarningDays { return result("patch.os-eol", target: target, .warn, severity: .medium, evidence: evidence) }
        return result("patch.os-eol", target: target, .pass, evidence: evidence)
    }

    /// Debian and Ubuntu, from distro-info-data.
    func distroInfoEndOfLife(
        _ os: OSRelease, distribution: DistroInfo.Distribution, root: FileSystemRoot, now: Date, sources: [APTSource], target: String
    ) -> CheckResult {
        var evidence: [String: JSONValue] = [
            "id": .string(distribution.rawValue), "versionID": os.versionID.map { .string($0) } ?? .null,
            "codename": os.codename.map { .string($0) } ?? .null,
        ]
        func failure(_ error: ControlFileError) -> CheckResult {
            result("patch.os-eol", target: target, .error, evidence: evidence, reason: error.line > 0 ? error.localizedText : error.problemText)
        }
        let location = DistroInfo.location(distribution, root: root, shippedFolders: distroInfoFolders)
        var table: DistroInfo
        do { table = try DistroInfo.read(location, distribution: distribution, root: root) } catch { return failure(error) }
        var found = table.release(versionID: os.versionID, codename: os.codename)
        var searched = [table.path]
        var sourceText: String?
        if case .host = location, case .shipped = DistroInfo.shippedLocation(distribution, folders: distroInfoFolders) {
            // The host's own table may be older than cyberctl's copy (the least maintained hosts carry the stalest
            // tables): a release it does not know yet, or milestones it left empty, come from cyberctl's copy.
            let shipped: DistroInfo
            do {
                shipped = try DistroInfo.read(DistroInfo.shippedLocation(distribution, folders: distroInfoFolders), distribution: distribution, root: root)
            } catch { return failure(error) }
            let shippedRow = shipped.release(versionID: os.versionID, codename: os.codename)
            if found == nil {
                table = shipped
                found = shippedRow
                searched.append(shipped.path)
            } else if let hostRow = found, let shippedRow {
                let (merged, taken) = hostRow.completed(
                    with: shippedRow, shippedIsNewer: shipped.isNewer(than: table), hostIsNewer: table.isNewer(than: shipped))
                if !taken.isEmpty {
                    found = merged
                    evidence["datesFromShippedCopy"] = .strings(taken)
                    sourceText = "\(table.path):\(hostRow.line), \(taken.joined(separator: ", ")) from \(shipped.path):\(shippedRow.line) (distro-info-data)"
                }
            }
        }
        guard let release = found else {
            let named = [os.versionID.map { "VERSION_ID=\($0)" }, os.codename.map { "VERSION_CODENAME=\($0)" }].compactMap { $0 }
            return result(
                "patch.os-eol", target: target, .error, evidence: evidence,
                reason: LocalizedText(
                    fr: "version inconnue : \(distribution.rawValue) \(named.isEmpty ? "(os-release ne donne ni VERSION_ID ni VERSION_CODENAME)" : named.joined(separator: " ")) n'est pas dans \(searched.joined(separator: " ni "))",
                    en: "unknown release: \(distribution.rawValue) \(named.isEmpty ? "(os-release gives neither VERSION_ID nor VERSION_CODENAME)" : named.joined(separator: " ")) is not in \(searched.joined(separator: " nor "))"))
        }
        let (phase, ends) = release.phase(on: now, distribution: distribution)
        let name = (distribution == .debian ? "Debian " : "Ubuntu ") + (release.version.isEmpty ? "" : release.version + " ") + release.series
        evidence["release"] = .string(name)
        evidence["phase"] = .string(phase.rawValue)
        evidence["phaseEnds"] = ends.map { .string(Self.dayText($0)) } ?? .null
        evidence["securitySupportEnds"] = release.standardEnd(distribution).map { .string(Self.dayText($0)) } ?? .null
        evidence["extendedSupportEnds"] = release.extendedEnd(distribution).map { .string(Self.dayText($0)) } ?? .null
        evidence["source"] = .string(sourceText ?? "\(table.path):\(release.line) (distro-info-data)")
        evidence["warningDays"] = .int(eolWarningDays)
        if let ends, phase != .ended { evidence["daysLeft"] = .int(Int((ends.timeIntervalSince(now) / 86_400).rounded(.down))) }
        let hasProSources = sources.contains { $0.uri.contains(Self.ubuntuProHost) }
        let hasELTSSources = sources.contains { $0.uri.contains(Self.freexianELTS) }
        switch phase {
        case .ended:
            return result("patch.os-eol", target: target, .fail, severity: .high, evidence: evidence)
        case .ubuntuESM, .ubuntuLegacy, .debianELTS:
            // Paid programmes: fixes come only to a host that has their sources.
            let subscribed = phase == .debianELTS ? hasELTSSources : hasProSources
            evidence["extendedSources"] = .bool(subscribed)
            if !subscribed { return result("patch.os-eol", target: target, .fail, severity: .high, evidence: evidence) }
            return result("patch.os-eol", target: target, .warn, severity: .medium, evidence: evidence)
        case .debianLTS, .development:
            return result("patch.os-eol", target: target, .warn, severity: .medium, evidence: evidence)
        case .standard:
            if let days = evidence["daysLeft"]?.intValue, days < eolWarningDays {
                return result("patch.os-eol", target: target, .warn, severity: .medium, evidence: evidence)
            }
            return result("patch.os-eol", target: target, .pass, evidence: evidence)
        }
    }

    /// `YYYY-MM-DD` of a day (UTC).
    static func dayText(_ date: Date) -> String { String(ISO8601.string(from: date).prefix(10)) }
}
