import Checks
import Foundation
import NIS2
import Model
import Trust

/// A verified report, flattened into what the store keeps: header, score tally, per-rule finding
/// sums and one row per result. Built on the verifying thread, written by the store's writer.
struct ReportRecord: Sendable {
    var verified: VerifiedReport
    var path: String
    var generatedAt: Int
    var signingTime: Int
    var entity: EntityRow
    var hostname: String
    var profile: String
    var profileSHA256: String
    var agentVersion: String
    var osID: String?
    var osVersion: String?
    var kernel: String?
    var tally: ScoreTally
    var summary: ScoreSummary
    var failing: [Domain: Int]
    var warning: [Domain: Int]
    var scoredByDomain: [Domain: Int]
    var findings: [String: FindingSum]
    var results: [ResultRow]
    /// What the results say about the caps' inputs (`report_fact`).
    var capFacts: [CapFact]

    struct EntityRow: Sendable {
        var siren: String
        var name: String?
        var insee: String?
        var kind: String?
        var population: Int?
        var departement: String?
        var region: String?
    }

    /// One rule code's warn/fail results in one report.
    struct FindingSum: Sendable {
        var domain: Domain?
        var failing = 0
        var warning = 0
        var severity: Severity = .info
        /// Credit the fixes would add to the domain's earned sum: Σ weight × (1 − credit).
        var deficit = 0.0
    }

    struct ResultRow: Sendable {
        var check: String
        var target: String
        var code: String
        var domain: Domain?
        var status: Status
        var severity: Severity
        var evidence: String
        var references: String
        var reason: String?
        /// The French reason (`reasonFr`), nil in reports written before it.
        var reasonFr: String?
        var durationMs: Int
    }

    /// Why a verified report cannot be stored, French and English.
    struct Invalid: Error {
        let message: LocalizedText
        /// The rejection recorded: `report-invalid`, or `report-partial` for a partial scan.
        var code = RejectionCode.reportInvalid

        init(fr: String, en: String) { message = LocalizedText(fr: fr, en: en) }
        init(text: LocalizedText) { message = text }
    }

    /// Reads the report `document` that `verified` was verified from (the schema already holds).
    init(verified: VerifiedReport, document: JSONValue, path: String) throws(Invalid) {
        guard case .object(let root) = document else { throw Invalid(fr: "le rapport n'est pas un objet JSON", en: "the report is not a JSON object") }
        func object(_ value: JSONValue?) -> [String: JSONValue] { if case .object(let o)? = value { return o } else { return [:] } }
        func string(_ value: JSONValue?) -> String? { if case .string(let s)? = value { return s } else { return nil } }
        // Never a trapping conversion: a whole number SQLite's INTEGER can hold, else nothing.
        func int(_ value: JSONValue?) -> Int? {
            switch value {
            case .int(let i)?: return i
            case .double(let d)?: return Int64(exactly: d).map(Int.init)
            default: return nil
            }
        }
        // The verifier's own date rules (ReportTime), applied again: the store never holds a time it refuses.
        guard let generatedText = string(root["generatedAt"]), let generated = ReportTime.parse(generatedText) else {
            throw Invalid(
                fr: "generatedAt n'est pas une date UTC réelle de la forme AAAA-MM-JJTHH:MM:SSZ à partir de \(ReportTime.earliestYear)",
                en: "generatedAt is not a real UTC time of the form YYYY-MM-DDTHH:MM:SSZ from \(ReportTime.earliestYear) on")
        }
        if let problem = ReportTime.problem(generatedAt: generatedText, signingTime: verified.signingTime) {
            throw Invalid(text: problem.text)
        }
        self.verified = verified
        self.path = path
        generatedAt = Int(generated.timeIntervalSince1970.rounded(.down))
        signingTime = Int(verified.signingTime.timeIntervalSince1970.rounded(.down))
        let entityObject = object(root["entity"])
        // The name the RSSI's PKI certified (the signer's O), not the one the report claims: a report may name any
        // commune, and without a roster the views would show it under that name (verify warns of the difference).
        let certifiedName = verified.signer.entityName.isEmpty ? nil : verified.signer.entityName
        entity = EntityRow(
            siren: verified.siren, name: certifiedName ?? string(entityObject["name"]), insee: string(entityObject["insee"]),
            kind: string(entityObject["kind"]), population: int(entityObject["population"]),
            departement: string(entityObject["departement"]), region: string(entityObject["region"]))
        let host = object(root["host"])
        // Filed under the host its signing certificate names, not the one the report claims: one server's key must
        // never replace another server's latest report (a good report signed by srv-a claiming to be srv-b would hide
        // srv-b's missing backup). verify warns when the two differ; consolidate says so. Host names are
        // case-insensitive (RFC 4343): one host whatever the case.
        hostname = (verified.signer.host.isEmpty ? verified.hostname : verified.signer.host).lowercased()
        let os = object(host["os"])
        osID = string(os["id"])
        osVersion = string(os["version"])
        kernel = string(host["kernel"])
        let agent = object(root["agent"])
        // A partial scan (`scan --only`) is no picture of the host: the rules it left out would read as fixed and its
        // score as the host's. Refused, and recorded as such, so the host keeps its last full report.
        if case .array(let only)? = agent["only"] {
            let kept = only.compactMap(string).joined(separator: ", ")
            var invalid = Invalid(
                fr: "rapport partiel (scan --only \(kept)) : il ne dit rien des autres domaines et ne remplace pas le dernier rapport complet de l'hôte ; lancer un contrôle complet (cyberctl scan, sans --only) pour le consolider",
                en: "partial report (scan --only \(kept)): it says nothing of the other domains and does not replace the host's last full report; run a full scan (cyberctl scan, without --only) to consolidate it")
            invalid.code = RejectionCode.reportPartial
            throw invalid
        }
        profile = string(agent["profile"]) ?? ""
        profileSHA256 = string(agent["profileSHA256"]) ?? ""
        agentVersion = string(agent["version"]) ?? ""

        var tally = ScoreTally()
        var failing: [Domain: Int] = [:]
        var warning: [Domain: Int] = [:]
        var scoredByDomain: [Domain: Int] = [:]
        var findings: [String: FindingSum] = [:]
        var rows: [ResultRow] = []
        var facts = CapFactBuilder()
        guard case .array(let results)? = root["results"] else { throw Invalid(fr: "results n'est pas une liste", en: "results is not an array") }
        rows.reserveCapacity(results.count)
        for (index, value) in results.enumerated() {
            let result = object(value)
            guard let check = string(result["check"]), let target = string(result["target"]), let code = string(result["code"]),
                  let status = string(result["status"]).flatMap(Status.init(rawValue:)),
                  let severity = string(result["severity"]).flatMap(Severity.init(rawValue:))
            else {
                throw Invalid(
                    fr: "il manque à results[\(index)] check, target, code, un statut connu ou une sévérité connue",
                    en: "results[\(index)] lacks check, target, code, a known status or a known severity")
            }
            let domain = Domain(ruleCode: code)
            tally.add(status: status, severity: severity, domain: domain)
            if let domain, status.isScored { scoredByDomain[domain, default: 0] += 1 }
            if status.isFinding {
                if let domain {
                    if status == .fail { failing[domain, default: 0] += 1 } else { warning[domain, default: 0] += 1 }
                }
                var sum = findings[code] ?? FindingSum(domain: domain)
                if status == .fail { sum.failing += 1 } else { sum.warning += 1 }
                sum.severity = max(sum.severity, severity)
                sum.deficit += severity.weight * (1 - (Scoring.credit(status) ?? 0))
                findings[code] = sum
            }
            facts.add(code: code, status: status, target: target, evidence: result["evidence"])
            rows.append(ResultRow(
                check: check, target: target, code: code, domain: domain, status: status, severity: severity,
                evidence: JSONText.encode(result["evidence"] ?? .object([:])),
                references: JSONText.encode(result["references"] ?? .array([])),
                reason: string(result["reason"]), reasonFr: string(result["reasonFr"]), durationMs: int(result["durationMs"]) ?? 0))
        }
        self.tally = tally
        summary = tally.summary
        self.failing = failing
        self.warning = warning
        self.scoredByDomain = scoredByDomain
        self.findings = findings
        self.results = rows
        capFacts = facts.facts
    }
}

