#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a (possibly compressed) text file line by line in constant memory.
///
/// Lines end at `\n`; a `\r` before it is dropped (CRLF files read like LF files). A final line without a
/// newline is returned; a UTF-8 byte-order mark at the very start is skipped. `lineNumber` and
/// `lineOffset` describe the line most recently returned, for error messages. A single line longer than
/// the buffer grows the buffer to fit it, up to `maxLineLength` bytes: beyond that a longer line is an
/// error, or with `splitsLongLines` is returned in pieces (`isContinuation` set on all but the first), so
/// memory stays bounded whatever the input (a few KB of `.zst` can expand to one line of gigabytes).
public final class LineReader {
    /// The path given at creation.
    public var path: String { source.path }
    /// 1-based number of the line most recently returned (0 before the first).
    public private(set) var lineNumber = 0
    /// Byte offset (in the decompressed text) of the start of the line most recently returned.
    public private(set) var lineOffset = 0
    /// The underlying byte stream (its `compression` tells how the file was stored).
    public let source: ByteReader

    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    /// Decompressed offset of `buffer[0]`.
    private var base = 0
    private var eof = false
    private var atFileStart = true
    /// Longest line held whole, in bytes (terminator excluded).
    public var maxLineLength = 256 << 20
    /// Return lines longer than `maxLineLength` in pieces instead of failing.
    public var splitsLongLines = false
    /// True when the line most recently returned continues the previous one (a piece of a long line).
    public private(set) var isContinuation = false
    private var continuing = false

    /// Opens `path` (plain, `.gz` or `.zst`, recognised by content).
    public convenience init(path: String, bufferSize: Int = 1 << 16) throws {
        try self.init(source: ByteReader(path: path), bufferSize: bufferSize)
    }

    /// Reads lines from an open byte stream.
    public init(source: ByteReader, bufferSize: Int = 1 << 16) {
        self.source = source
        capacity = max(bufferSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with the next line's bytes (terminator excluded) and returns its result, or returns nil
    /// at the end of input. The bytes are valid only inside `body`.
    public func withNextLine<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R? {
        var scanned = 0 // bytes after `start` known to hold no newline
        while true {
            let from = buffer + start + scanned
            if let hit = memchr(from, 0x0A, end - start - scanned) {
                let nl = UnsafeMutablePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - buffer
                return try emit(upTo: nl, next: nl + 1, body)
            }
            scanned = end - start
            if eof {
                if start == end { return nil }
                return try emit(upTo: end, next: end, body)
            }
            if start == 0 && end == capacity && capacity >= maxLineLength {
                guard splitsLongLines else {
                    throw DataIOError.format(SourcePosition(path: path, line: lineNumber + (continuing ? 0 : 1), column: 1),
                                             expected: "a line of at most \(maxLineLength) bytes; this line is longer")
                }
                return try emitPiece(body)
            }
            try refill()
        }
    }

    /// The next line as a `String` (invalid UTF-8 repaired), or nil at the end of input.
    public func nextLine() throws -> String? {
        try withNextLine { String(decoding: $0, as: UTF8.self) }
    }

    private func emit<R>(upTo lineEnd: Int, next: Int,
                         _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var stop = lineEnd
        if stop > start && buffer[stop - 1] == 0x0D { stop -= 1 }
        isContinuation = continuing
        continuing = false
        if !isContinuation {
            lineNumber += 1
            lineOffset = base + start
        }
        let line = UnsafeBufferPointer(start: buffer + start, count: stop - start)
        start = next
        return try body(line)
    }

    /// Returns the full buffer as a piece of a line too long to hold; the rest follows as continuations.
    private func emitPiece<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        isContinuation = continuing
        if !continuing {
            lineNumber += 1
            lineOffset = base + start
        }
        continuing = true
        let piece = UnsafeBufferPointer(start: buffer + start, count: end - start)
        start = end
        return try body(piece)
    }

    /// Compacts the buffer, grows it when one line fills it, and reads more input.
    private func refill() throws {
        if start > 0 {
            let live = end - start
            if live > 0 { memmove(buffer, buffer + start, live) }
            base += start
            end = live
            start = 0
        }
        if end == capacity {
            let grown = min(capacity * 2, max(maxLineLength, capacity))
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = grown
        }
        repeat {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if n == 0 { eof = true }
            end += n
        } while atFileStart && !eof && end < 3
        if atFileStart {
            // A byte-order mark can only be at offset 0; check once, before any line is returned.
            atFileStart = false
            if end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        }
    }

    /// 1-based column of `byteIndex` within `line`, counting Unicode scalars (UTF-8 lead bytes).
    public static func column(of byteIndex: Int, in line: UnsafeBufferPointer<UInt8>) -> Int {
        var col = 1
        for i in 0..<min(byteIndex, line.count) where line[i] & 0xC0 != 0x80 { col += 1 }
        return col
    }
}
