import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit

/// An agent's enrolment: its key and the request the RSSI's CA turns into a certificate.
public enum Enrolment {
    /// What enrolment wrote.
    public struct Result: Sendable {
        public let keyPath: String
        public let requestPath: String
        public let request: CertificateSigningRequest
        public let identity: AgentIdentity
    }

    /// Generates an ECDSA P-256 key (PKCS#8 PEM, mode 0600, written atomically) as `agent.key` and a
    /// PKCS#10 request (SHA-256) for `identity` as `agent.csr` (mode 0644) in `directory`.
    /// - Parameter replace: overwrite an existing `agent.key` (otherwise refused, so a working
    ///   identity is never lost by accident).
    /// - Throws: `InputError(.usage)` when a key exists; `.io` when the folder cannot be written.
    public static func enroll(identity: AgentIdentity, directory: String, replace: Bool = false) throws(InputError) -> Result {
        let keyPath = "\(directory)/agent.key"
        let requestPath = "\(directory)/agent.csr"
        if !replace && FileManager.default.fileExists(atPath: keyPath) {
            throw InputError(
                .usage, file: keyPath,
                fr: "une clé d'agent existe déjà ; --force pour la remplacer (son certificat ne lui correspondra plus)",
                en: "an agent key already exists; give --force to replace it (its certificate will stop matching)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw InputError(
                .io, file: directory, fr: "impossible de créer le dossier : \(ErrorText.reason(error))", en: "cannot create the folder: \(ErrorText.reason(error))")
        }
        do {
            let key = try PrivateKey.generateP256()
            let request = try CertificateSigningRequest(subject: identity.subject, key: key)
            // Both or neither: a key without its request (or a request without its key) is of no use.
            try AtomicFile.commit([
                try AtomicFile.stage(try key.pkcs8PEM(), to: keyPath, mode: 0o600),
                try AtomicFile.stage(Array(try request.pemEncoded().utf8), to: requestPath, mode: 0o644),
            ])
            return Result(keyPath: keyPath, requestPath: requestPath, request: request, identity: identity)
        } catch let error as AtomicFileError {
            throw error.inputError
        } catch {
            throw InputError(.io, file: directory, fr: "échec de l'enrôlement : \(error)", en: "enrolment failed: \(error)")
        }
    }
}
