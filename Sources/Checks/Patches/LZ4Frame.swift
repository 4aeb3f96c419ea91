internal import CLZ4

/// A streaming decoder of the LZ4 frame format, through the system liblz4 (`LZ4F_decompress`), which
/// apt uses for its lists when `Acquire::GzipIndexes` is set (Debian and Ubuntu container images).
///
/// Concatenated and skippable frames are read as lz4(1) reads them; liblz4 verifies block and content
/// checksums when the frame carries them. Corrupt input ends with `DecompressionError`, never a crash.
final class LZ4FrameDecoder: StreamDecoder {
    private let context: OpaquePointer
    private let output: UnsafeMutableBufferPointer<UInt8>
    /// liblz4's hint after the last call: 0 when the input ended exactly at the end of a frame.
    private var expected = 0
    private(set) var framesSeen = 0

    init() {
        var created: OpaquePointer?
        let code = LZ4F_createDecompressionContext(&created, UInt32(LZ4F_VERSION))
        // Allocation of a ~100-byte context; failing here means the process is out of memory.
        precondition(LZ4F_isError(code) == 0 && created != nil, "LZ4F_createDecompressionContext failed")
        context = created!
        output = .allocate(capacity: decoderOutputSize)
    }

    deinit {
        LZ4F_freeDecompressionContext(context)
        output.deallocate()
    }

    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard let base = chunk.baseAddress else { return }
        var offset = 0
        while offset < chunk.count {
            var consumed = chunk.count - offset
            var produced = output.count
            let hint = LZ4F_decompress(context, output.baseAddress, &produced, base + offset, &consumed, nil)
            if LZ4F_isError(hint) != 0 {
                let name = String(cString: LZ4F_getErrorName(hint))
                guard name.contains("frameType_unknown") && expected == 0 else { throw .corrupt("LZ4", name) }
                throw framesSeen == 0 ? .notThisFormat("LZ4") : .trailingData("LZ4")
            }
            if expected == 0 && consumed > 0 { framesSeen += 1 }
            expected = hint
            offset += consumed
            if produced > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<produced])) }
            if consumed == 0 && produced == 0 { break }
        }
    }

    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        if framesSeen == 0 || expected != 0 { throw .truncated("LZ4") }
    }
}
