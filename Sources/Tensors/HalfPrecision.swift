/// bfloat16 (1 sign, 8 exponent, 7 mantissa bits): the upper half of an IEEE binary32.
public enum BFloat16 {
    /// The Float a bfloat16 bit pattern stands for (exact).
    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 nearest to `value`, ties to even; NaN stays NaN (quiet), infinities stay infinite.
    @inline(__always)
    public static func bits(from value: Float) -> UInt16 {
        let u = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x0040) }
        // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even; overflow carries
        // correctly into the exponent (to infinity at the top).
        let rounded = u &+ 0x7FFF &+ ((u >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Converts `count` bfloat16 values to Float.
    public static func convert(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        let d = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt32.self)
        for i in 0..<count { d[i] = UInt32(src[i]) << 16 }
    }

    /// Converts `count` Floats to bfloat16 (round to nearest even).
    public static func convert(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = bits(from: src[i]) }
    }
}

/// IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits), converted bit-exactly in software so it
/// behaves the same on every platform.
public enum Float16Bits {
    /// The Float a binary16 bit pattern stands for (exact, subnormals included).
    @inline(__always)
    public static func float(fromBits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let man = UInt32(h) & 0x3FF
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (man << 13)) }
        if exp != 0 { return Float(bitPattern: sign | ((exp + 112) << 23) | (man << 13)) }
        // Subnormal or zero: man · 2^-24, exact in Float.
        let magnitude = Float(man) * Float(bitPattern: 0x3380_0000)
        return Float(bitPattern: sign | magnitude.bitPattern)
    }

    /// The binary16 nearest to `value`, ties to even; overflow gives infinity, tiny values give
    /// subnormals or zero, NaN stays NaN (quiet).
    @inline(__always)
    public static func bits(from value: Float) -> UInt16 {
        let u = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (u >> 16) & 0x8000)
        let exp = Int((u >> 23) & 0xFF)
        let man = u & 0x7F_FFFF
        if exp == 0xFF {
            return sign | (man != 0 ? 0x7E00 | UInt16(truncatingIfNeeded: man >> 13) : 0x7C00)
        }
        let e = exp - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal result: shift the full significand (with implicit bit) right, rounding to even.
            if e < -10 { return sign }
            let full = man | 0x80_0000
            let shift = UInt32(14 - e)
            let half = UInt32(1) << (shift - 1)
            let rest = full & ((UInt32(1) << shift) - 1)
            var r = full >> shift
            if rest > half || (rest == half && (r & 1) == 1) { r += 1 }
            return sign | UInt16(truncatingIfNeeded: r)
        }
        // Normal: round the 23-bit mantissa to 10 bits; a carry may bump the exponent (to inf too).
        var r = (UInt32(e) << 10) | (man >> 13)
        let rest = man & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && (r & 1) == 1) { r += 1 }
        return sign | UInt16(truncatingIfNeeded: r)
    }

    /// Converts `count` binary16 values to Float.
    public static func convert(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = float(fromBits: src[i]) }
    }

    /// Converts `count` Floats to binary16 (round to nearest even).
    public static func convert(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = bits(from: src[i]) }
    }
}
