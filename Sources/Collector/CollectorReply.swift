import Checks
import Foundation
import Trust

/// One answer of the collector: the HTTP status and the JSON body of the push protocol (issue 11),
/// `{"status", "sha256", "code", "message", "message_en"}`, plus `Retry-After` for 429 and 503.
public struct CollectorReply: Error, Sendable, Equatable, Encodable {
    /// HTTP status code (201, 200, 400, 403, 404, 413, 422, 429, 503).
    public var httpStatus: Int
    /// `accepted`, `duplicate`, `malformed`, `too-large`, `refused`, `forbidden`, `rate-limited`, `unavailable`, `not-found`.
    public var status: String
    /// SHA-256 of the report bytes, lower-case hex, when known.
    public var sha256: String?
    /// Reason code on a refusal: a `VerificationFailure` code, `identity-mismatch`, `certificate-revoked` …
    public var code: String?
    /// French text.
    public var message: String
    /// English text.
    public var messageEN: String
    /// Seconds, sent as `Retry-After` (429, 503).
    public var retryAfter: Int?

    enum CodingKeys: String, CodingKey {
        case status, sha256, code, message
        case messageEN = "message_en"
    }

    /// The JSON body, keys sorted, one line, ending with a newline.
    public var body: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)).map(Array.init) ?? Array(#"{"status":"unavailable"}"#.utf8)) + [0x0A]
    }

    // MARK: - The protocol's answers

    /// 201: new report verified and stored (and ingested when the collector has a store).
    public static func accepted(sha256: String, path: String, ingested: Bool) -> CollectorReply {
        CollectorReply(
            httpStatus: 201, status: "accepted", sha256: sha256,
            message: "Rapport vérifié et reçu (\(path))\(ingested ? ", ajouté à la base du territoire" : "").",
            messageEN: "Report verified and received (\(path))\(ingested ? ", added to the territory store" : "").")
    }

    /// 200: the same bytes were accepted before; nothing rewritten.
    public static func duplicate(sha256: String, path: String) -> CollectorReply {
        CollectorReply(
            httpStatus: 200, status: "duplicate", sha256: sha256,
            message: "Ce rapport a déjà été reçu (\(path)) : rien à faire.",
            messageEN: "This report was already received (\(path)): nothing to do.")
    }

    /// 400: not the multipart body the protocol describes.
    public static func malformed(_ code: String, french: String, english: String, sha256: String? = nil) -> CollectorReply {
        CollectorReply(
            httpStatus: 400, status: "malformed", sha256: sha256, code: code,
            message: "Requête mal formée : \(french).", messageEN: "Malformed request: \(english).")
    }

    /// 413: the body is over the limit.
    public static func tooLarge(limit: Int) -> CollectorReply {
        CollectorReply(
            httpStatus: 413, status: "too-large", code: "body-too-large",
            message: "Envoi trop volumineux : la limite est de \(limit) octets.",
            messageEN: "Upload too large: the limit is \(limit) bytes.")
    }

    /// 422: the report or its signature does not verify.
    public static func refused(_ failure: VerificationFailure, sha256: String) -> CollectorReply {
        CollectorReply(
            httpStatus: 422, status: "refused", sha256: sha256, code: failure.code.rawValue,
            message: "Rapport refusé, \(failure.code.title(.fr)) : \(failure.code.explanation(.fr)). Détail : \(failure.message(in: .fr))",
            messageEN: "Report refused, \(failure.code.title(.en)): \(failure.code.explanation(.en)). Detail: \(failure.message(in: .en))")
    }

    /// Reason code of a report signed for another entity than the TLS client's.
    public static let identityMismatchCode = "identity-mismatch"

    /// 422: the report's signer is not the entity of the TLS client certificate.
    public static func identityMismatch(signerSIREN: String, clientSIREN: String, sha256: String) -> CollectorReply {
        CollectorReply(
            httpStatus: 422, status: "refused", sha256: sha256, code: identityMismatchCode,
            message: "Rapport refusé : il est signé pour le SIREN \(signerSIREN) mais envoyé par l'agent du SIREN \(clientSIREN) ; un agent ne peut déposer que les rapports de sa propre entité.",
            messageEN: "Report refused: it is signed for SIREN \(signerSIREN) but sent by the agent of SIREN \(clientSIREN); an agent may only deliver its own entity's reports.")
    }

    /// 403: the TLS client certificate is revoked, or not an agent certificate.
    public static func forbidden(_ code: String, french: String, english: String) -> CollectorReply {
        CollectorReply(httpStatus: 403, status: "forbidden", code: code, message: "Accès refusé : \(french).", messageEN: "Forbidden: \(english).")
    }

    /// 429: this client sent more than its rate allows.
    public static func rateLimited(retryAfter: Int, ratePerMinute: Int) -> CollectorReply {
        CollectorReply(
            httpStatus: 429, status: "rate-limited", code: "rate-limited",
            message: "Trop d'envois : au plus \(ratePerMinute) par minute et par agent ; réessayer dans \(retryAfter) s.",
            messageEN: "Too many uploads: at most \(ratePerMinute) a minute per agent; retry in \(retryAfter) s.", retryAfter: retryAfter)
    }

    /// 503: the collector cannot take the report now (busy, storage or store failure); try again later.
    public static func unavailable(_ code: String, french: String, english: String, retryAfter: Int, sha256: String? = nil) -> CollectorReply {
        CollectorReply(
            httpStatus: 503, status: "unavailable", sha256: sha256, code: code,
            message: "Collecteur indisponible : \(french) ; réessayer dans \(retryAfter) s.",
            messageEN: "Collector unavailable: \(english); retry in \(retryAfter) s.", retryAfter: retryAfter)
    }

    /// 404 for any other path or method.
    public static let notFound = CollectorReply(
        httpStatus: 404, status: "not-found", code: "not-found",
        message: "Adresse inconnue : le collecteur reçoit les rapports par POST /v1/reports.",
        messageEN: "Unknown address: the collector receives reports by POST /v1/reports.")
}
