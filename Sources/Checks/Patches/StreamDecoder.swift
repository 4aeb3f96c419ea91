/// A streaming decoder of one compression format: compressed bytes go in, in chunks of any size,
/// decoded bytes come out as the library produces them, so memory stays bounded by the decoder's own
/// buffers (never the whole decompressed file).
protocol StreamDecoder: AnyObject {
    /// Feeds compressed bytes; `emit` receives decoded bytes, valid only during the call.
    /// - Throws: `DecompressionError` when the data is corrupt (bad checksum, bad block) or is not of this format.
    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError)
    /// Ends the input.
    /// - Throws: `DecompressionError.truncated` when the data stops inside a stream or frame (a cut file).
    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError)
}

/// Why compressed data could not be decoded. The file's path is added by the caller.
enum DecompressionError: Error, Equatable, CustomStringConvertible {
    /// The data does not start as this format (bad magic number).
    case notThisFormat(String)
    /// The data ends inside a stream, member or frame: the file was cut.
    case truncated(String)
    /// The library refused the data (bad checksum, bad block, bad header), with its own words.
    case corrupt(String, String)
    /// Bytes follow the end of the last complete stream and are not another stream.
    case trailingData(String)

    var description: String {
        switch self {
        case .notThisFormat(let format): return "not \(format) data (bad magic number)"
        case .truncated(let format): return "\(format) data ends in the middle of a stream (truncated file)"
        case .corrupt(let format, let detail): return "corrupt \(format) data: \(detail)"
        case .trailingData(let format): return "data after the end of the \(format) stream"
        }
    }
}

/// The compressions apt reads its lists in (`APT::Compressor`, `Acquire::CompressionTypes`), in the
/// order apt looks for a list file on disk: by increasing `APT::Compressor::<name>::Cost`
/// (uncompressed 0, lz4 50, zstd 60, gzip 100, xz 200, bzip2 300, lzma 400; `apt-config dump`, apt 2.6).
enum ListCompression: String, CaseIterable, Sendable {
    case none = "", lz4 = ".lz4", zstd = ".zst", gzip = ".gz", xz = ".xz", bzip2 = ".bz2", lzma = ".lzma"

    /// File-name suffixes in apt's order, `""` first.
    static let suffixes = allCases.map(\.rawValue)

    /// The compression a list file name says (by suffix, as apt decides it).
    init(fileName: String) {
        self = Self.allCases.dropFirst().first { fileName.hasSuffix($0.rawValue) } ?? .none
    }

    /// A new decoder, nil for an uncompressed file.
    func decoder() -> (any StreamDecoder)? {
        switch self {
        case .none: return nil
        case .lz4: return LZ4FrameDecoder()
        case .zstd: return ZstdDecoder()
        case .gzip: return GzipDecoder()
        case .xz: return XZDecoder(format: .xz)
        case .lzma: return XZDecoder(format: .lzmaAlone)
        case .bzip2: return BZip2Decoder()
        }
    }
}

/// Size of the decoders' output buffers, bytes.
let decoderOutputSize = 256 << 10
