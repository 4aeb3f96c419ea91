internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// An owned in-memory BIO (`BIO_s_mem`), freed in `deinit`.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty, writable BIO.
    init() throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("allocating a memory BIO") }
        pointer = bio
    }

    /// A BIO holding a copy of `bytes`, readable from the start.
    init(bytes: [UInt8]) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("allocating a memory BIO") }
        pointer = bio
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else { throw OpenSSLError.drain("filling a memory BIO") }
        }
    }

    deinit { BIO_free(pointer) }

    /// Everything written to the BIO so far.
    var bytes: [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let length = cyberctl_BIO_get_mem_data(pointer, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The BIO's contents as UTF-8 text (invalid bytes replaced).
    var string: String { String(decoding: bytes, as: UTF8.self) }
}
