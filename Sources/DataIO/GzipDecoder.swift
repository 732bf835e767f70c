import CZlib

/// Streaming gzip decompression (zlib `inflate` with the gzip wrapper). Concatenated members are
/// decoded one after another, as `gzip -d` does; anything after a member that is not another gzip
/// member is an error.
final class GzipDecoder {
    private let file: RawFile
    private let stream: UnsafeMutablePointer<z_stream>
    /// True between the first byte of a member and its trailer.
    private var memberOpen = false
    private var finished = false

    init(file: RawFile) throws {
        self.file = file
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: maximum window, gzip wrapper only (no raw zlib streams).
        let rc = inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deallocate()
            throw DataIOError.decompression(SourcePosition(path: file.path, byteOffset: 0), format: "gzip",
                                            reason: "inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    private func error(_ reason: String) -> DataIOError {
        .decompression(SourcePosition(path: file.path, byteOffset: file.consumedOffset), format: "gzip",
                       reason: reason)
    }

    /// Fills `out` with decompressed bytes; returns 0 only at the end of the last member.
    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished || out.count == 0 { return 0 }
        stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(out.count, Int(UInt32.max)))
        let outStart = Int(stream.pointee.avail_out)
        while true {
            if file.available == 0 { try file.fill() }
            if file.available == 0 && file.atEOF && !memberOpen {
                finished = true
                return outStart - Int(stream.pointee.avail_out)
            }
            if file.available > 0 { memberOpen = true }
            stream.pointee.next_in = file.buffer + file.start
            stream.pointee.avail_in = uInt(file.available)
            let rc = inflate(stream, Z_NO_FLUSH)
            file.start = file.end - Int(stream.pointee.avail_in)
            let produced = outStart - Int(stream.pointee.avail_out)
            switch rc {
            case Z_STREAM_END:
                memberOpen = false
                inflateReset(stream)
            case Z_OK:
                break
            case Z_BUF_ERROR:
                // No progress possible: either more input is needed or the file ended inside a member.
                if file.available == 0 && file.atEOF && produced == 0 {
                    throw error("unexpected end of file inside a gzip member")
                }
            case Z_MEM_ERROR:
                throw error("out of memory")
            default:
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "inflate error \(rc)"
                throw error(msg)
            }
            if produced > 0 { return produced }
        }
    }
}
