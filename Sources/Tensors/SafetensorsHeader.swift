import Formats

/// Where one tensor lives in a safetensors file, as its header describes it.
public struct SafetensorsTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section (the bytes after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements (1 for a scalar, shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The validated header of a safetensors file.
///
/// Validation follows the Rust `safetensors` crate (`SafeTensors::read_metadata`), which the Python
/// package uses to load: header length ≤ 100 MB and inside the file, UTF-8 JSON object, known dtypes,
/// `product(shape) × dtype bits / 8 == end − begin`, and, sorted by offset, the tensors tile the data
/// section exactly — no overlap, no hole, no trailing byte. The crate requires full coverage (the
/// format README: "the byte buffer needs to be entirely indexed, and cannot contain holes", to
/// prevent polyglot files), so a file we accept also loads in Python. Stricter than the crate: the
/// header must begin with `{` (as the format README says) and duplicate names are errors, where
/// `serde_json` would silently keep the last one.
struct SafetensorsHeader {
    static let maxHeaderLength = 100_000_000

    var metadata: [String: String]
    /// In data order.
    var tensors: [SafetensorsTensorInfo]
    /// Offset of the data section in the file (8 + header length).
    var dataStart: Int

    static func parse(_ file: UnsafeRawBufferPointer, path: String) throws -> SafetensorsHeader {
        let fileSize = file.count
        guard fileSize >= 8 else { throw SafetensorsError.truncated(path: path, fileSize: fileSize, expectedSize: 8) }
        let n = file.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard n <= UInt64(maxHeaderLength) else {
            throw SafetensorsError.headerTooLarge(path: path, headerLength: n, limit: maxHeaderLength)
        }
        guard n <= UInt64(fileSize - 8) else {
            throw SafetensorsError.headerLengthPastEnd(path: path, headerLength: n, fileSize: fileSize)
        }
        let dataStart = 8 + Int(n)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<dataStart])
        guard headerBytes.first == UInt8(ascii: "{") else { throw SafetensorsError.headerNotObject(path: path, offset: 8) }

        let root: JSONValue
        do {
            root = try JSONReader.parse(headerBytes, path: path, baseOffset: 8, depthLimit: 128)
        } catch let e as FormatsError {
            if case let .duplicateKey(at, key, first, 1) = e {
                throw SafetensorsError.duplicateName(path: path, name: key, offset: at.offset, firstOffset: first)
            }
            throw SafetensorsError(e, path: path)
        }
        guard case let .object(members) = root.kind else { throw SafetensorsError.headerNotObject(path: path, offset: 8) }

        let dataLength = fileSize - dataStart
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(members.count)
        for (name, node) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(node, path: path)
            } else {
                tensors.append(try parseEntry(name: name, node, dataLength: dataLength, path: path))
            }
        }
        try checkLayout(&tensors, dataLength: dataLength, fileSize: fileSize, dataStart: dataStart, path: path)
        return SafetensorsHeader(metadata: metadata, tensors: tensors, dataStart: dataStart)
    }

    private static func parseMetadata(_ node: JSONValue, path: String) throws -> [String: String] {
        switch node.kind {
        case .null:
            return [:]  // serde reads `null` as "no metadata"
        case let .object(members):
            var out: [String: String] = [:]
            for (key, value) in members {
                guard case let .string(s) = value.kind else {
                    throw SafetensorsError.invalidMetadata(path: path, offset: value.location.offset,
                                                           expected: "a string value for '\(key)', found \(value.typeName)")
                }
                out[key] = s
            }
            return out
        default:
            throw SafetensorsError.invalidMetadata(path: path, offset: node.location.offset,
                                                   expected: "an object of strings, found \(node.typeName)")
        }
    }

    private static func parseEntry(name: String, _ node: JSONValue, dataLength: Int, path: String) throws
        -> SafetensorsTensorInfo
    {
        func bad(_ expected: String, _ at: JSONValue? = nil) -> SafetensorsError {
            .invalidEntry(path: path, name: name, offset: (at ?? node).location.offset, expected: expected)
        }
        guard case let .object(fields) = node.kind else {
            throw bad("an object with dtype, shape and data_offsets, found \(node.typeName)")
        }
        var dtypeNode: JSONValue?, shapeNode: JSONValue?, offsetsNode: JSONValue?
        for (key, value) in fields {
            switch key {
            case "dtype": dtypeNode = value
            case "shape": shapeNode = value
            case "data_offsets": offsetsNode = value
            default: break  // serde ignores unknown fields; so do we
            }
        }
        guard let dtypeNode else { throw bad("a 'dtype' field") }
        guard let shapeNode else { throw bad("a 'shape' field") }
        guard let offsetsNode else { throw bad("a 'data_offsets' field") }

        guard case let .string(dtypeName) = dtypeNode.kind else {
            throw bad("'dtype' to be a string, found \(dtypeNode.typeName)", dtypeNode)
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(path: path, name: name, dtype: dtypeName, offset: dtypeNode.location.offset)
        }
        let shape = try integers(shapeNode, "'shape' to be an array of non-negative integers", bad)
        let offsets = try integers(offsetsNode, "'data_offsets' to be [begin, end], non-negative integers", bad)
        guard offsets.count == 2 else {
            throw bad("'data_offsets' to be [begin, end], found \(offsets.count) numbers", offsetsNode)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SafetensorsError.offsetsOutOfRange(path: path, name: name, begin: begin, end: end, dataLength: dataLength)
        }
        var count = 1
        var overflow = false
        for d in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
        let expected = overflow ? nil : dtype.byteCount(elements: count)
        guard let expected, expected == end - begin else {
            throw SafetensorsError.shapeMismatch(path: path, name: name, dtype: dtypeName, shape: shape,
                                                 expectedBytes: expected, actualBytes: end - begin)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    private static func integers(_ node: JSONValue, _ expected: String,
                                 _ bad: (String, JSONValue?) -> SafetensorsError) throws -> [Int] {
        guard case let .array(items) = node.kind else { throw bad("\(expected), found \(node.typeName)", node) }
        return try items.map { item in
            switch item.kind {
            case let .integer(value):
                guard value >= 0, let v = Int(exactly: value) else { throw bad("\(expected), found \(value)", item) }
                return v
            case let .number(_, text): throw bad("\(expected), found \(text)", item)
            default: throw bad("\(expected), found \(item.typeName)", item)
            }
        }
    }

    /// Sorts by offset and checks the tensors tile `[0, dataLength)` exactly.
    private static func checkLayout(_ tensors: inout [SafetensorsTensorInfo], dataLength: Int, fileSize: Int,
                                    dataStart: Int, path: String) throws {
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var cursor = 0
        var previous: SafetensorsTensorInfo?
        for t in tensors {
            let r = t.dataOffsets
            if r.upperBound > dataLength {
                // Contiguous so far: the header is fine and the file was cut short.
                if r.lowerBound == cursor {
                    let end = tensors.map(\.dataOffsets.upperBound).max()!
                    throw SafetensorsError.truncated(path: path, fileSize: fileSize, expectedSize: dataStart + end)
                }
                throw SafetensorsError.offsetsOutOfRange(path: path, name: t.name, begin: r.lowerBound,
                                                         end: r.upperBound, dataLength: dataLength)
            }
            if r.lowerBound < cursor, let previous {
                throw SafetensorsError.overlappingOffsets(path: path, name: t.name, other: previous.name,
                                                          begin: r.lowerBound, otherEnd: cursor)
            }
            if r.lowerBound > cursor {
                throw SafetensorsError.uncoveredData(path: path, begin: cursor, end: r.lowerBound)
            }
            cursor = r.upperBound
            previous = t
        }
        if cursor != dataLength { throw SafetensorsError.uncoveredData(path: path, begin: cursor, end: dataLength) }
    }
}
