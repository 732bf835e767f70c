import Foundation
import Formats

/// Reads and writes single JSON documents (plain, `.gz` or `.zst`) through the one JSON reader and writer
/// of `Formats`, with positioned errors.
public enum JSONFile {
    /// Parses `bytes` (from `path`, used in errors); `line` is the line the bytes start on (one JSONL line).
    public static func value(_ bytes: [UInt8], path: String, line: Int? = nil) throws -> JSONValue {
        do {
            return try JSONReader.parse(bytes, path: path, line: line ?? 1)
        } catch let e as FormatsError {
            throw DataIOError(e, path: path, inLine: line != nil)
        }
    }

    /// The document in `path` (decompressed when `.gz`/`.zst`).
    public static func value(path: String) throws -> JSONValue {
        try value(ByteReader.readAll(path: path), path: path)
    }

    /// Parses `bytes` into Foundation objects (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `Bool`, `NSNull`).
    public static func parse(_ bytes: [UInt8], path: String, line: Int? = nil) throws -> Any {
        try value(bytes, path: path, line: line).foundation
    }

    /// The document in `path` as Foundation objects.
    public static func read(path: String) throws -> Any {
        try value(path: path).foundation
    }

    /// The document in `path` decoded as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        try decode(type, from: ByteReader.readAll(path: path), path: path)
    }

    /// Decodes `bytes` as `T`; errors name the line, column and key path.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String, line: Int? = nil) throws -> T {
        let v = try value(bytes, path: path, line: line)
        do {
            return try JSONDecoding.decode(type, from: v)
        } catch let e as FormatsError {
            throw DataIOError(e, path: path, inLine: line != nil, decoding: "\(T.self)")
        }
    }

    /// Writes a Foundation object atomically (keys sorted, so equal objects give equal files).
    public static func write(_ object: Any, to path: String, pretty: Bool = false) throws {
        try write(value: JSONValue(foundation: object), to: path, pretty: pretty)
    }

    /// Writes an `Encodable` value atomically (keys sorted).
    public static func write<T: Encodable>(encodable value: T, to path: String, pretty: Bool = false) throws {
        try write(value: JSONEncoding.value(value), to: path, pretty: pretty)
    }

    /// Writes a value atomically, with a final newline (compressed when the path ends in `.gz`/`.zst`).
    public static func write(value: JSONValue, to path: String, pretty: Bool = false) throws {
        try AtomicFileWriter.write(JSONWriter.bytes(value, pretty: pretty, path: path) + [0x0A], to: path)
    }
}

extension DataIOError {
    /// The DataIO error for a JSON problem in `path`; `decoding` names the type being decoded.
    init(_ e: FormatsError, path: String, inLine: Bool, decoding: String? = nil) {
        guard let at = e.location else {
            self = .unsupported(path: path, what: e.description)
            return
        }
        var text = "expected " + e.expected
        if let decoding { text = "expected \(decoding): " + text }
        self = .syntax(SourcePosition(path: path, line: at.line, column: at.column, byteOffset: inLine ? nil : at.offset),
                       expected: text)
    }
}
