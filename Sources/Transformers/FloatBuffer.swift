import Foundation
import Formats
import Tensors

/// An owned, zero-initialised F32 scratch buffer, so forward passes work on raw pointers without nesting closures.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// Bytes of the block from `ScratchPool` (large buffers are reused across passes, not re-mapped).
    private let blockBytes: Int

    init(_ count: Int) {
        self.count = count
        let block = ScratchPool.shared.take(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        blockBytes = block.bytes
        pointer = block.pointer.bindMemory(to: Float.self, capacity: max(count, 1))
        // Zeroing a large scratch buffer touches every page: counted as copies/layout.
        Profiler.time(.copies) { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    /// A buffer holding a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.update(from: b, count: values.count) } }
    }

    deinit { ScratchPool.shared.release(UnsafeMutableRawPointer(pointer), bytes: blockBytes) }

    /// `pointer`, short for the training kernels' long argument lists.
    var p: UnsafeMutablePointer<Float> { pointer }

    var array: [Float] { Profiler.time(.copies) { Array(UnsafeBufferPointer(start: pointer, count: count)) } }

    /// Copies `count` values into the buffer at `offset`.
    func copy(from values: UnsafePointer<Float>, count n: Int, offset: Int = 0) {
        Profiler.time(.copies) { (pointer + offset).update(from: values, count: n) }
    }
}

/// dst[i] += src[i] (residual connections; profiled as "other").
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
    Profiler.time(.other) { Kernels.add(dst, src, dst, count: count) }
}

/// Reads and decodes a `config.json` with the checkpoint's own snake_case keys through the one JSON
/// reader: errors give line:column and the key path, and integers must be exact and in range
/// (`num_attention_heads: expected an integer, found 64.5`).
enum ConfigFile {
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        try decode(type, from: value(url), path: url.path)
    }

    /// The parsed `config.json`.
    static func value(_ url: URL) throws -> JSONValue {
        do { return try JSONReader.read(path: url.path) } catch let e as FormatsError { throw badConfig(e, url.path) }
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: String) throws -> T {
        do { return try JSONDecoding.decode(type, from: value) } catch let e as FormatsError { throw badConfig(e, path) }
    }

    static func badConfig(_ e: FormatsError, _ path: String) -> TransformersError {
        var detail = e.description
        if detail.hasPrefix(path + ":") { detail = String(detail.dropFirst(path.count + 1)) }
        return .badConfig(file: path, detail: detail)
    }
}
