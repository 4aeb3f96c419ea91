import Agent
import Foundation
import Model
import Testing
import TestSupport

/// The report's bytes are pinned: `Tests/Fixtures/report-golden.json` was written by main's code at 719e64d (results
/// as structs with an array of evidence members), before `CheckResult` packed its evidence (`CompactEvidence`).
/// The writer and `JSONEncoder` read the same packed evidence, so `ReportTests` alone could not see a packing
/// that loses or changes a value; this file can. Re-record (only for a deliberate change of the report) with
/// `CYBERCTL_RECORD_GOLDEN=1 swift test --filter ReportGoldenTests`.
@Suite struct ReportGoldenTests {
    static let golden = BuiltBinary.packageRoot + "/Tests/Fixtures/report-golden.json"

    /// Results shaped as the certificate check writes them (fingerprints, times, positions, roles, key facts),
    /// then values next to what the packing treats apart: colon-separated hexadecimal that is not a fingerprint,
    /// integers at their limits, keys the packing knows and keys it does not, nested objects and arrays.
    static func results() -> [CheckResult] {
        let fingerprint = "57:7D:00:13:14:9B:AD:3A:D2:0B:03:0F:1F:2F:B9:35:3B:4E:BD:18:E4:B6:49:F4:1F:5D:1D:73:35:EB:19:EF"
        let notBefore = Date(timeIntervalSince1970: 1_795_852_800)
        let notAfter = Date(timeIntervalSince1970: 1_796_371_200)
        let context: [String: JSONValue] = [
            "usedBy": "profile, nginx /etc/nginx/sites-enabled/mairie", "format": "PEM", "position": 1,
            "sha256": .string(fingerprint), "role": "leaf",
        ]
        var results = [
            CheckResult(
                check: "cert.files", target: "/srv/certs/cert-1.pem#1", code: "cert.expiry", status: .fail, severity: .high,
                evidence: context.merging([
                    "subject": "O=Commune,CN=srv2.mairie.test", "issuer": "CN=Bench CA", "serial": "03E9",
                    "signatureAlgorithm": "ecdsa-with-SHA256", "selfSigned": false, "ca": false,
                    "subjectAltNames": .strings(["DNS:mairie.test", "DNS:www.mairie.test", "IP Address:192.0.2.1"]),
                    "subjectAltNameCount": 23, "notBefore": .time(notBefore), "notAfter": .time(notAfter), "daysLeft": 5,
                    "state": "expires-soon", "thresholdDays": 14, "keyType": "EC", "keyBits": 256, "curve": "prime256v1",
                ]) { shared, _ in shared },
                references: ["NIS2-21.2.h", "ANSSI-HYG-34"], durationMs: 10),
            CheckResult(
                check: "cert.files", target: "/srv/certs/cert-1.pem#1", code: "cert.key-strength", status: .pass, severity: .high,
                evidence: context.merging(["subject": "O=Commune,CN=srv2.mairie.test", "keyType": "RSA", "keyBits": 3072, "minimumBits": 2048]) { a, _ in a },
                references: ["NIS2-21.2.h", "ANSSI-TLS-R26", "RGS-B1"], durationMs: 0),
            CheckResult(
                check: "cert.files", target: "/srv/certs/broken.pem", code: "cert.file", status: .error, severity: .medium,
                evidence: ["usedBy": "profile", "failure": "parse", "position": 2, "blocks": 3],
                references: ["NIS2-21.2.h"],
                reason: .init(fr: "le bloc de certificat 2 sur 3 est illisible", en: "certificate block 2 of 3 could not be parsed"),
                durationMs: 1),
            CheckResult(
                check: "org.nis2", target: "nis2.yaml", code: "org.nis2.crypto", status: .warn, severity: .high,
                evidence: [
                    "declared": "oui", "technicalPrefixes": .strings(["tls.", "cert."]), "contradicted": true,
                    "technical": ["pass": 3, "warn": 0, "fail": 2, "error": 1],
                    "contradictedBy": [["code": "cert.expiry", "target": "/srv/certs/cert-1.pem#1", "severity": "high"]],
                ],
                references: ["NIS2-21.2.h"], durationMs: 0),
            CheckResult(
                check: "probe", target: "hex", code: "tls.hex", status: .pass, severity: .info,
                evidence: [
                    "lowerHex": "ab:cd:ef", "oneByte": "0A", "twoBytes": "0A:FF", "trailingColon": "AB:CD:",
                    "leadingColon": ":AB", "oddDigits": "ABC", "noColons": "ABCD", "spaces": "AB CD", "empty": "",
                    "colonOnly": ":", "wide": "ＡＢ:ＣＤ", "mixedCase": "Ab:CD",
                    "ints": [0, 1, -1, 63, -64, 64, 127, 128, 300, -300, 16_383, 16_384, .int(Int.max), .int(Int.min), .int(Int.max - 1), .int(Int.min + 1)],
                    "doubles": [0.0, -0.0, 0.5, 1e-300, 1e300, -2.25],
                    "unknownKeyWithLongerName_é": .null, "": "empty key", "flags": [true, false, .null],
                ],
                durationMs: 7),
            CheckResult(check: "probe", target: "empty", code: "tls.empty", status: .skip, severity: .info, durationMs: 0),
        ]
        results += ReportTests.awkwardResults()
        return results
    }

