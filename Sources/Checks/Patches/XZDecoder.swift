internal import CLZMA

/// A streaming decoder of `.xz` files and of legacy `.lzma` files through the system liblzma, as apt
/// reads its `.xz` and `.lzma` lists.
///
/// `.xz`: concatenated streams and stream padding are read (`LZMA_CONCATENATED`, as xz(1) does); the
/// integrity check each stream carries (CRC-32, CRC-64 or SHA-256) is verified by liblzma. A file cut
/// short, an empty file, or bytes after the last stream are errors, as they are for apt.
final class XZDecoder: StreamDecoder {
    enum Format {
        /// The `.xz` container.
        case xz
        /// The legacy `.lzma` ("LZMA_Alone") format.
        case lzmaAlone
    }

    /// Most memory the decoder may use, bytes: `xz -9` needs 65 MiB; a file asking for more is refused
    /// rather than let grow on a production server.
    static let memoryLimit: UInt64 = 256 << 20

    private let stream: UnsafeMutablePointer<lzma_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>
    private let name: String
    private var ended = false

    init(format: Format) {
        name = format == .xz ? "xz" : "lzma"
        stream = .allocate(capacity: 1)
        stream.initialize(to: lzma_stream())
        output = .allocate(capacity: decoderOutputSize)
        // LZMA_CONCATENATED is the macro UINT32_C(0x08) of lzma/container.h, which Swift does not import.
        let concatenated: UInt32 = 0x08
        let code = format == .xz
            ? lzma_stream_decoder(stream, Self.memoryLimit, concatenated)
            : lzma_alone_decoder(stream, Self.memoryLimit)
        precondition(code == LZMA_OK, "liblzma decoder initialisation failed (\(code.rawValue)): out of memory")
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        if ended { throw .trailingData(name) }
        stream.pointee.next_in = base
        stream.pointee.avail_in = chunk.count
        try run(LZMA_RUN, emit: emit)
    }

    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard !ended else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(LZMA_FINISH, emit: emit)
        if !ended { throw .truncated(name) }
    }

    private func run(_ action: lzma_action, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        while true {
            stream.pointee.next_out = output.baseAddress
            stream.pointee.avail_out = output.count
            let code = lzma_code(stream, action)
            let produced = output.count - stream.pointee.avail_out
            if produced > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<produced])) }
            switch code {
            case LZMA_OK:
                if stream.pointee.avail_in == 0 && produced < output.count { return }
            case LZMA_STREAM_END:
                // The `.lzma` format has one stream; with LZMA_CONCATENATED this comes only after LZMA_FINISH.
                ended = true
                if stream.pointee.avail_in > 0 { throw .trailingData(name) }
                return
            case LZMA_BUF_ERROR:
                // No progress: with LZMA_FINISH, the input ended inside a stream.
                throw .truncated(name)
            case LZMA_FORMAT_ERROR:
                throw .notThisFormat(name)
            case LZMA_DATA_ERROR:
                throw .corrupt(name, "compressed data is corrupt (bad block or integrity check)")
            case LZMA_OPTIONS_ERROR:
                throw .corrupt(name, "unsupported options in the header")
            case LZMA_MEMLIMIT_ERROR:
                throw .corrupt(name, "needs more than \(Self.memoryLimit >> 20) MiB of memory to decode")
            default:
                throw .corrupt(name, "liblzma error \(code.rawValue)")
            }
        }
    }
}
