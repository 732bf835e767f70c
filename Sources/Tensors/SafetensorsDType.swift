/// An element type as named in a safetensors header (`"dtype": "BF16"`).
///
/// The file format knows more element types than the compute core (`DType`): every type the
/// Rust `safetensors` crate accepts is listed here so that headers of any valid file validate,
/// even when Trellis cannot convert that type to `Float`.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element (4 and 6 for the sub-byte MX formats).
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Rank used by writers to order tensors: the Rust crate sorts by this rank, descending
    /// (its `Dtype` enum is declared in this order and derives `Ord`), then by name. Matching it
    /// makes our files byte-identical to those written by `safetensors.save_file`.
    var writeRank: Int { Self.allCases.firstIndex(of: self)! }

    /// Number of bytes `count` elements occupy, or nil when it overflows or is not a whole byte count.
    func byteCount(elements count: Int) -> Int? {
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitSize)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
