import Formats

/// Everything that can go wrong reading or writing safetensors files and sharded checkpoints.
///
/// Every case names the file; header problems carry the byte offset in the file (header bytes start
/// at offset 8) and, where one is involved, the tensor name. `description` says what was expected.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened, mapped, read or written.
    case io(path: String, message: String)
    /// The file ends before the 8-byte header length, or before the data its header describes.
    case truncated(path: String, fileSize: Int, expectedSize: Int)
    /// The header length field points past the end of the file.
    case headerLengthPastEnd(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is longer than the 100 MB the Rust crate accepts.
    case headerTooLarge(path: String, headerLength: UInt64, limit: Int)
    /// The header does not start with `{`.
    case headerNotObject(path: String, offset: Int)
    /// The header (or index file) is not valid JSON at `offset`.
    case invalidJSON(path: String, offset: Int, expected: String)
    /// A string in the header is not valid UTF-8.
    case invalidUTF8(path: String, offset: Int)
    /// A tensor name appears twice in the header.
    case duplicateName(path: String, name: String, offset: Int, firstOffset: Int)
    /// A header entry lacks a field or has one of the wrong JSON type.
    case invalidEntry(path: String, name: String, offset: Int, expected: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(path: String, offset: Int, expected: String)
    /// The `dtype` of a tensor is not a safetensors element type.
    case unknownDType(path: String, name: String, dtype: String, offset: Int)
    /// `product(shape) × dtype size` overflows or differs from the `data_offsets` span.
    case shapeMismatch(path: String, name: String, dtype: String, shape: [Int], expectedBytes: Int?, actualBytes: Int)
    /// `data_offsets` are decreasing, or extend past the end of the data section.
    case offsetsOutOfRange(path: String, name: String, begin: Int, end: Int, dataLength: Int)
    /// Two tensors share bytes of the data section.
    case overlappingOffsets(path: String, name: String, other: String, begin: Int, otherEnd: Int)
    /// Bytes of the data section belong to no tensor (a hole, or trailing bytes).
    case uncoveredData(path: String, begin: Int, end: Int)
    /// No tensor of that name in the file or checkpoint.
    case tensorNotFound(path: String, name: String)
    /// The tensor's element type cannot be converted to the requested one.
    case unsupportedConversion(path: String, name: String, dtype: String, expected: String)
    /// A shard listed in a `model.safetensors.index.json` does not exist.
    case missingShard(index: String, shard: String)
    /// The index file is malformed (no `weight_map`, non-string shard names, unsafe paths).
    case invalidIndex(path: String, offset: Int, expected: String)
    /// The index maps a tensor to a shard that does not contain it.
    case tensorNotInShard(index: String, name: String, shard: String)
    /// A directory holds neither `model.safetensors` nor `model.safetensors.index.json`.
    case noCheckpoint(directory: String)
    /// A tensor handed to the writer is inconsistent (duplicate name, byte count ≠ shape × dtype size).
    case invalidTensor(name: String, expected: String)

    public var description: String {
        switch self {
        case let .io(path, message):
            return "\(path): \(message)"
        case let .truncated(path, fileSize, expectedSize):
            return "\(path): file is truncated: it has \(fileSize) bytes, expected at least \(expectedSize)"
        case let .headerLengthPastEnd(path, headerLength, fileSize):
            return "\(path):0: header length \(headerLength) points past the end of the file "
                + "(\(fileSize) bytes); expected at most \(max(fileSize - 8, 0))"
        case let .headerTooLarge(path, headerLength, limit):
            return "\(path):0: header length \(headerLength) exceeds the \(limit)-byte limit"
        case let .headerNotObject(path, offset):
            return "\(path):\(offset): expected the header to start with '{' (a JSON object)"
        case let .invalidJSON(path, offset, expected):
            return "\(path):\(offset): invalid JSON: expected \(expected)"
        case let .invalidUTF8(path, offset):
            return "\(path):\(offset): invalid UTF-8 in a header string; expected UTF-8 text"
        case let .duplicateName(path, name, offset, firstOffset):
            return "\(path):\(offset): duplicate tensor name '\(name)' (first at byte \(firstOffset)); "
                + "expected each name once"
        case let .invalidEntry(path, name, offset, expected):
            return "\(path):\(offset): tensor '\(name)': expected \(expected)"
        case let .invalidMetadata(path, offset, expected):
            return "\(path):\(offset): __metadata__: expected \(expected)"
        case let .unknownDType(path, name, dtype, offset):
            return "\(path):\(offset): tensor '\(name)': unknown dtype '\(dtype)'; expected one of "
                + SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
        case let .shapeMismatch(path, name, dtype, shape, expectedBytes, actualBytes):
            let want = expectedBytes.map { "\($0) bytes" } ?? "a byte count that fits in memory"
            return "\(path): tensor '\(name)': dtype \(dtype) × shape \(shape) needs \(want), "
                + "but data_offsets span \(actualBytes) bytes"
        case let .offsetsOutOfRange(path, name, begin, end, dataLength):
            return "\(path): tensor '\(name)': data_offsets [\(begin), \(end)] out of range; "
                + "expected 0 ≤ begin ≤ end ≤ \(dataLength) (the data section length)"
        case let .overlappingOffsets(path, name, other, begin, otherEnd):
            return "\(path): tensor '\(name)' starts at data byte \(begin), inside tensor '\(other)' "
                + "(which ends at \(otherEnd)); expected non-overlapping data_offsets"
        case let .uncoveredData(path, begin, end):
            return "\(path): data bytes [\(begin), \(end)) belong to no tensor; "
                + "expected the tensors to cover the data section without holes"
        case let .tensorNotFound(path, name):
            return "\(path): no tensor named '\(name)'"
        case let .unsupportedConversion(path, name, dtype, expected):
            return "\(path): tensor '\(name)' has dtype \(dtype); expected \(expected)"
        case let .missingShard(index, shard):
            return "\(index): shard '\(shard)' listed in weight_map does not exist"
        case let .invalidIndex(path, offset, expected):
            return "\(path):\(offset): invalid checkpoint index: expected \(expected)"
        case let .tensorNotInShard(index, name, shard):
            return "\(index): weight_map puts '\(name)' in '\(shard)', but that shard has no such tensor"
        case let .noCheckpoint(directory):
            return "\(directory): expected model.safetensors or model.safetensors.index.json"
        case let .invalidTensor(name, expected):
            return "tensor '\(name)': expected \(expected)"
        }
    }
}

extension SafetensorsError {
    /// A JSON reading error of the header or index file, as this module reports it (file byte offsets).
    init(_ e: FormatsError, path: String) {
        guard let at = e.location else { self = .io(path: path, message: e.description); return }
        if case .invalidUTF8 = e { self = .invalidUTF8(path: path, offset: at.offset); return }
        self = .invalidJSON(path: path, offset: at.offset, expected: e.expected)
    }
}

extension JSONValue {
    /// "an object", "a number": how header errors name what they found.
    var typeName: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}
