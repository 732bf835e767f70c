/// The check behind the FASTA reader's fast path: is a sequence line made only of printable ASCII
/// (0x21...0x7E, no blanks or control bytes)? Such a line is appended whole, without a per-byte copy loop.
public enum ResidueScan {
    /// Word-at-a-time version: eight bytes per step. A byte fails when it has bit 7 set, when subtracting
    /// 0x21 borrows into bit 7 (byte < 0x21), or when adding 1 carries into bit 7 (byte 0x7F). A borrow
    /// can only spill upward from a byte that already failed, so there are no false passes.
    public static func isPrintable(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        if let base = line.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= line.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if (w | (w &- ones &* 0x21) | (w &+ ones)) & highs != 0 { return false }
                i += 8
            }
        }
        while i < line.count {
            let b = line[i]
            if b <= 0x20 || b >= 0x7F { return false }
            i += 1
        }
        return true
    }

    /// Naive reference: one byte at a time.
    public static func isPrintableNaive(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
