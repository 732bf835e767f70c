import Foundation

/// Reads and writes single JSON documents (plain, `.gz` or `.zst`), with positioned errors.
public enum JSONFile {
    /// Parses `bytes` (from `path`, used in errors) into Foundation objects; a malformed document is
    /// reported with its line, column and byte offset.
    public static func parse(_ bytes: [UInt8], path: String, line: Int? = nil) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw positionedError(bytes, path: path, line: line, fallback: error)
        }
    }

    /// The document in `path` as Foundation objects (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `NSNull`).
    public static func read(path: String) throws -> Any {
        try parse(ByteReader.readAll(path: path), path: path)
    }

    /// The document in `path` decoded as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        let bytes = try ByteReader.readAll(path: path)
        return try decode(type, from: bytes, path: path)
    }

    /// Decodes `bytes` as `T`; syntax errors are positioned, type mismatches name the coding path.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String, line: Int? = nil) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            if case .dataCorrupted = error, JSONScanner.firstProblem(in: bytes) != nil {
                throw positionedError(bytes, path: path, line: line, fallback: error)
            }
            throw DataIOError.syntax(SourcePosition(path: path, line: line ?? 1),
                                     expected: "expected \(T.self): \(describeDecoding(error))")
        }
    }

    /// Writes a Foundation object atomically (keys sorted, so equal objects give equal files).
    public static func write(_ object: Any, to path: String, pretty: Bool = false) throws {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        if pretty { options.insert(.prettyPrinted) }
        let data = try serialize(object, options: options, path: path)
        try AtomicFileWriter.write(Array(data) + [0x0A], to: path)
    }

    /// Writes an `Encodable` value atomically (keys sorted).
    public static func write<T: Encodable>(encodable value: T, to path: String, pretty: Bool = false) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw DataIOError.unsupported(path: path, what: "value cannot be encoded as JSON: \(error)")
        }
        try AtomicFileWriter.write(Array(data) + [0x0A], to: path)
    }

    static func serialize(_ object: Any, options: JSONSerialization.WritingOptions, path: String) throws -> Data {
        guard JSONSerialization.isValidJSONObject([object]) else {
            throw DataIOError.unsupported(path: path, what: "value of type \(type(of: object)) is not representable as JSON")
        }
        do { return try JSONSerialization.data(withJSONObject: object, options: options) } catch {
            throw DataIOError.unsupported(path: path, what: "value cannot be written as JSON: \(error)")
        }
    }

    /// Builds a `.syntax` error at the scanner's position; `line` offsets positions for one JSONL line.
    static func positionedError(_ bytes: [UInt8], path: String, line: Int?, fallback: Error) -> DataIOError {
        if let p = JSONScanner.firstProblem(in: bytes) {
            if let line {
                return .syntax(SourcePosition(path: path, line: line + p.line - 1, column: p.column), expected: p.expected)
            }
            return .syntax(SourcePosition(path: path, line: p.line, column: p.column, byteOffset: p.offset),
                           expected: p.expected)
        }
        return .syntax(SourcePosition(path: path, line: line ?? 1, column: 1),
                       expected: "expected valid JSON (UTF-8 text): \(fallback.localizedDescription)")
    }

    static func describeDecoding(_ error: DecodingError) -> String {
        func at(_ path: [CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .typeMismatch(let t, let c): return "type mismatch at \(at(c.codingPath)): expected \(t)"
        case .valueNotFound(let t, let c): return "missing value at \(at(c.codingPath)): expected \(t)"
        case .keyNotFound(let k, let c): return "missing key '\(k.stringValue)' at \(at(c.codingPath))"
        case .dataCorrupted(let c): return "\(c.debugDescription) at \(at(c.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
