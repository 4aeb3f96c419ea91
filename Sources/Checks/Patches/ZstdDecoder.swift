internal import CZstd

/// A streaming decoder of Zstandard files (RFC 8878) through the system libzstd
/// (`ZSTD_decompressStream`), as apt reads `.zst` lists.
///
/// Concatenated and skippable frames are read; a frame's content checksum, when it has one, is
/// verified by libzstd. An empty file, a file cut inside a frame and bytes that are not a frame are
/// errors, as they are for apt. Windows above libzstd's default limit (128 MiB) are refused.
final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    private let output: UnsafeMutableBufferPointer<UInt8>
    /// libzstd's hint after the last call: 0 when the input ended exactly at the end of a frame.
    private var expected = 0
    private var sawInput = false

    init() {
        guard let created = ZSTD_createDStream() else { preconditionFailure("ZSTD_createDStream failed: out of memory") }
        context = created
        output = .allocate(capacity: decoderOutputSize)
    }

    deinit {
        ZSTD_freeDStream(context)
        output.deallocate()
    }

    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        sawInput = true
        var input = ZSTD_inBuffer(src: base, size: chunk.count, pos: 0)
        while true {
            let consumedBefore = input.pos
            var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &out, &input)
            if ZSTD_isError(hint) != 0 {
                let name = String(cString: ZSTD_getErrorName(hint))
                throw name == "Unknown frame descriptor" && expected == 0
                    ? (input.pos == 0 && !sawFrame ? .notThisFormat("zstd") : .trailingData("zstd"))
                    : .corrupt("zstd", name)
            }
            if out.pos > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<out.pos])) }
            expected = hint
            sawFrame = true
            if input.pos == input.size && out.pos < out.size { return }
            // No progress at all (never seen from libzstd): more calls would spin.
            if input.pos == consumedBefore && out.pos == 0 { throw .corrupt("zstd", "the decoder made no progress") }
        }
    }

    /// A frame has been started or read (so an unknown descriptor later is trailing data).
    private var sawFrame = false

    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        if !sawInput || expected != 0 { throw .truncated("zstd") }
    }
}