    @Test func theReportIsByteForByteWhatMainWrote() throws {
        let report = ReportTests.sampleReport(results: Self.results())
        var report2 = report
        report2.id = "00000000-0000-4000-8000-000000000000"
        let bytes = try report2.jsonBytes()
        if ProcessInfo.processInfo.environment["CYBERCTL_RECORD_GOLDEN"] == "1" {
            try Data(bytes).write(to: URL(fileURLWithPath: Self.golden))
        }
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.golden)))
        #expect(bytes.count == expected.count)
        #expect(bytes == expected)
        var streamed: [UInt8] = []
        try report2.writeJSON(chunkSize: 512) { streamed += $0 }
        #expect(streamed == expected)
    }

    @Test func evidenceComesBackAsItWentIn() {
        for result in Self.results() {
            let evidence = result.evidence
            let rebuilt = CheckResult(
                check: result.check, target: result.target, code: result.code, status: result.status,
                severity: result.severity, evidence: evidence, references: result.references,
                reason: result.localizedReason, durationMs: result.durationMs)
            #expect(rebuilt == result)
            #expect(rebuilt.evidence == evidence)
            // Members in the byte order of their keys' UTF-8.
            let keys = result.evidenceMembers.map(\.key)
            #expect(keys == evidence.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        // -0.0 keeps its sign (JSONEncoder writes it "-0").
        let zero = CheckResult(check: "c", target: "t", code: "c", status: .pass, severity: .info, evidence: ["z": -0.0])
        guard case .double(let value)? = zero.evidence["z"] else {
            Issue.record("not a double")
            return
        }
        #expect(value.sign == .minus)
    }

    @Test func aCopyIsIndependentOfTheOriginal() {
        let original = Self.results()[0]
        var copy = original
        copy.status = .pass
        copy.evidence["daysLeft"] = 99
        copy.references.append("X")
        copy.reason = "r"
        #expect(original.status == .fail)
        #expect(original.evidence["daysLeft"] == 5)
        #expect(original.references == ["NIS2-21.2.h", "ANSSI-HYG-34"])
        #expect(original.reason == nil)
        #expect(copy.evidence["daysLeft"] == 99)
        #expect(copy != original)
        var back = copy
        back.status = .fail
        back.evidence["daysLeft"] = 5
        back.references.removeLast()
        back.reason = nil
        #expect(back == original)
        // Results moved across tasks stay whole.
        let results = Self.results()
        let copies = results.map { $0 }
        #expect(copies == results)
    }
}
