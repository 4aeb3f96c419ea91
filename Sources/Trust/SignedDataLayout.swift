/// The outer fields of a DER CMS SignedData that no signature covers, read with a minimal DER
/// walker so the verifier can insist they are exactly what RFC 5652 prescribes. Without this, bytes
/// such as the SignedData version or the unsigned digestAlgorithms set could change and the
/// signature would still verify: cyberctl refuses such a file, so that any changed byte is caught.
struct SignedDataLayout: Equatable {
    /// SignedData `version`.
    var version: Int
    /// DER of each AlgorithmIdentifier's OID in `digestAlgorithms`.
    var digestAlgorithms: [[UInt8]]
    /// SignerInfo `version` and whether its sid is issuerAndSerialNumber (else subjectKeyIdentifier),
    /// and its digestAlgorithm's OID.
    var signers: [(version: Int, issuerAndSerial: Bool, digestAlgorithm: [UInt8])]
    /// Whether `certificates` holds anything but plain X.509 certificates ([1], [2], [3] choices), or
    /// `crls` holds `other` revocation info: both raise the version (RFC 5652 §5.1).
    var hasOtherCertificatesOrCRLs: Bool

    static func == (left: SignedDataLayout, right: SignedDataLayout) -> Bool {
        left.version == right.version && left.digestAlgorithms == right.digestAlgorithms
            && left.signers.map { "\($0.version)\($0.issuerAndSerial)\($0.digestAlgorithm)" }
                == right.signers.map { "\($0.version)\($0.issuerAndSerial)\($0.digestAlgorithm)" }
            && left.hasOtherCertificatesOrCRLs == right.hasOtherCertificatesOrCRLs
    }

    /// The version RFC 5652 §5.1 prescribes for this content (id-data encapsulated).
    var expectedVersion: Int {
        if hasOtherCertificatesOrCRLs { return 5 }
        return signers.contains { $0.version == 3 } ? 3 : 1
    }

    /// What is not as RFC 5652 prescribes, or nil when all is.
    var problem: String? {
        if version != expectedVersion { return "SignedData version \(version), expected \(expectedVersion)" }
        for signer in signers {
            let expected = signer.issuerAndSerial ? 1 : 3
            if signer.version != expected { return "SignerInfo version \(signer.version), expected \(expected)" }
            if !digestAlgorithms.contains(signer.digestAlgorithm) { return "the signer's digest algorithm is missing from digestAlgorithms" }
        }
        if digestAlgorithms.count != Set(digestAlgorithms.map { $0.map(String.init).joined(separator: ".") }).count {
            return "digestAlgorithms lists an algorithm twice"
        }
        for algorithm in digestAlgorithms where !signers.contains(where: { $0.digestAlgorithm == algorithm }) {
            return "digestAlgorithms lists an algorithm no signer uses"
        }
        return nil
    }

    /// Each certificate of the `certificates` field, as its complete DER (empty when the field is absent).
    var certificates: [ArraySlice<UInt8>] = []
    /// The ContentInfo rebuilt without the `certificates` field (nil when there is none).
    var withoutCertificates: [UInt8]?

    struct Element {
        let tag: UInt8
        let content: ArraySlice<UInt8>
        /// Tag, length and content.
        let whole: ArraySlice<UInt8>
    }

    /// DER tag-length-value.
    static func encode(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var header = [tag]
        let length = content.count
        if length < 128 {
            header.append(UInt8(length))
        } else {
            var octets: [UInt8] = []
            var rest = length
            while rest > 0 {
                octets.insert(UInt8(rest & 0xFF), at: 0)
                rest >>= 8
            }
            header.append(0x80 | UInt8(octets.count))
            header += octets
        }
        return header + content
    }

    /// Reads the TLV at the start of `bytes`; nil when it is not well-formed DER (definite lengths, minimal).
    static func element(_ bytes: ArraySlice<UInt8>) -> (Element, rest: ArraySlice<UInt8>)? {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { return nil }
        let tag = bytes[index]
        guard tag & 0x1F != 0x1F else { return nil }  // no high-tag-number forms in CMS here
        index += 1
        guard index < bytes.endIndex else { return nil }
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, index + count <= bytes.endIndex, bytes[index] != 0 else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
            guard length >= 128 else { return nil }
        }
        guard length <= bytes.endIndex - index else { return nil }
        return (Element(tag: tag, content: bytes[index..<index + length], whole: bytes[bytes.startIndex..<index + length]), bytes[(index + length)...])
    }

    static func children(_ content: ArraySlice<UInt8>) -> [Element]? {
        var rest = content
        var result: [Element] = []
        while !rest.isEmpty {
            guard let (child, next) = element(rest) else { return nil }
            result.append(child)
            rest = next
        }
        return result
    }

    static func integer(_ element: Element) -> Int? {
        guard element.tag == 0x02, (1...4).contains(element.content.count) else { return nil }
        return element.content.reduce(0) { $0 << 8 | Int($1) }
    }

    /// The OID of an AlgorithmIdentifier, as DER content bytes.
    static func algorithmOID(_ element: Element) -> [UInt8]? {
        guard element.tag == 0x30, let parts = children(element.content), let oid = parts.first, oid.tag == 0x06 else { return nil }
        return Array(oid.content)
    }

    /// Parses `der` (a ContentInfo holding SignedData); nil when its shape is not SignedData's.
    init?(der: [UInt8]) {
        guard let (contentInfo, rest) = Self.element(der[...]), rest.isEmpty, contentInfo.tag == 0x30,
              let infoParts = Self.children(contentInfo.content), infoParts.count == 2, infoParts[1].tag == 0xA0,
              let (signedData, after) = Self.element(infoParts[1].content), after.isEmpty, signedData.tag == 0x30,
              let fields = Self.children(signedData.content), fields.count >= 4,
              let version = Self.integer(fields[0]), fields[1].tag == 0x31,
              let algorithms = Self.children(fields[1].content),
              let signerSet = fields.last, signerSet.tag == 0x31, let signerInfos = Self.children(signerSet.content) else { return nil }
        self.version = version
        var digestAlgorithms: [[UInt8]] = []
        for algorithm in algorithms {
            guard let oid = Self.algorithmOID(algorithm) else { return nil }
            digestAlgorithms.append(oid)
        }
        self.digestAlgorithms = digestAlgorithms
        var other = false
        for field in fields[3..<(fields.count - 1)] {
            switch field.tag {
            case 0xA0:
                guard let certificates = Self.children(field.content) else { return nil }
                other = other || certificates.contains { $0.tag != 0x30 }
                self.certificates = certificates.map(\.whole)
                var content: [UInt8] = []
                for kept in fields where kept.tag != 0xA0 { content += kept.whole }
                withoutCertificates = Self.encode(tag: 0x30, Array(infoParts[0].whole) + Self.encode(tag: 0xA0, Self.encode(tag: 0x30, content)))
            case 0xA1:
                guard let crls = Self.children(field.content) else { return nil }
                other = other || crls.contains { $0.tag != 0x30 }
            default: return nil
            }
        }
        hasOtherCertificatesOrCRLs = other
        var signers: [(Int, Bool, [UInt8])] = []
        for info in signerInfos {
            guard info.tag == 0x30, let parts = Self.children(info.content), parts.count >= 5,
                  let signerVersion = Self.integer(parts[0]), let digest = Self.algorithmOID(parts[2]) else { return nil }
            signers.append((signerVersion, parts[1].tag == 0x30, digest))
        }
        self.signers = signers.map { (version: $0.0, issuerAndSerial: $0.1, digestAlgorithm: $0.2) }
    }
}
