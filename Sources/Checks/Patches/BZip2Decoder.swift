internal import CBZip2

/// A streaming decoder of bzip2 files through the system libbz2 (`BZ2_bzDecompress`), as apt reads
/// `.bz2` lists.
///
/// Each block's CRC and the stream's combined CRC are verified by libbz2. Streams written one after
/// the other (as pbzip2 writes them) are read in turn; an empty file, a file cut inside a stream, and
/// bytes after the last stream that are not another stream are errors.
final class BZip2Decoder: StreamDecoder {
    private let stream: UnsafeMutablePointer<bz_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>
    /// A stream has started and has not reached its end.
    private var inStream = false
    private var streamsEnded = 0
    private var initialised = false

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        output = .allocate(capacity: decoderOutputSize)
        start()
    }

    private func start() {
        stream.pointee = bz_stream()
        // libbz2 keeps a pointer back to `stream`, hence its fixed address. verbosity 0, small 0 (the fast decoder).
        let code = BZ2_bzDecompressInit(stream, 0, 0)
        precondition(code == BZ_OK, "BZ2_bzDecompressInit failed (\(code)): out of memory")
        initialised = true
    }

    deinit {
        if initialised { BZ2_bzDecompressEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var next = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: CChar.self)
        var available = UInt32(chunk.count)
        while true {
            if !initialised { start() }
            if available > 0 { inStream = true }
            let availableBefore = available
            stream.pointee.next_in = next
            stream.pointee.avail_in = available
            stream.pointee.next_out = UnsafeMutableRawPointer(output.baseAddress!).assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(output.count)
            let code = BZ2_bzDecompress(stream)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<produced])) }
            next = stream.pointee.next_in
            available = stream.pointee.avail_in
            switch code {
            case BZ_STREAM_END:
                inStream = false
                streamsEnded += 1
                BZ2_bzDecompressEnd(stream)
                initialised = false
                if available == 0 { return }
            case BZ_OK:
                if available == 0 && produced < output.count { return }
                // No progress at all (never seen from libbz2): more calls would spin.
                if produced == 0 && available == availableBefore { throw .corrupt("bzip2", "the decoder made no progress") }
            case BZ_DATA_ERROR_MAGIC:
                throw streamsEnded > 0 ? .trailingData("bzip2") : .notThisFormat("bzip2")
            case BZ_DATA_ERROR:
                throw .corrupt("bzip2", "data integrity error (bad block CRC or bad data)")
            case BZ_MEM_ERROR:
                throw .corrupt("bzip2", "not enough memory to decode")
            default:
                throw .corrupt("bzip2", "libbz2 error \(code)")
            }
        }
    }

    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        if inStream || streamsEnded == 0 { throw .truncated("bzip2") }
    }
}
