internal import CLZ4

/// A streaming decoder of the LZ4 frame format, through the system liblz4 (`LZ4F_decompress`), which
/// apt uses for its lists when `Acquire::GzipIndexes` is set (Debian and Ubuntu container images).
///
/// Input arrives in chunks of any size; decoded bytes are handed out as liblz4 produces them, so
/// memory stays bounded by the frame's block size. liblz4 verifies block and content checksums when
/// the frame carries them. Corrupt input ends with `LZ4Error`, never a crash.
final class LZ4FrameDecoder {
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
        output = .allocate(capacity: 256 << 10)
    }

    deinit {
        LZ4F_freeDecompressionContext(context)
        output.deallocate()
    }

    /// Feeds compressed bytes; `emit` receives decoded bytes, valid only during the call.
    /// - Throws: `LZ4Error.notLZ4` when the data does not start as an LZ4 frame, `.corrupt` otherwise.
    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(LZ4Error) {
        guard let base = chunk.baseAddress else { return }
        var offset = 0
        while offset < chunk.count {
            var consumed = chunk.count - offset
            var produced = output.count
            let hint = LZ4F_decompress(context, output.baseAddress, &produced, base + offset, &consumed, nil)
            if LZ4F_isError(hint) != 0 {
                let name = String(cString: LZ4F_getErrorName(hint))
                throw framesSeen == 0 && expected == 0 && name.contains("frameType_unknown") ? .notLZ4 : .corrupt(name)
            }
            if expected == 0 && consumed > 0 { framesSeen += 1 }
            expected = hint
            offset += consumed
            if produced > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<produced])) }
            if consumed == 0 && produced == 0 { break }
        }
    }

    /// Ends the input. - Throws: `LZ4Error.truncated` when a frame is incomplete, `.notLZ4` when
    /// there was no frame at all.
    func finish() throws(LZ4Error) {
        if framesSeen == 0 { throw .notLZ4 }
        if expected != 0 { throw .truncated }
    }
}

/// Why LZ4 data could not be decoded.
enum LZ4Error: Error, Equatable, CustomStringConvertible {
    case notLZ4
    case truncated
    case corrupt(String)

    var description: String {
        switch self {
        case .notLZ4: return "not LZ4 frame data (bad magic number)"
        case .truncated: return "LZ4 data ends in the middle of a frame (truncated file)"
        case .corrupt(let what): return "corrupt LZ4 data: \(what)"
        }
    }
}
