internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A CMS `SignedData` (RFC 5652) held by libcrypto (`CMS_ContentInfo*`), freed in `deinit`.
///
/// cyberctl signs reports as detached SignedData in DER, SHA-256, with the signer certificate
/// included and a signing-time attribute: what `openssl cms -sign -binary -outform DER` produces.
public final class CMSSignedData: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { CMS_ContentInfo_free(pointer) }

    /// Signs `content` (exact bytes, no MIME canonicalisation) as detached SignedData.
    /// - Parameters:
    ///   - certificate: the signer certificate, included in the SignedData.
    ///   - key: its private key.
    ///   - signingTime: the signing-time attribute; nil for libcrypto's clock (the system time).
    /// - Throws: `OpenSSLError` (a key that does not match the certificate, for instance).
    public static func signDetached(
        _ content: [UInt8], certificate: X509Certificate, key: PrivateKey, signingTime: Date? = nil
    ) throws(OpenSSLError) -> CMSSignedData {
        let flags = UInt32(CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP)
        let signed = try partial(certificate: certificate, key: key, signingTime: signingTime, flags: flags)
        let cms = signed.pointer
        let bio = try makeContentBIO(content)
        defer { BIO_free(bio) }
        guard CMS_final(cms, bio, nil, flags) == 1 else { throw OpenSSLError.drain("signing the content") }
        return signed
    }

    /// Signs content given in pieces, as detached SignedData identical to what `signDetached` makes of
    /// the same bytes: only the SHA-256 of the content is kept, so a report of any size is signed while it
    /// is written, without holding it (`update`, then `finish`).
    public final class DetachedSigner: @unchecked Sendable {
        private let signed: CMSSignedData
        /// The digest chain CMS_dataInit builds (digest BIO over a null BIO, the content being detached).
        private var chain: OpaquePointer?
        private static let flags = UInt32(CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP)

        /// - Throws: `OpenSSLError` (a key that does not match the certificate, for instance).
        public init(certificate: X509Certificate, key: PrivateKey, signingTime: Date? = nil) throws(OpenSSLError) {
            signed = try CMSSignedData.partial(certificate: certificate, key: key, signingTime: signingTime, flags: Self.flags)
            guard let chain = CMS_dataInit(signed.pointer, nil) else { throw OpenSSLError.drain("starting the content digest") }
            self.chain = chain
        }

        deinit { if let chain { BIO_free_all(chain) } }

        /// Adds the next bytes of the content.
        /// - Throws: `OpenSSLError` when the digest cannot take them, or after `finish`.
        public func update(_ bytes: [UInt8]) throws(OpenSSLError) {
            guard let chain else { throw OpenSSLError.drain("adding content after the signature was made") }
            var offset = 0
            while offset < bytes.count {
                let chunk = min(bytes.count - offset, Int(Int32.max))
                let written = bytes.withUnsafeBytes { BIO_write(chain, $0.baseAddress! + offset, Int32(chunk)) }
                guard written > 0 else { throw OpenSSLError.drain("digesting the content") }
                offset += Int(written)
            }
        }

        /// Signs the digest of everything given to `update`.
        /// - Throws: `OpenSSLError` when signing fails, or when called twice.
        public func finish() throws(OpenSSLError) -> CMSSignedData {
            guard let chain else { throw OpenSSLError.drain("signing twice") }
            defer { BIO_free_all(chain); self.chain = nil }
            guard CMS_dataFinal(signed.pointer, chain) == 1 else { throw OpenSSLError.drain("signing the content") }
            return signed
        }
    }

    /// A SignedData with its signer added and no content digested yet.
    static func partial(certificate: X509Certificate, key: PrivateKey, signingTime: Date?, flags: UInt32) throws(OpenSSLError) -> CMSSignedData {
        guard let cms = CMS_sign(nil, nil, nil, nil, flags) else { throw OpenSSLError.drain("creating CMS SignedData") }
        let signed = CMSSignedData(owning: cms)
        guard let signer = CMS_add1_signer(cms, certificate.pointer, key.pointer, EVP_sha256(), flags) else {
            throw OpenSSLError.drain("adding the CMS signer")
        }
        if let signingTime {
            guard let time = ASN1_TIME_set(nil, time_t(signingTime.timeIntervalSince1970.rounded(.down))) else {
                throw OpenSSLError.drain("encoding the signing time")
            }
            defer { ASN1_TIME_free(time) }
            guard CMS_signed_add1_attr_by_NID(signer, NID_pkcs9_signingTime, time.pointee.type, UnsafeRawPointer(time), -1) == 1 else {
                throw OpenSSLError.drain("adding the signing-time attribute")
            }
        }
        return signed
    }

    /// A read-only memory BIO over `content` (no copy); the caller frees it before `content` goes away.
    static func makeContentBIO(_ content: [UInt8]) throws(OpenSSLError) -> OpaquePointer {
        // BIO_new_mem_buf copies nothing; the array outlives the BIO in every caller.
        let bio = content.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw OpenSSLError.drain("wrapping the content in a BIO") }
        return bio
    }

    /// Parses DER-encoded CMS `ContentInfo`.
    /// - Throws: `OpenSSLError` when the bytes are not one complete DER CMS structure.
    public convenience init(derEncoded bytes: [UInt8]) throws(OpenSSLError) {
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard buffer.count > 0 else { return nil }
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let cms = d2i_CMS_ContentInfo(nil, &cursor, buffer.count) else { return nil }
            if let cursor, let base = buffer.baseAddress, cursor - base != buffer.count {
                CMS_ContentInfo_free(cms)
                return nil
            }
            return cms
        }
        guard let parsed else { throw OpenSSLError.drain("parsing DER CMS") }
        self.init(owning: parsed)
    }

    /// The DER encoding.
    public func derEncoded() throws(OpenSSLError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_CMS_ContentInfo(pointer, &output)
        guard length > 0, let output else { throw OpenSSLError.drain("encoding CMS") }
        defer { cyberctl_OPENSSL_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    /// True when the content type is `id-signedData`.
    public var isSignedData: Bool {
        guard let type = CMS_get0_type(pointer) else { return false }
        return OBJ_obj2nid(type) == NID_pkcs7_signed
    }

    /// True when the content is not embedded (a detached signature).
    public var isDetached: Bool { CMS_is_detached(pointer) == 1 }

    /// True when the encapsulated content type is `id-data` (RFC 5652 §4), as for a signed file.
    public var encapsulatesData: Bool {
        guard let type = CMS_get0_eContentType(pointer) else { return false }
        return OBJ_obj2nid(type) == NID_pkcs7_data
    }

    /// Every certificate carried in the SignedData, in order.
    public var certificates: [X509Certificate] {
        guard let stack = CMS_get1_certs(pointer) else {
            OpenSSLError.clearQueue()
            return []
        }
        defer { cyberctl_sk_X509_pop_free(stack) }
        var result: [X509Certificate] = []
        for index in 0..<cyberctl_sk_X509_num(stack) {
            if let certificate = cyberctl_sk_X509_value(stack, index) { result.append(X509Certificate(retaining: certificate)) }
        }
        return result
    }

    /// The signer infos.
    public var signers: [Signer] {
        guard let stack = CMS_get0_SignerInfos(pointer) else {
            OpenSSLError.clearQueue()
            return []
        }
        // Match each signer info with its certificate among those carried (CMS_set1_signers_certs).
        _ = CMS_set1_signers_certs(pointer, nil, 0)
        OpenSSLError.clearQueue()
        return (0..<cyberctl_sk_CMS_SignerInfo_num(stack)).compactMap { index in
            cyberctl_sk_CMS_SignerInfo_value(stack, index).map { Signer(pointer: $0, owner: self) }
        }
    }

    /// The signer infos, matched with their certificates among `certificates` first, then among
    /// those the SignedData carries (`CMS_set1_signers_certs`).
    public func signers(using certificates: [X509Certificate]) -> [Signer] {
        let stack = cyberctl_sk_X509_new_null()
        defer { if let stack { cyberctl_sk_X509_free(stack) } }
        for certificate in certificates { _ = cyberctl_sk_X509_push(stack, certificate.pointer) }
        _ = CMS_set1_signers_certs(pointer, stack, 0)
        OpenSSLError.clearQueue()
        guard let infos = CMS_get0_SignerInfos(pointer) else { return [] }
        return (0..<cyberctl_sk_CMS_SignerInfo_num(infos)).compactMap { index in
            cyberctl_sk_CMS_SignerInfo_value(infos, index).map { Signer(pointer: $0, owner: self) }
        }
    }

    /// One SignerInfo (borrowed: keeps its SignedData alive).
    public struct Signer: @unchecked Sendable {
        let pointer: OpaquePointer
        let owner: CMSSignedData

        /// The signer certificate found among the SignedData's certificates; nil when absent.
        public var certificate: X509Certificate? {
            var signerCertificate: OpaquePointer?
            CMS_SignerInfo_get0_algs(pointer, nil, &signerCertificate, nil, nil)
            return signerCertificate.map { X509Certificate(retaining: $0) }
        }

        /// Number of signed attributes (0 when the signature covers the content directly).
        public var signedAttributeCount: Int { Int(max(0, CMS_signed_get_attr_count(pointer))) }

        /// The signing-time attribute (RFC 5652 §11.3), nil when absent or unreadable.
        public var signingTime: Date? {
            let index = CMS_signed_get_attr_by_NID(pointer, NID_pkcs9_signingTime, -1)
            guard index >= 0, let attribute = CMS_signed_get_attr(pointer, index),
                  let value = X509_ATTRIBUTE_get0_type(attribute, 0) else { return nil }
            let type = ASN1_TYPE_get(value)
            guard type == V_ASN1_UTCTIME || type == V_ASN1_GENERALIZEDTIME else { return nil }
            return X509Certificate.date(UnsafePointer(value.pointee.value.utctime))
        }

        /// The digest algorithm's short name (`SHA256`), nil when unknown to libcrypto.
        public var digestAlgorithm: String? { digestNID.flatMap { OBJ_nid2sn($0) }.map { String(cString: $0).uppercased() } }

        var digestNID: Int32? {
            var algorithm: UnsafeMutablePointer<X509_ALGOR>?
            CMS_SignerInfo_get0_algs(pointer, nil, nil, &algorithm, nil)
            guard let algorithm else { return nil }
            var object: OpaquePointer?
            X509_ALGOR_get0(&object, nil, nil, algorithm)
            let nid = OBJ_obj2nid(object)
            return nid == NID_undef ? nil : nid
        }

        /// True when the signed content-type attribute is present and equals the encapsulated content
        /// type (RFC 5652 §11.1 requires both).
        public var contentTypeAttributeMatches: Bool {
            guard let object = OBJ_nid2obj(NID_pkcs9_contentType),
                  let raw = CMS_signed_get0_data_by_OBJ(pointer, object, -3, V_ASN1_OBJECT),
                  let encapsulated = CMS_get0_eContentType(owner.pointer) else {
                OpenSSLError.clearQueue()
                return false
            }
            return OBJ_cmp(OpaquePointer(raw), encapsulated) == 0
        }

        /// True when the signatureAlgorithm agrees with the digest algorithm and the signer's key:
        /// `ecdsa-with-SHA256` for SHA-256 and an EC key, or the bare key algorithm
        /// (`id-ecPublicKey`, `rsaEncryption`) that RFC 5753 and RFC 3370 also allow.
        public var signatureAlgorithmIsConsistent: Bool {
            var key: OpaquePointer?
            var algorithm: UnsafeMutablePointer<X509_ALGOR>?
            CMS_SignerInfo_get0_algs(pointer, &key, nil, nil, &algorithm)
            guard let key, let algorithm, let digest = digestNID else { return false }
            var object: OpaquePointer?
            X509_ALGOR_get0(&object, nil, nil, algorithm)
            let nid = OBJ_obj2nid(object)
            guard nid != NID_undef else { return false }
            var digestOfSignature: Int32 = NID_undef
            var keyOfSignature: Int32 = NID_undef
            if OBJ_find_sigid_algs(nid, &digestOfSignature, &keyOfSignature) == 1 {
                return digestOfSignature == digest && keyOfSignature == EVP_PKEY_get_base_id(key)
            }
            return nid == EVP_PKEY_get_base_id(key)
        }

        /// The messageDigest attribute: the digest of the content as the signer computed it.
        public var messageDigest: [UInt8]? {
            guard let object = OBJ_nid2obj(NID_pkcs9_messageDigest),
                  let raw = CMS_signed_get0_data_by_OBJ(pointer, object, -3, V_ASN1_OCTET_STRING) else {
                OpenSSLError.clearQueue()
                return nil
            }
            return X509Certificate.bytes(raw.assumingMemoryBound(to: ASN1_STRING.self))
        }

        /// Digest of `content` with the signer's digest algorithm; nil when the algorithm is unknown.
        public func digest(of content: [UInt8]) -> [UInt8]? {
            guard let nid = digestNID, let name = OBJ_nid2sn(nid), let type = EVP_get_digestbyname(name) else { return nil }
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            let ok = content.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, type, nil) }
            guard ok == 1 else {
                OpenSSLError.clearQueue()
                return nil
            }
            return Array(digest.prefix(Int(length)))
        }

        /// Verifies the signature value over the signed attributes with the signer certificate's key
        /// (`CMS_SignerInfo_verify`). Does not look at the content nor at the certificate's chain.
        public func verifySignedAttributes() throws(OpenSSLError) {
            guard CMS_SignerInfo_verify(pointer) == 1 else { throw OpenSSLError.drain("verifying the CMS signature value") }
        }
    }

    /// The whole of `CMS_verify` over detached `content`, chain included, against `store` at the
    /// store's verification time: the reference check, as `openssl cms -verify -binary` does it.
    public func verify(content: [UInt8], store: X509Store) throws(OpenSSLError) {
        let bio = try Self.makeContentBIO(content)
        defer { BIO_free(bio) }
        guard CMS_verify(pointer, nil, store.pointer, bio, nil, UInt32(CMS_BINARY)) == 1 else {
            throw OpenSSLError.drain("CMS_verify")
        }
    }
}
