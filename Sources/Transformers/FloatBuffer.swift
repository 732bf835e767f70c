import Foundation
import Tensors

/// An owned, zero-initialised F32 scratch buffer, so forward passes work on raw pointers without nesting closures.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        // Zeroing a large scratch buffer touches every page: counted as copies/layout.
        Profiler.time(.copies) { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    /// A buffer holding a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.update(from: b, count: values.count) } }
    }

    deinit { pointer.deallocate() }

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

/// Reads and decodes a `config.json` with the checkpoint's own snake_case keys, reporting the key path on failure.
enum ConfigFile {
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TransformersError.badConfig(file: url.path, detail: "cannot read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            let path = (ctx.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw TransformersError.badConfig(file: url.path, detail: "missing key '\(path)'")
        } catch let DecodingError.typeMismatch(t, ctx) {
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw TransformersError.badConfig(file: url.path, detail: "key '\(path)': expected a value of type \(t)")
        } catch let DecodingError.valueNotFound(t, ctx) {
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw TransformersError.badConfig(file: url.path, detail: "key '\(path)': expected \(t), found null")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw TransformersError.badConfig(file: url.path, detail: "not valid JSON: \(ctx.debugDescription)")
        } catch {
            throw TransformersError.badConfig(file: url.path, detail: "\(error)")
        }
    }
}
