import Foundation
import Formats

/// Streams a JSON Lines file (one JSON value per line; plain, `.gz` or `.zst`) in constant memory.
///
/// Blank lines are skipped. A malformed line is reported with its line number, the column of the problem
/// and what was expected there.
public final class JSONLReader: RecordStream {
    /// The path given at creation.
    public var path: String { lines.path }
    /// 1-based line number of the value most recently returned.
    public var lineNumber: Int { lines.lineNumber }
    private let lines: LineReader

    public init(path: String) throws {
        lines = try LineReader(path: path)
    }

    /// The next value as Foundation objects, or nil at the end.
    public func next() throws -> Any? {
        guard let bytes = try nextLineBytes() else { return nil }
        return try JSONFile.parse(bytes, path: path, line: lines.lineNumber)
    }

    /// The next value decoded as `T`, or nil at the end.
    public func next<T: Decodable>(as type: T.Type) throws -> T? {
        guard let bytes = try nextLineBytes() else { return nil }
        return try JSONFile.decode(type, from: bytes, path: path, line: lines.lineNumber)
    }

    /// Every value of `path` as Foundation objects.
    public static func readAll(path: String) throws -> [Any] {
        try JSONLReader(path: path).remaining()
    }

    /// Every value of `path` decoded as `T`.
    public static func readAll<T: Decodable>(_ type: T.Type, path: String) throws -> [T] {
        let reader = try JSONLReader(path: path)
        var out: [T] = []
        while let v = try reader.next(as: type) { out.append(v) }
        return out
    }

    private func nextLineBytes() throws -> [UInt8]? {
        while let bytes = try lines.withNextLine({ Array($0) }) {
            if bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) { return bytes }
        }
        return nil
    }
}

/// Writes a JSON Lines file atomically (see `AtomicFileWriter`): one compact value per line, keys sorted.
public final class JSONLWriter {
    private let file: AtomicFileWriter
    /// Values written so far.
    public private(set) var count = 0

    public init(path: String) throws {
        file = try AtomicFileWriter(path: path)
    }

    /// Appends a value.
    public func write(value: JSONValue) throws {
        try file.write(JSONWriter.bytes(value, path: file.path) + [0x0A])
        count += 1
    }

    /// Appends a Foundation value (`[String: Any]`, `[Any]`, strings, numbers, `NSNull`).
    public func write(_ object: Any) throws { try write(value: JSONValue(foundation: object)) }

    /// Appends an `Encodable` value.
    public func write<T: Encodable>(encodable value: T) throws { try write(value: JSONEncoding.value(value)) }

    /// Completes the file and renames it into place.
    public func finish() throws { try file.finish() }

    /// Abandons the output, leaving no file behind.
    public func cancel() { file.cancel() }
}
