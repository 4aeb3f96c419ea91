internal import CZlib

/// A streaming decoder of gzip files (RFC 1952) through the system zlib (`inflate`), as apt reads
/// `.gz` lists.
///
/// Like apt, which reads through zlib's `gzread`: several members are read one after the other, and a
/// file that does not start with the gzip magic number is read as it is (zlib's transparent mode; an
/// empty file is an empty list). Stricter than `gzread`, which returns what it could decode without an
/// error: a member cut short (`truncated`) and bytes after the last member that are not another member
/// (`trailingData`) are errors, since the list is then incomplete or damaged. CRC-32 and length are
/// checked by zlib at the end of each member.
final class GzipDecoder: StreamDecoder {
    private enum Mode { case start, gzip, transparent }

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var mode = Mode.start
    /// The first bytes, kept until two are known (the magic number 1f 8b decides the mode).
    private var head: [UInt8] = []
    /// A member has started and has not reached its end.
    private var inMember = false
    private var membersEnded = 0

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: decoderOutputSize)
        // 15 + 16: the largest window, gzip wrapper only. zlib keeps a pointer back to `stream`, hence its fixed address.
        let code = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(code == Z_OK, "inflateInit2 failed (\(code)): out of memory")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        switch mode {
        case .transparent:
            emit(chunk)
        case .gzip:
            try inflate(chunk, emit: emit)
        case .start:
            head.append(contentsOf: chunk)
            guard head.count >= 2 else { return }
            mode = head[0] == 0x1F && head[1] == 0x8B ? .gzip : .transparent
            let pending = head
            head = []
            try pending.withUnsafeBufferPointer { buffer throws(DecompressionError) in try feed(buffer, emit: emit) }
        }
    }

    private func inflate(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
        stream.pointee.avail_in = UInt32(chunk.count)
        while true {
            if stream.pointee.avail_in > 0 && !inMember {
                // The first byte of a member (the file's first, or one after a member that ended).
                inMember = true
            }
            stream.pointee.next_out = output.baseAddress
            stream.pointee.avail_out = UInt32(output.count)
            let code = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { emit(UnsafeBufferPointer(rebasing: output[0..<produced])) }
            switch code {
            case Z_STREAM_END:
                inMember = false
                membersEnded += 1
                inflateReset(stream)
                if stream.pointee.avail_in == 0 { return }
            case Z_OK:
                if stream.pointee.avail_in == 0 && produced < output.count { return }
            case Z_BUF_ERROR:
                // No progress possible: every input byte is consumed and the output has room.
                return
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                if membersEnded > 0 && message == "incorrect header check" { throw .trailingData("gzip") }
                throw .corrupt("gzip", message)
            }
        }
    }

    func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(DecompressionError) {
        if mode == .start && !head.isEmpty {
            // A one-byte file: not gzip, read as it is.
            head.withUnsafeBufferPointer { emit($0) }
            head = []
        }
        if mode == .gzip && inMember { throw .truncated("gzip") }
    }
}
