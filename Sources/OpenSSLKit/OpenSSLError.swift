internal import COpenSSL
import FoundationEssentials

/// An OpenSSL failure: the operation that failed and every entry drained from the thread's error queue,
/// each with the library's own reason string.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One entry of OpenSSL's error queue.
    public struct Entry: Sendable, Equatable {
        /// The packed OpenSSL error code.
        public let code: UInt
        /// `ERR_error_string_n` text, e.g. `error:0480006C:PEM routines::no start line`.
        public let reason: String
        /// Extra data attached by the library (a file name, a field), possibly empty.
        public let data: String
    }

    /// What cyberctl was doing, in plain words (`"reading PKCS#12"`).
    public let operation: String
    /// The drained queue, oldest first; empty when OpenSSL gave no detail.
    public let entries: [Entry]

    public init(operation: String, entries: [Entry]) {
        self.operation = operation
        self.entries = entries
    }

    /// Drains the calling thread's OpenSSL error queue into an error for `operation`.
    /// Call it right after a failing return code, on the same thread.
    public static func drain(_ operation: String) -> OpenSSLError {
        var entries: [Entry] = []
        while true {
            var dataPointer: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &dataPointer, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 512)
            ERR_error_string_n(code, &buffer, buffer.count)
            let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var data = ""
            if let dataPointer, flags & ERR_TXT_STRING != 0 { data = String(cString: dataPointer) }
            entries.append(Entry(code: code, reason: reason, data: data))
        }
        return OpenSSLError(operation: operation, entries: entries)
    }

    /// Empties the error queue without keeping it (after an expected failure, such as probing a format).
    public static func clearQueue() { ERR_clear_error() }

    public var description: String {
        if entries.isEmpty { return "\(operation): OpenSSL gave no detail" }
        let reasons = entries.map { $0.data.isEmpty ? $0.reason : "\($0.reason) (\($0.data))" }
        return "\(operation): " + reasons.joined(separator: "; ")
    }
}