/// Compact JSON text of a `JSONValue`, keys sorted (stable bytes for equal values).
enum JSONText {
    static func encode(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? "\(d)" : "null"
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                write(members[key]!, into: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        // Most strings need no escaping: append them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// The value of `key` in the top-level object of `text` when it is a string without escapes, read without
    /// building the value (a certificate view skips most of 900,000 evidence objects on their `notAfter` alone);
    /// nil when the key is absent, not a string, escaped, given twice, or the text is not one object as `encode`
    /// writes them: the caller then decodes the whole text, so nil is never a wrong answer, only a slower one.
    static func topLevelString(_ text: String, key: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            let count = bytes.count
            var i = 0
            func skipSpace() { while i < count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
            // A string starting at `i` (a quote): its content's range, and whether it holds an escape.
            func string() -> (Range<Int>, escaped: Bool)? {
                guard i < count, bytes[i] == UInt8(ascii: "\"") else { return nil }
                let start = i + 1
                var j = start
                var escaped = false
                while j < count, bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\") { escaped = true; j += 1 }
                    j += 1
                }
                guard j < count else { return nil }
                i = j + 1
                return (start..<j, escaped)
            }
            // Any other value: a scalar up to the next `,` or `}` of this level, or a nested object or array.
            func skipValue() -> Bool {
                if i < count, bytes[i] == UInt8(ascii: "\"") { return string() != nil }
                var depth = 0
                while i < count {
                    switch bytes[i] {
                    case UInt8(ascii: "\""): guard string() != nil else { return false }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 { return true }
                        depth -= 1
                    case UInt8(ascii: ","): if depth == 0 { return true }
                    default: break
                    }
                    i += 1
                }
                return false
            }
            let wanted = Array(key.utf8)
            var found: String?
            var seen = false
            skipSpace()
            guard i < count, bytes[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            skipSpace()
            if i < count, bytes[i] == UInt8(ascii: "}") { return nil }
            while true {
                skipSpace()
                guard let (name, nameEscaped) = string() else { return nil }
                skipSpace()
                guard i < count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                let isKey = !nameEscaped && bytes[name].elementsEqual(wanted)
                if isKey {
                    if seen { return nil }
                    seen = true
                    if i < count, bytes[i] == UInt8(ascii: "\""), let (value, escaped) = string() {
                        found = escaped ? nil : String(decoding: bytes[value], as: UTF8.self)
                    } else {
                        guard skipValue() else { return nil }
                    }
                } else {
                    guard skipValue() else { return nil }
                }
                skipSpace()
                guard i < count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                skipSpace()
                return i == count ? found : nil
            }
        }
    }

    /// Parses JSON text written by `encode` (or any JSON) back into a value; `.null` when unreadable.
    static func decode(_ text: String) -> JSONValue {
        (try? JSONParser.parse(Array(text.utf8))) ?? .null
    }
}
