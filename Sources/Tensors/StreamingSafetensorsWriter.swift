import Foundation

/// Writes a `.safetensors` file one tensor at a time without holding the tensors: data goes to a
/// temporary file as it arrives, and `finish` writes header + data to a temporary path beside the
/// destination and renames it into place (so a reader never sees a half-written file).
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
    private let dataURL: URL
    private let data: FileHandle
    private var written = 0
    private var finished = false

    public init(url: URL, metadata: [String: String] = [:]) throws {
        self.url = url
        self.metadata = metadata
        let dir = url.deletingLastPathComponent()
        dataURL = dir.appendingPathComponent(".\(url.lastPathComponent).data-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: dataURL.path, contents: nil) else {
            throw SafetensorsError.io(path: dataURL.path, message: "cannot create a temporary file (does the directory exist and is it writable?)")
        }
        data = try FileHandle(forWritingTo: dataURL)
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
        try data.write(contentsOf: Data(bytes: values.baseAddress!, count: bytes))
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
        if bytes.count > 0 { try data.write(contentsOf: Data(bytes: bytes.baseAddress!, count: bytes.count)) }
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
            if bytes.count > 0 { try data.write(contentsOf: Data(bytes: bytes.baseAddress!, count: bytes.count)) }
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
        try data.close()
        let ordered = (order ?? Array(entries.indices)).map { entries[$0] }
        let header = SafetensorsWriter.header(metadata: metadata, entries: ordered.map { ($0.name, $0.dtype, $0.shape, $0.count) })
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw SafetensorsError.io(path: tmp.path, message: "cannot create")
        }
        do {
            let out = try FileHandle(forWritingTo: tmp)
            var length = UInt64(header.count).littleEndian
            try out.write(contentsOf: Data(bytes: &length, count: 8))
            try out.write(contentsOf: Data(header))
            let source = try FileHandle(forReadingFrom: dataURL)
            if order == nil {
                while let chunk = try source.read(upToCount: 1 << 22), !chunk.isEmpty { try out.write(contentsOf: chunk) }
            } else {
                for e in ordered {
                    try source.seek(toOffset: UInt64(e.offset))
                    var left = e.count
                    while left > 0, let chunk = try source.read(upToCount: min(left, 1 << 22)), !chunk.isEmpty {
                        try out.write(contentsOf: chunk)
                        left -= chunk.count
                    }
                }
            }
            try source.close()
            try out.close()
            if rename(tmp.path, url.path) != 0 {
                throw SafetensorsError.io(path: url.path, message: "cannot rename \(tmp.path) into place")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            cancel()
            throw error
        }
        try? FileManager.default.removeItem(at: dataURL)
        finished = true
    }

    /// Discards everything written.
    public func cancel() {
        try? data.close()
        try? FileManager.default.removeItem(at: dataURL)
        finished = true
    }

}
