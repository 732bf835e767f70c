import Foundation
import Formats

/// Writes a `.safetensors` file one tensor at a time without holding the tensors: data goes to a
/// scratch `AtomicFile` (never committed) as it arrives, and `finish` writes header + data through a
/// second `AtomicFile` onto the destination (so a reader never sees a half-written file).
/// Tensors keep their arrival order in the data section; `finish(order:)` may reorder them.
public final class StreamingSafetensorsWriter {
    public struct Entry {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]
        /// Byte range in the data file.
        public var offset: Int
        public var count: Int
    }

    public let url: URL
    public var metadata: [String: String]
    public private(set) var entries: [Entry] = []
    private var names = Set<String>()
    private let data: AtomicFile
    private var written = 0
    private var finished = false

    public init(url: URL, metadata: [String: String] = [:]) throws {
        self.url = url
        self.metadata = metadata
        do {
            try AtomicFile.checkDestination(url.path)
            data = try AtomicFile(path: url.path + ".data", durable: false, createParent: false)
        } catch let e as FormatsError {
            throw SafetensorsError.io(path: url.path, message: e.description)
        }
    }

    deinit { if !finished { cancel() } }

    public var count: Int { entries.count }

    /// Appends F32 `values` of `shape` as tensor `name`.
    public func add(_ name: String, floats values: UnsafeBufferPointer<Float>, shape: [Int]) throws {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        guard names.insert(name).inserted else {
            throw SafetensorsError.io(path: url.path, message: "tensor '\(name)' written twice")
        }
        let bytes = values.count * 4
        try data.write(UnsafeRawBufferPointer(values))
        entries.append(Entry(name: name, dtype: .f32, shape: shape, offset: written, count: bytes))
        written += bytes
    }

    public func add(_ name: String, floats values: [Float], shape: [Int]) throws {
        try values.withUnsafeBufferPointer { try add(name, floats: $0, shape: shape) }
    }

    /// Appends raw bytes already in `dtype` layout.
    public func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) throws {
        guard names.insert(name).inserted else {
            throw SafetensorsError.io(path: url.path, message: "tensor '\(name)' written twice")
        }
        try data.write(bytes)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, offset: written, count: bytes.count))
        written += bytes.count
    }

    /// Appends tensor `name` from consecutive byte runs passed to `write` by `fill`, so a large tensor can
    /// be built from pieces without holding it whole; the runs must total `byteCount` bytes.
    public func add(_ name: String, dtype: SafetensorsDType, shape: [Int], byteCount: Int,
                    fill: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard names.insert(name).inserted else {
            throw SafetensorsError.io(path: url.path, message: "tensor '\(name)' written twice")
        }
        var n = 0
        try fill { bytes in
            try data.write(bytes)
            n += bytes.count
        }
        guard n == byteCount else {
            throw SafetensorsError.io(path: url.path, message: "tensor '\(name)': \(n) bytes written, shape \(shape) needs \(byteCount)")
        }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, offset: written, count: n))
        written += n
    }

    /// Writes the file; `order` (indices into `entries`) sets the data order, default arrival order.
    public func finish(order: [Int]? = nil) throws {
        defer { cancel() }
        let ordered = (order ?? Array(entries.indices)).map { entries[$0] }
        let header = SafetensorsWriter.header(metadata: metadata, entries: ordered.map { ($0.name, $0.dtype, $0.shape, $0.count) })
        let out = try AtomicFile(path: url.path)
        try out.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header)
        let fd = open(data.temporaryPath, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FormatsError.fromErrno(data.temporaryPath, "open") }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 22)
        let spans = order == nil ? [(0, written)] : ordered.map { ($0.offset, $0.count) }
        for (start, count) in spans {
            var done = 0
            while done < count {
                let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min($0.count, count - done), off_t(start + done)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { throw FormatsError.fromErrno(data.temporaryPath, "read back") }
                try chunk.withUnsafeBytes { try out.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                done += n
            }
        }
        try out.commit()
        finished = true
    }

    /// Discards everything written.
    public func cancel() {
        data.cancel()
        finished = true
    }
}
