import Foundation
import MultipartKit
import NIOCore

/// The body of `POST /v1/reports`: `multipart/form-data` (RFC 7578) with exactly two parts,
/// `name="report"` (the report bytes, `filename` = the report's file name) and `name="signature"`
/// (the detached DER CMS signature).
public struct ReportUpload: Sendable, Equatable {
    /// The report's file name as the agent sent it (not yet made safe: see `InboxStore.safeFileName`).
    public var reportFileName: String?
    public var report: [UInt8]
    public var signature: [UInt8]

    /// Why a body is not an upload: a stable code and French/English text (→ 400 `malformed`).
    public struct Problem: Error, Sendable, Equatable {
        public var code: String
        public var french: String
        public var english: String
    }

    /// Parses `body` sent with `contentType`.
    /// - Throws: `Problem` (`not-multipart`, `multipart-syntax`, `multipart-incomplete`, `part-count`,
    ///   `part-name`, `part-duplicate`, `part-empty`).
    public static func parse(_ body: ByteBuffer, contentType: String?) throws(Problem) -> ReportUpload {
        guard let contentType, let boundary = boundary(of: contentType) else {
            throw Problem(
                code: "not-multipart", french: "le corps doit être multipart/form-data avec un paramètre boundary (reçu : \(contentType ?? "aucun Content-Type"))",
                english: "the body must be multipart/form-data with a boundary parameter (got: \(contentType ?? "no Content-Type"))")
        }
        // The closing delimiter (RFC 2046 §5.1.1) must be there: a body cut short is not an upload.
        var trimmed = body.readableBytesView[...]
        while let last = trimmed.last, last == 0x0D || last == 0x0A { trimmed = trimmed.dropLast() }
        let closing = Array("--\(boundary)--".utf8)
        guard trimmed.count >= closing.count, Array(trimmed.suffix(closing.count)) == closing else {
            throw Problem(code: "multipart-incomplete", french: "le corps multipart n'a pas de délimiteur final (envoi tronqué ?)",
                          english: "the multipart body has no closing delimiter (upload cut short?)")
        }

        struct Part {
            var headers: [(String, String)] = []
            var body = ByteBuffer()
        }
        var parts: [Part] = []
        var current = Part()
        var inPart = false
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            inPart = true
            current.headers.append((name.lowercased(), value))
        }
        parser.onBody = { buffer in
            inPart = true
            current.body.writeBuffer(&buffer)
        }
        parser.onPartComplete = {
            parts.append(current)
            current = Part()
            inPart = false
        }
        do {
            try parser.execute(body)
        } catch {
            throw Problem(code: "multipart-syntax", french: "corps multipart illisible (en-têtes de partie mal formés)",
                          english: "unreadable multipart body (malformed part headers)")
        }
        if inPart {
            throw Problem(code: "multipart-incomplete", french: "la dernière partie n'est pas terminée", english: "the last part is not terminated")
        }
        guard parts.count == 2 else {
            throw Problem(
                code: "part-count", french: "il faut exactement deux parties, report et signature (reçu : \(parts.count))",
                english: "exactly two parts are expected, report and signature (got \(parts.count))")
        }
        var report: (name: String?, bytes: [UInt8])?
        var signature: [UInt8]?
        for part in parts {
            let disposition = part.headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            let parameters = Self.dispositionParameters(disposition)
            let bytes = Array(part.body.readableBytesView)
            switch parameters["name"] {
            case "report":
                guard report == nil else { throw Problem(code: "part-duplicate", french: "deux parties report", english: "two report parts") }
                report = (parameters["filename"], bytes)
            case "signature":
                guard signature == nil else { throw Problem(code: "part-duplicate", french: "deux parties signature", english: "two signature parts") }
                signature = bytes
            default:
                let name = parameters["name"] ?? ""
                throw Problem(
                    code: "part-name", french: "partie inattendue \"\(name)\" : seules report et signature sont admises",
                    english: "unexpected part \"\(name)\": only report and signature are allowed")
            }
        }
        guard let report, let signature else {
            throw Problem(code: "part-name", french: "il manque la partie report ou signature", english: "the report or signature part is missing")
        }
        guard !report.bytes.isEmpty, !signature.isEmpty else {
            throw Problem(code: "part-empty", french: "partie report ou signature vide", english: "empty report or signature part")
        }
        return ReportUpload(reportFileName: report.name, report: report.bytes, signature: signature)
    }

    /// The `boundary` parameter of a `multipart/form-data` media type (RFC 2046 §5.1.1: 1 to 70 characters).
    static func boundary(of contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    /// `name` and `filename` of a `Content-Disposition: form-data; name="…"; filename="…"` header
    /// (quoted strings with backslash escapes, or tokens).
    static func dispositionParameters(_ header: String) -> [String: String] {
        var result: [String: String] = [:]
        var characters = header[...]
        // Skip the disposition type.
        guard let semicolon = characters.firstIndex(of: ";") else { return result }
        characters = characters[characters.index(after: semicolon)...]
        while !characters.isEmpty {
            characters = characters.drop { $0 == " " || $0 == "\t" }
            let nameEnd = characters.firstIndex { $0 == "=" || $0 == ";" } ?? characters.endIndex
            let name = characters[..<nameEnd].trimmingCharacters(in: .whitespaces).lowercased()
            characters = characters[nameEnd...]
            var value = ""
            if characters.first == "=" {
                characters = characters.dropFirst()
                if characters.first == "\"" {
                    characters = characters.dropFirst()
                    var escaped = false
                    while let c = characters.first {
                        characters = characters.dropFirst()
                        if escaped { value.append(c); escaped = false; continue }
                        if c == "\\" { escaped = true; continue }
                        if c == "\"" { break }
                        value.append(c)
                    }
                    let next = characters.firstIndex(of: ";") ?? characters.endIndex
                    characters = characters[next...]
                } else {
                    let end = characters.firstIndex(of: ";") ?? characters.endIndex
                    value = characters[..<end].trimmingCharacters(in: .whitespaces)
                    characters = characters[end...]
                }
            }
            if characters.first == ";" { characters = characters.dropFirst() }
            if !name.isEmpty, result[name] == nil { result[name] = value }
        }
        return result
    }
}
