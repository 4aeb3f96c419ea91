import FoundationEssentials
import Model
import OpenSSLKit

extension CertificateAuthority {
    /// What one issuance did: the certificate, its index entry, and the certificates of the same public key it
    /// superseded (`--renew`: revoked with reason `superseded`, RFC 5280 §5.3.1, the CRL regenerated).
    public struct Issuance: Sendable {
        public let certificate: X509Certificate
        public let record: IssuedCertificate
        /// Index entries revoked by this issuance, as they are after it (empty without `--renew`, or when the key
        /// had no valid certificate).
        public let superseded: [IssuedCertificate]
    }

    /// Positions in `index` of the certificates still valid at `now` (not revoked, not expired) that carry
    /// `request`'s public key, compared as decoded keys (`PublicKeyIdentity`: an EC point compressed or not, the
    /// curve named or explicit, are the same key) with each certificate's copy in `certs/`.
    /// - Throws: `InputError(.invalidData)` when the request's key cannot be decoded, or when a valid certificate's
    ///   copy is unreadable or is not the certificate the index records (its SHA-256 fingerprint differs): the
    ///   question "does this key already have a valid certificate?" is then unanswered, never answered "no".
    func validHolders(of request: CertificateSigningRequest, in index: Index, now: Date) throws(InputError) -> [Int] {
        try holders(of: request, in: index) { $0.revokedAt == nil && $0.notAfter > now }
    }

    /// Positions in `index` of the revoked certificates that carry `request`'s public key and whose reason takes back
    /// every signature of the key (`CertificateRevocationList.Reason.voidsEarlierSignatures`: keyCompromise,
    /// cACompromise, aACompromise, certificateHold, unspecified, no reason), expired or not: such a key must not be
    /// certified again (RFC 5280 §5.3.1; whoever holds it could sign reports under the new certificate, and the
    /// store withdraws every report of the old one for the same reason). A reason the index names but this version
    /// does not know counts as `unspecified`. Throws as `validHolders`.
    func compromisedHolders(of request: CertificateSigningRequest, in index: Index) throws(InputError) -> [Int] {
        try holders(of: request, in: index) { $0.revokedAt != nil && Self.reason(of: $0).voidsEarlierSignatures }
    }

    /// The recorded revocation reason of `entry`; `unspecified` when it has none or one this version does not know.
    static func reason(of entry: IssuedCertificate) -> CertificateRevocationList.Reason {
        entry.revocationReason.flatMap { CertificateRevocationList.Reason(name: $0) } ?? .unspecified
    }

    /// Positions in `index` of the certificates that `select` keeps and that carry `request`'s public key.
    private func holders(
        of request: CertificateSigningRequest, in index: Index, where select: (IssuedCertificate) -> Bool
    ) throws(InputError) -> [Int] {
        guard let key = request.publicKeyIdentity else {
            throw InputError(
                .invalidData, fr: "demande de certificat : sa clé publique ne peut être décodée",
                en: "certificate request: its public key cannot be decoded")
        }
        var positions: [Int] = []
        for (position, entry) in index.certificates.enumerated() where select(entry) {
            let path = "\(certsPath)/\(entry.serial).pem"
            let copy: X509Certificate
            do {
                copy = try TrustFiles.readCertificate(path, what: LocalizedText(fr: "copie du certificat \(entry.serial)", en: "copy of certificate \(entry.serial)"))
            } catch {
                throw InputError(
                    .invalidData, file: path,
                    fr: "impossible de dire si la clé de la demande a déjà un certificat valide : \(error.message)",
                    en: "cannot tell whether the request's key already has a valid certificate: \(error.englishMessage)")
            }
            guard copy.sha256Fingerprint == entry.fingerprint else {
                throw InputError(
                    .invalidData, file: path,
                    fr: "ce n'est pas le certificat qu'index.json enregistre pour le numéro \(entry.serial) (SHA-256 \(copy.sha256Fingerprint), attendu \(entry.fingerprint))",
                    en: "not the certificate index.json records for serial \(entry.serial) (SHA-256 \(copy.sha256Fingerprint), expected \(entry.fingerprint))")
            }
            guard let held = copy.publicKeyIdentity else {
                throw InputError(
                    .invalidData, file: path,
                    fr: "impossible de dire si la clé de la demande a déjà un certificat : la clé publique du certificat \(entry.serial) ne peut être décodée",
                    en: "cannot tell whether the request's key already has a certificate: the public key of certificate \(entry.serial) cannot be decoded")
            }
            if held == key { positions.append(position) }
        }
        return positions
    }

