internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// An X.509 distinguished name as an ordered list of attributes, each named by OpenSSL's short
/// name (`C`, `O`, `CN`, `organizationIdentifier`).
public struct DistinguishedName: Sendable, Equatable, CustomStringConvertible {
    /// One attribute: OpenSSL short name (or dotted OID) and UTF-8 value.
    public struct Attribute: Sendable, Equatable {
        public var type: String
        public var value: String
        public init(_ type: String, _ value: String) {
            self.type = type
            self.value = value
        }
    }

    public var attributes: [Attribute]

    public init(_ attributes: [Attribute]) { self.attributes = attributes }

    /// The values of every attribute of `type` (short name), in order.
    public func values(_ type: String) -> [String] { attributes.filter { $0.type == type }.map(\.value) }

    /// The first value of `type`, if any.
    public func first(_ type: String) -> String? { values(type).first }

    /// `/C=FR/O=…/CN=…`, the form of `openssl req -subj` (no escaping: for display).
    public var description: String { attributes.map { "/\($0.type)=\($0.value)" }.joined() }

    /// `C=FR, O=…, CN=…` in certificate order, UTF-8 unescaped: for people to read.
    public var displayText: String { attributes.map { "\($0.type)=\($0.value)" }.joined(separator: ", ") }

    /// Builds an owned `X509_NAME` (caller frees).
    func makeName() throws(OpenSSLError) -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw OpenSSLError.drain("allocating a name") }
        for attribute in attributes {
            let bytes = Array(attribute.value.utf8)
            let added = bytes.withUnsafeBufferPointer {
                X509_NAME_add_entry_by_txt(name, attribute.type, MBSTRING_UTF8, $0.baseAddress, Int32($0.count), -1, 0)
            }
            guard added == 1 else {
                X509_NAME_free(name)
                throw OpenSSLError.drain("adding \(attribute.type)=\(attribute.value) to a name")
            }
        }
        return name
    }

    /// Reads a borrowed `X509_NAME`.
    init(reading name: OpaquePointer?) {
        guard let name else {
            self.init([])
            return
        }
        var attributes: [Attribute] = []
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index),
                  let object = X509_NAME_ENTRY_get_object(entry),
                  let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            let nid = OBJ_obj2nid(object)
            var type: String
            if nid != NID_undef, let short = OBJ_nid2sn(nid) {
                type = String(cString: short)
            } else {
                var buffer = [CChar](repeating: 0, count: 128)
                let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
                type = String(decoding: buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            guard length >= 0, let utf8 else {
                OpenSSLError.clearQueue()
                continue
            }
            attributes.append(Attribute(type, String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)))
            cyberctl_OPENSSL_free(utf8)
        }
        self.init(attributes)
    }
}

extension X509Certificate {
    /// The subject as an ordered list of attributes.
    public var subjectName: DistinguishedName { DistinguishedName(reading: X509_get_subject_name(pointer)) }

    /// The issuer as an ordered list of attributes.
    public var issuerName: DistinguishedName { DistinguishedName(reading: X509_get_issuer_name(pointer)) }

    /// Key usage bits present in the certificate (RFC 5280 §4.2.1.3), by their RFC names
    /// (`digitalSignature`, `keyCertSign`, `cRLSign` …); nil when the extension is absent.
    public var keyUsage: [String]? {
        guard X509_get_extension_flags(pointer) & UInt32(EXFLAG_KUSAGE) != 0 else { return nil }
        let bits = X509_get_key_usage(pointer)
        let names: [(UInt32, String)] = [
            (UInt32(KU_DIGITAL_SIGNATURE), "digitalSignature"), (UInt32(KU_NON_REPUDIATION), "nonRepudiation"),
            (UInt32(KU_KEY_ENCIPHERMENT), "keyEncipherment"), (UInt32(KU_DATA_ENCIPHERMENT), "dataEncipherment"),
            (UInt32(KU_KEY_AGREEMENT), "keyAgreement"), (UInt32(KU_KEY_CERT_SIGN), "keyCertSign"),
            (UInt32(KU_CRL_SIGN), "cRLSign"), (UInt32(KU_ENCIPHER_ONLY), "encipherOnly"), (UInt32(KU_DECIPHER_ONLY), "decipherOnly"),
        ]
        return names.filter { bits & $0.0 != 0 }.map(\.1)
    }

    /// Serial number as the big-endian magnitude bytes.
    public var serialNumberBytes: [UInt8] {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return [] }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        _ = BN_bn2bin(bn, &bytes)
        return bytes
    }

    /// Parses every `CERTIFICATE` block of a PEM text, or one DER certificate.
    /// - Throws: `CertificateFile.LoadError` when none can be read.
    public static func load(_ bytes: [UInt8]) throws(CertificateFile.LoadError) -> [X509Certificate] {
        try CertificateFile.load(contents: bytes).certificates
    }
}
