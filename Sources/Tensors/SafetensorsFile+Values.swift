import Foundation

extension SafetensorsFile {
    /// The elements of tensor `name` as Float, row-major: F32 copied, BF16 and F16 widened exactly,
    /// F64 rounded to nearest. Other dtypes throw `.unsupportedConversion`.
    public func floats(_ name: String) throws -> [Float] {
        let t = try info(name)
        let n = t.elementCount
        let src = rawBytes(t)
        let out = [Float](unsafeUninitializedCapacity: n) { buf, count in
            let dst = buf.baseAddress!
            switch t.dtype {
            case .f32:
                // Raw copy: the format is little-endian, as is every host Trellis builds for.
                if n > 0 { memcpy(dst, src.baseAddress!, n * 4) }
            case .bf16:
                for i in 0..<n {
                    dst[i] = BFloat16.float(fromBits: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            case .f16:
                for i in 0..<n {
                    dst[i] = Float16Bits.float(fromBits: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            case .f64:
                for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            default:
                count = 0
                return
            }
            count = n
        }
        // The caller keeps its own copy: the file's pages need not stay resident (see MappedFile.releasePages).
        releasePages(t)
        guard out.count == n else {
            throw SafetensorsError.unsupportedConversion(path: path, name: name, dtype: t.dtype.rawValue,
                                                         expected: "F32, BF16, F16 or F64 to read as Float")
        }
        return out
    }

    /// The elements of tensor `name` as Int64, row-major: I64 copied; narrower integer types and
    /// BOOL widened. U64 and floating-point dtypes throw `.unsupportedConversion`.
    public func int64s(_ name: String) throws -> [Int64] {
        let t = try info(name)
        let n = t.elementCount
        let src = rawBytes(t)
        func widen<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
            (0..<n).map { Int64(src.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch t.dtype {
        case .i64:
            return [Int64](unsafeUninitializedCapacity: n) { buf, count in
                if n > 0 { memcpy(buf.baseAddress!, src.baseAddress!, n * 8) }
                count = n
            }
        case .i32: return widen(Int32.self)
        case .u32: return widen(UInt32.self)
        case .i16: return widen(Int16.self)
        case .u16: return widen(UInt16.self)
        case .i8: return widen(Int8.self)
        case .u8, .bool: return widen(UInt8.self)
        default:
            throw SafetensorsError.unsupportedConversion(path: path, name: name, dtype: t.dtype.rawValue,
                                                         expected: "an integer dtype (I64, I32, U32, I16, U16, I8, U8, BOOL)")
        }
    }
}
