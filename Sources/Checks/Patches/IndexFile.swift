import NIS2
#if canImport(Glibc)
import Glibc
import Model
#endif

/// Streams a file of the audited system through `FileSystemRoot`, decompressing every format apt
/// reads its lists in (`ListCompression`: plain, `.lz4`, `.zst`, `.gz`, `.xz`, `.bz2`, `.lzma`)
/// through the system libraries, chunk by chunk: the decompressed file is never held whole.
enum IndexFile {
    /// Why an index file could not be read.
    struct ReadError: Error, CustomStringConvertible {
        let path: String
        /// What went wrong, French and English; the OS's (`strerror`) and the decompressors' words quoted as they are.
        let problem: LocalizedText
        var description: String { "\(path): \(problem.en)" }
        /// `path: problem` in both languages.
        var localizedText: LocalizedText { LocalizedText(fr: "\(path) : ", en: "\(path): ") + problem }
    }

    /// Size of each read, bytes.
    static let chunkSize = 1 << 20

    /// Calls `consume` with the file's (decompressed) bytes, chunk by chunk.
    /// - Throws: `ReadError` naming the file when it cannot be opened or read, is not a regular file, or
    ///   its compressed data is truncated or corrupt (`DecompressionError`'s words).
    static func stream(
        _ root: FileSystemRoot, _ innerPath: String, consume: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws(ReadError) {
        let resolved: String
        do { resolved = try root.resolve(innerPath) } catch { throw ReadError(path: innerPath, problem: error.localizedText) }
        let descriptor = open(root.hostPath(resolved), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw ReadError(path: innerPath, problem: .verbatim(String(cString: strerror(errno))))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ReadError(path: innerPath, problem: LocalizedText(fr: "pas un fichier ordinaire", en: "not a regular file"))
        }
        let decoder = ListCompression(fileName: innerPath).decoder()
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkSize)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: innerPath, problem: .verbatim(String(cString: strerror(errno))))
            }
            if count == 0 { break }
            let chunk = UnsafeBufferPointer(rebasing: buffer[0..<count])
            if let decoder {
                do { try decoder.feed(chunk, emit: consume) } catch { throw ReadError(path: innerPath, problem: .verbatim(error.description)) }
            } else {
                consume(chunk)
            }
        }
        if let decoder {
            do { try decoder.finish(emit: consume) } catch { throw ReadError(path: innerPath, problem: .verbatim(error.description)) }
        }
    }

    /// The whole (decompressed) file as bytes, for small files.
    static func readAll(_ root: FileSystemRoot, _ innerPath: String, limit: Int = 64 << 20) throws(ReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        var tooLarge = false
        try stream(root, innerPath) { chunk in
            if bytes.count + chunk.count > limit { tooLarge = true; return }
            bytes.append(contentsOf: chunk)
        }
        if tooLarge { throw ReadError(path: innerPath, problem: LocalizedText(fr: "plus de \(limit) octets", en: "larger than \(limit) bytes")) }
        return bytes
    }
}
