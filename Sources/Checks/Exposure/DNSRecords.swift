import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
#endif

/// Record data (RDATA) in wire format, decoded for the record types the exposure checks read
/// (RFC 1035 §3.3, RFC 3596, RFC 6698, RFC 8659). Names in RDATA come uncompressed from libunbound.
/// Every decoder returns nil on malformed data rather than trapping.
public enum DNSRecords {
    /// A domain name at `offset` (RFC 1035 §3.1): labels, lower-cased, without the final dot; `.` for the root.
    /// - Returns: the name and the offset after it, nil when malformed or compressed.
    static func name(_ data: [UInt8], at offset: Int) -> (String, Int)? {
        var labels: [String] = []
        var index = offset
        while index < data.count {
            let length = Int(data[index])
            index += 1
            if length == 0 { return (labels.isEmpty ? "." : labels.joined(separator: "."), index) }
            guard length < 64, index + length <= data.count else { return nil }
            labels.append(String(decoding: data[index..<index + length], as: UTF8.self).lowercased())
            index += length
        }
        return nil
    }

    /// TXT (RFC 1035 §3.3.14): the record's character-strings joined, as SPF (RFC 7208 §3.3) and DMARC read them.
    public static func txt(_ data: [UInt8]) -> String? {
        var text: [UInt8] = []
        var index = 0
        while index < data.count {
            let length = Int(data[index])
            guard index + 1 + length <= data.count else { return nil }
            text += data[index + 1..<index + 1 + length]
            index += 1 + length
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// MX (RFC 1035 §3.3.9): preference and exchange host.
    public static func mx(_ data: [UInt8]) -> (preference: Int, exchange: String)? {
        guard data.count >= 3, let (host, end) = name(data, at: 2), end == data.count else { return nil }
        return (Int(data[0]) << 8 | Int(data[1]), host)
    }

    /// NS (RFC 1035 §3.3.11) and CNAME: one name.
    public static func host(_ data: [UInt8]) -> String? {
        guard let (host, end) = name(data, at: 0), end == data.count else { return nil }
        return host
    }

    /// SOA serial (RFC 1035 §3.3.13): after MNAME and RNAME.
    public static func soaSerial(_ data: [UInt8]) -> UInt32? {
        guard let (_, afterMname) = name(data, at: 0), let (_, afterRname) = name(data, at: afterMname),
              afterRname + 20 == data.count else { return nil }
        return data[afterRname..<afterRname + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// A (4 bytes) or AAAA (16 bytes) as text.
    public static func address(_ data: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        switch data.count {
        case 4, 16:
            let family = data.count == 4 ? AF_INET : AF_INET6
            let ok = data.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
            return ok ? String(cString: buffer) : nil
        default:
            return nil
        }
    }

    /// CAA (RFC 8659 §4.1): flags, tag, value.
    public struct CAA: Sendable, Equatable {
        public let critical: Bool
        public let tag: String
        public let value: String
    }

    public static func caa(_ data: [UInt8]) -> CAA? {
        guard data.count >= 2 else { return nil }
        let tagLength = Int(data[1])
        guard tagLength >= 1, 2 + tagLength <= data.count else { return nil }
        return CAA(
            critical: data[0] & 0x80 != 0, tag: String(decoding: data[2..<2 + tagLength], as: UTF8.self).lowercased(),
            value: String(decoding: data[(2 + tagLength)...], as: UTF8.self))
    }

    /// TLSA (RFC 6698 §2.1): certificate usage, selector, matching type, association data.
    public struct TLSA: Sendable, Equatable {
        public let usage: UInt8
        public let selector: UInt8
        public let matchingType: UInt8
        public let data: [UInt8]

        /// `3 1 1 ab12…` as in a zone file.
        public var presentation: String {
            "\(usage) \(selector) \(matchingType) \(data.map { $0.zeroPadded(2, radix: 16) }.joined())"
        }
    }

    public static func tlsa(_ data: [UInt8]) -> TLSA? {
        guard data.count >= 4 else { return nil }
        return TLSA(usage: data[0], selector: data[1], matchingType: data[2], data: Array(data[3...]))
    }
}
