import Foundation
import Formats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Collects tensors and metadata, then writes one safetensors file atomically.
///
/// The layout matches the Rust crate behind Python's `save_file`: tensors ordered by dtype
/// alignment, descending (F64/I64 first, then F32/I32, BF16/F16, ...), then by name bytewise;
/// compact JSON header with `__metadata__` first, padded with spaces to a multiple of 8 bytes.
/// With at most one metadata key our bytes equal Python's (the crate keeps metadata in a
/// `HashMap`, so its key order is random; we sort keys).
///
/// ```swift
/// var w = SafetensorsWriter(metadata: ["format": "pt"])
/// try w.add("weight", floats: values, shape: [4, 8], as: .bf16)
/// try w.write(to: url)
/// ```
public struct SafetensorsWriter {
    struct Entry {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    /// Free-form string metadata stored under `__metadata__` (omitted when empty).
    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []

    /// An empty writer with optional metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Number of tensors added so far.
    public var count: Int { entries.count }

    /// Adds a tensor from raw little-endian bytes; `bytes.count` must equal shape × dtype size.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__" else { throw SafetensorsError.invalidTensor(name: name, expected: "a name other than __metadata__") }
        guard !names.contains(name) else { throw SafetensorsError.invalidTensor(name: name, expected: "a name not added before") }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.invalidTensor(name: name, expected: "non-negative dimensions, got \(shape)")
        }
        var n = 1
        var overflow = false
        for d in shape where !overflow { (n, overflow) = n.multipliedReportingOverflow(by: d) }
        guard !overflow, let size = dtype.byteCount(elements: n), size == bytes.count else {
            throw SafetensorsError.invalidTensor(
                name: name, expected: "\(dtype.rawValue) × \(shape) bytes, got \(bytes.count) bytes")
        }
        names.insert(name)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Adds Float values stored as F32, BF16 or F16 (rounded to nearest even) or F64.
    public mutating func add(_ name: String, floats values: [Float], shape: [Int], as dtype: SafetensorsDType = .f32) throws {
        let bytes: [UInt8]
        switch dtype {
        case .f32: bytes = Self.littleEndianBytes(values.map(\.bitPattern))
        case .bf16: bytes = Self.littleEndianBytes(values.map(BFloat16.bits(from:)))
        case .f16: bytes = Self.littleEndianBytes(values.map(Float16Bits.bits(from:)))
        case .f64: bytes = Self.littleEndianBytes(values.map { Double($0).bitPattern })
        default:
            throw SafetensorsError.invalidTensor(name: name, expected: "a float dtype (F32, BF16, F16, F64), got \(dtype.rawValue)")
        }
        try add(name, dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds Int64 values stored as I64.
    public mutating func add(_ name: String, int64s values: [Int64], shape: [Int]) throws {
        try add(name, dtype: .i64, shape: shape, bytes: Self.littleEndianBytes(values))
    }

    /// Adds Int32 values stored as I32.
    public mutating func add(_ name: String, int32s values: [Int32], shape: [Int]) throws {
        try add(name, dtype: .i32, shape: shape, bytes: Self.littleEndianBytes(values))
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        let le = values.map(\.littleEndian)
        return le.withUnsafeBytes { Array($0) }
    }

    /// The tensors in file order: dtype rank descending, then name bytewise (as the Rust crate sorts).
    var orderedEntries: [Entry] {
        entries.sorted { a, b in
            if a.dtype.writeRank != b.dtype.writeRank { return a.dtype.writeRank > b.dtype.writeRank }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
    }

    /// The header bytes (JSON padded with spaces to a multiple of 8), for entries in `ordered`.
    func header(_ ordered: [Entry]) -> [UInt8] {
        Self.header(metadata: metadata, entries: ordered.map { ($0.name, $0.dtype, $0.shape, $0.bytes.count) })
    }

    /// The header bytes for tensors laid out back to back in `entries` order (the one header layout shared by
    /// this writer and `StreamingSafetensorsWriter`).
    static func header(metadata: [String: String],
                       entries: [(name: String, dtype: SafetensorsDType, shape: [Int], byteCount: Int)]) -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            json += keys.map { "\(quoted($0)):\(quoted(metadata[$0]!))" }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for e in entries {
            if !first { json += "," }
            first = false
            let shape = e.shape.map(String.init).joined(separator: ",")
            json += "\(quoted(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + e.byteCount)]}"
            offset += e.byteCount
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }

    /// A JSON string literal escaped as `serde_json` does (", \, and control characters only).
    static func quoted(_ s: String) -> String { JSONWriter.quoted(s) }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        let ordered = orderedEntries
        let header = header(ordered)
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + ordered.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in ordered { out.append(contentsOf: e.bytes) }
        return out
    }

    /// Writes the file through `AtomicFile` (temporary beside `url`, fsync, rename), so readers never
    /// see a half-written file (and a file mapped by a reader is replaced, not overwritten).
    public func write(to url: URL) throws {
        do {
            let out = try AtomicFile(path: url.path, createParent: false)
            let ordered = orderedEntries
            let header = header(ordered)
            try out.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header)
            for e in ordered { try out.write(e.bytes) }
            try out.commit()
        } catch let e as FormatsError {
            throw SafetensorsError.io(path: url.path, message: e.description)
        }
    }
}
