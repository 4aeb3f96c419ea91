import Checks
import FoundationEssentials
import Model
import NIS2

/// A scan report, schema `cyberctl.report/1` (schemas/cyberctl.report-1.schema.json).
public struct Report: Codable, Sendable, Equatable {
    public static let schemaID = "cyberctl.report/1"

    public var schema: String
    /// Random UUID, lower-case.
    public var id: String
    /// When the scan ended, UTC.
    public var generatedAt: Date
    public var agent: AgentInfo
    public var entity: Entity
    public var host: HostFacts
    public var results: [CheckResult]
    public var summary: ScoreSummary

    public struct AgentInfo: Codable, Sendable, Equatable {
        /// cyberctl version.
        public var version: String
        /// Profile name.
        public var profile: String
        /// SHA-256 of the profile file, lower-case hex.
        public var profileSHA256: String
        /// The domains or check ids a partial scan kept (`scan --only`), in the order given; absent (nil) for a full
        /// scan of the profile. A partial report says nothing of the rest: `consolidate` refuses it (`report-partial`),
        /// so it never replaces a host's last full report.
        public var only: [String]?

        public init(version: String, profile: String, profileSHA256: String, only: [String]? = nil) {
            self.version = version
            self.profile = profile
            self.profileSHA256 = profileSHA256
            self.only = only
        }
    }

    public init(
        id: String = UUID().uuidString.lowercased(), generatedAt: Date, agent: AgentInfo, entity: Entity,
        host: HostFacts, results: [CheckResult]
    ) {
        schema = Self.schemaID
        self.id = id
        self.generatedAt = generatedAt
        self.agent = agent
        self.entity = entity
        self.host = host
        self.results = results
        summary = Scoring.summarize(results)
    }

    /// Encodes the report as pretty-printed UTF-8 JSON with sorted keys and ISO 8601 UTC times (seconds),
    /// followed by a newline: the bytes `JSONEncoder` writes with `[.prettyPrinted, .sortedKeys,
    /// .withoutEscapingSlashes]`, produced without its intermediate tree (see `ReportJSONWriter`).
    public func jsonBytes() throws -> [UInt8] {
        // About 800 bytes per result; reserving avoids copying megabytes while the array grows.
        var writer = ReportJSONWriter(capacity: 4096 + results.count * 900)
        try writer.write(self)
        return writer.buffer
    }

    /// Streams the same bytes as `jsonBytes()` to `output`, in chunks of about `chunkSize` bytes, so a
    /// report of thousands of results is never held whole in memory.
    public func writeJSON(chunkSize: Int = 1 << 16, to output: ([UInt8]) throws -> Void) throws {
        try withoutActuallyEscaping(output) { output in
            var writer = ReportJSONWriter(capacity: chunkSize, chunkSize: chunkSize, flush: output)
            try writer.write(self)
        }
    }

    /// Decodes a report.
    /// - Throws: `InputError(.invalidData)` saying what is wrong, with `file` named.
    public static func decode(_ bytes: [UInt8], file: String) throws(InputError) -> Report {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 UTC time, got \"\(text)\"")
            }
            return date
        }
        // Syntax first, so a file that is not JSON says so rather than naming a missing key.
        struct AnyJSON: Decodable { init(from decoder: any Decoder) throws {} }
        do {
            _ = try JSONDecoder().decode(AnyJSON.self, from: Data(bytes))
        } catch {
            var reason = "\(error)"
            if case .dataCorrupted(let context) = error as? DecodingError {
                reason = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            }
            throw InputError(.invalidData, file: file, fr: "ce n'est pas du JSON : \(reason)", en: "not JSON: \(reason)")
        }
        do {
            let report = try decoder.decode(Report.self, from: Data(bytes))
            guard report.schema == schemaID else {
                throw InputError(
                    .invalidData, file: file, fr: "schéma « \(report.schema) » : « \(schemaID) » est attendu",
                    en: "schema \"\(report.schema)\": expected \"\(schemaID)\"")
            }
            return report
        } catch let error as InputError {
            throw error
        } catch let error as DecodingError {
            let reason = describe(error)
            throw InputError(
                .invalidData, file: file, fr: "ce n'est pas un rapport cyberctl : \(reason.fr)", en: "not a cyberctl report: \(reason.en)")
        } catch {
            throw InputError(.invalidData, file: file, fr: "ce n'est pas un rapport cyberctl : \(error)", en: "not a cyberctl report: \(error)")
        }
    }

    /// The decoding error as a path and a reason; the decoder's own reason (Foundation's) is quoted in both.
    static func describe(_ error: DecodingError) -> LocalizedText {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            let where_ = path(context.codingPath + [key])
            return LocalizedText(fr: "\(where_) absent", en: "missing \(where_)")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return LocalizedText(fr: "\(path(context.codingPath)) : \(context.debugDescription)", en: "\(path(context.codingPath)): \(context.debugDescription)")
        @unknown default: return LocalizedText(both: "\(error)")
        }
    }
}