    /// The refusal of a request whose key was revoked for a reason that voids all its signatures (`compromised`), even
    /// with `--renew`. A key only on hold (certificateHold) can be certified again once its revocation is given a
    /// final reason that does not void earlier signatures (`pki revoke SERIAL --reason superseded`).
    static func compromisedKey(_ compromised: [IssuedCertificate]) -> InputError {
        let list = compromised.map {
            "\($0.serial) (\($0.subject), \($0.revokedAt.map { PeopleTime.string(from: $0) } ?? "?"), motif \(Self.reason(of: $0).name))"
        }.joined(separator: ", ")
        let listEn = compromised.map {
            "\($0.serial) (\($0.subject), \($0.revokedAt.map { PeopleTime.string(from: $0) } ?? "?"), reason \(Self.reason(of: $0).name))"
        }.joined(separator: ", ")
        let onHold = compromised.allSatisfy { Self.reason(of: $0) == .certificateHold }
        if onHold {
            return InputError(
                .usage,
                fr: "la clé de cette demande est suspendue (certificateHold) : série \(list) ; tant que la suspension dure, elle n'est pas "
                    + "certifiée à nouveau, même avec --renew. Si la clé est sûre, donnez un motif définitif (cyberctl pki revoke \(compromised[0].serial) "
                    + "--reason superseded) puis émettez ; sinon générez une nouvelle clé sur le serveur (cyberctl enroll)",
                en: "this request's key is on hold (certificateHold): serial \(listEn); while on hold it is not certified again, even with "
                    + "--renew. If the key is safe, give a final reason (cyberctl pki revoke \(compromised[0].serial) --reason superseded) "
                    + "then issue; otherwise generate a new key on the server (cyberctl enroll)")
        }
        return InputError(
            .usage,
            fr: "la clé de cette demande a été révoquée pour un motif qui annule toutes ses signatures (compromission ou motif non précisé, "
                + "RFC 5280 §5.3.1) : série \(list) ; elle ne sera plus jamais certifiée, même avec --renew : générez une nouvelle clé sur "
                + "le serveur (cyberctl enroll) et émettez un certificat pour sa demande",
            en: "this request's key was revoked for a reason that voids all its signatures (compromise or unspecified reason, RFC 5280 "
                + "§5.3.1): serial \(listEn); it will never be certified again, even with --renew: generate a new key on the server "
                + "(cyberctl enroll) and issue a certificate for its request")
    }

    /// The refusal of a request whose key already has the valid certificates `holders`: French first, then English,
    /// with the serials and the two ways forward (`--renew`, or `pki revoke` first).
    static func alreadyCertified(_ holders: [IssuedCertificate]) -> InputError {
        let list = holders.map { "\($0.serial) (\($0.subject), \(PeopleTime.string(from: $0.notAfter)))" }.joined(separator: ", ")
        let first = holders[0].serial
        return InputError(
            .usage,
            fr: "la clé de cette demande a déjà un certificat valide : série \(list) ; --renew émet le nouveau et révoque l'ancien "
                + "(motif superseded), ou révoquez-le d'abord : cyberctl pki revoke \(first)",
            en: "this request's key already has a valid certificate: serial \(list); give --renew to issue the new one and "
                + "revoke the old one as superseded, or revoke it first: cyberctl pki revoke \(first)")
    }
}
