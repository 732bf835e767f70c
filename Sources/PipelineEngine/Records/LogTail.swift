import Foundation

/// The end of a stage's log: what a failure report prints, however large the log grew.
public enum LogTail {
    /// The last `lines` lines of the file at `path`, reading at most `maxBytes` from its end; `truncated`
    /// tells whether earlier text was left out. Nil when the file cannot be read or is empty.
    public static func read(_ path: String, lines: Int = 40, maxBytes: Int = 64 * 1024) -> (text: String, truncated: Bool)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return nil }
        let size = Int64(st.st_size)
        let start = max(0, size - Int64(maxBytes))
        var buffer = [UInt8](repeating: 0, count: Int(size - start))
        var got = 0
        while got < buffer.count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(start) + off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        var bytes = buffer[0..<got]
        if bytes.last == 0x0A { bytes = bytes.dropLast() }
        var cut = bytes.endIndex, seen = 0
        while cut > bytes.startIndex {
            let i = bytes.index(before: cut)
            if bytes[i] == 0x0A { seen += 1; if seen == lines { break } }
            cut = i
        }
        let truncated = cut > bytes.startIndex || start > 0
        return (String(decoding: bytes[cut...], as: UTF8.self) + "\n", truncated)
    }
}
