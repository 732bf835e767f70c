/// Reads and writes NumPy `.npy` files (format 1.0 on output; 1.0–3.0 on input), `<f4` and `<i8`, C order.
///
/// The header written is byte-for-byte what `numpy.save` writes (padded with spaces so the data starts at a
/// multiple of 64 bytes). Output is atomic; `.npy.gz` / `.npy.zst` paths are compressed and read back
/// transparently.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The complete header (magic, version 1.0, length, dict, padding) for an array.
    public static func header(dtype: NPYDType, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(dims), }".utf8)
        let unpadded = magic.count + 2 + 2 + dict.count + 1
        dict += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64)
        dict.append(0x0A)
        let length = UInt16(dict.count)
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + dict
    }

    /// Writes `array` to `path` atomically.
    public static func write(_ array: NPYArray, to path: String) throws {
        let writer = try NPYWriter(path: path, dtype: array.dtype, shape: array.shape)
        switch array.storage {
        case .float32(let v): try writer.append(v)
        case .int64(let v): try writer.append(v)
        }
        try writer.finish()
    }

    /// Reads the array in `path`; an unsupported dtype or memory order, or a header or payload that does not
    /// match the format, is an error giving the byte offset and what was expected.
    public static func read(path: String) throws -> NPYArray {
        let bytes = try ByteReader.readAll(path: path)
        func fail(_ offset: Int, _ expected: String) -> DataIOError {
            .format(SourcePosition(path: path, byteOffset: offset), expected: expected)
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail(0, "expected the .npy magic \\x93NUMPY")
        }
        let major = bytes[6]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(bytes.count, "expected a 4-byte header length") }
            headerStart = 12
            headerLength = (8..<12).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 8)) }
        default:
            throw fail(6, "expected format version 1, 2 or 3, found \(major)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw fail(bytes.count, "expected a \(headerLength)-byte header, the file ends first")
        }
        let text = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        var parser = NPYHeaderParser(text: text, path: path, offset: headerStart)
        let fields = try parser.parse()
        guard let descr = fields.descr else { throw fail(headerStart, "expected a 'descr' key in the header") }
        guard let dtype = NPYDType(rawValue: descr) else {
            throw DataIOError.unsupported(path: path, what: "dtype '\(descr)' (supported: '<f4', '<i8')")
        }
        if fields.fortranOrder {
            throw DataIOError.unsupported(path: path, what: "fortran_order True (only C order is read)")
        }
        guard let shape = fields.shape else { throw fail(headerStart, "expected a 'shape' key in the header") }
        let dataStart = headerStart + headerLength
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= bytes.count else {
                throw fail(headerStart, "expected a shape whose data fits in the file, found \(shape)")
            }
            count = p
        }
        let expectedBytes = count * dtype.size
        guard bytes.count - dataStart == expectedBytes else {
            throw fail(dataStart, "expected \(expectedBytes) data bytes for shape \(shape) \(descr), found \(bytes.count - dataStart)")
        }
        return bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            switch dtype {
            case .float32:
                let v = (0..<count).map { Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                return NPYArray(shape: shape, float32: v)
            case .int64:
                let v = (0..<count).map { Int64(littleEndian: data.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                return NPYArray(shape: shape, int64: v)
            }
        }
    }
}

/// Writes one `.npy` array incrementally (e.g. one embedding row at a time), atomically.
///
/// The shape is fixed up front; `finish()` fails (and leaves no file) unless exactly that many elements
/// were appended.
public final class NPYWriter {
    /// Element type of the file.
    public let dtype: NPYDType
    /// Shape written in the header; `finish()` checks that many elements were appended.
    public let shape: [Int]
    private let file: AtomicFileWriter
    private var written = 0

    public init(path: String, dtype: NPYDType, shape: [Int]) throws {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.dtype = dtype
        self.shape = shape
        file = try AtomicFileWriter(path: path)
        try file.write(NPY.header(dtype: dtype, shape: shape))
    }

    /// Appends float32 elements (dtype must be `<f4`), in C order.
    public func append(_ values: [Float]) throws {
        precondition(dtype == .float32, "append([Float]) on a \(dtype.rawValue) writer")
        try check(values.count)
        let le = values.map { $0.bitPattern.littleEndian }
        try le.withUnsafeBytes { try file.write($0) }
    }

    /// Appends int64 elements (dtype must be `<i8`), in C order.
    public func append(_ values: [Int64]) throws {
        precondition(dtype == .int64, "append([Int64]) on a \(dtype.rawValue) writer")
        try check(values.count)
        let le = values.map { $0.littleEndian }
        try le.withUnsafeBytes { try file.write($0) }
    }

    private func check(_ n: Int) throws {
        let total = shape.reduce(1, *)
        guard written + n <= total else {
            file.cancel()
            throw DataIOError.unsupported(path: file.path, what: "more than \(total) elements for shape \(shape)")
        }
        written += n
    }

    /// Completes the file and renames it into place.
    public func finish() throws {
        let total = shape.reduce(1, *)
        guard written == total else {
            file.cancel()
            throw DataIOError.unsupported(path: file.path, what: "\(written) elements written for shape \(shape), which holds \(total)")
        }
        try file.finish()
    }

    /// Abandons the output, leaving no file behind.
    public func cancel() { file.cancel() }
}
