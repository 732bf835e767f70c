/// A weight matrix W `[N, K]` (out features × in features, as torch stores `Linear.weight`), packed once
/// at load time into the column panels the GEMM micro-kernel streams, so `linear` never re-packs it.
///
/// Layout: `ceil(N / 16)` panels; panel `p` holds `W[16p ..< 16p+16, 0 ..< K]` transposed, one row of 16
/// output columns per `k` (`// [P, K, 16]`), zero-padded past `N`. BF16 storage keeps the same panels at
/// half the bytes (`// [P, K, 8]` UInt32, each holding columns `c` and `c + 8`) and widens them to F32 in
/// registers, which makes memory-bound batch-1 decoding faster. Where the CPU has AVX512_BF16
/// (`CPU.useAVX512BF16` when packing), BF16 panels hold pairs of k instead (`// [P, ceil(K/2), 16]`
/// UInt32, each holding `W[c, 2q]` low and `W[c, 2q+1]` high, as `vdpbf16ps` reads them) and `linear`
/// multiplies them in bfloat16 with F32 sums, activations rounded to bfloat16.
public final class PackedWeights: @unchecked Sendable {
    /// How the packed panels are stored.
    public enum Storage: String, Sendable {
        /// 4 bytes per weight.
        case f32
        /// 2 bytes per weight (bfloat16, rounded to nearest even from F32 input).
        case bf16
    }

    /// Output features N (rows of W).
    public let outFeatures: Int
    /// Input features K (columns of W).
    public let inFeatures: Int
    /// Storage of the panels.
    public let storage: Storage

    /// Output columns per panel.
    public static let panelWidth = 16

    /// True when BF16 panels hold k-pairs for the AVX512_BF16 kernel (see the type's documentation).
    public let bf16Pairs: Bool

    /// Number of 16-column panels.
    let panelCount: Int
    /// Bytes of one panel row (16 weights).
    let rowBytes: Int
    /// Start of the panels; panel `p` at `base + p · K · rowBytes`.
    let base: UnsafeMutableRawPointer

    /// Bytes between the starts of two panels.
    let panelBytes: Int

    private init(outFeatures n: Int, inFeatures k: Int, storage: Storage) {
        precondition(n >= 0 && k >= 0, "negative weight shape [\(n), \(k)]")
        outFeatures = n
        inFeatures = k
        self.storage = storage
        panelCount = (n + 15) / 16
        rowBytes = storage == .f32 ? 64 : 32
        bf16Pairs = storage == .bf16 && CPU.avx512BF16Active
        // Pairs: ceil(K/2) rows of 64 bytes, the same bytes as K rows of 32 (plus one when K is odd).
        panelBytes = bf16Pairs ? (k + 1) / 2 * 64 : k * rowBytes
        base = HugePages.allocate(byteCount: panelCount * panelBytes)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, panelCount * panelBytes))
    }

    deinit { HugePages.deallocate(base) }

    /// Packs F32 weights `w` `[N, K]` row-major.
    public convenience init(_ w: UnsafePointer<Float>, outFeatures n: Int, inFeatures k: Int, storage: Storage = .f32) {
        self.init(outFeatures: n, inFeatures: k, storage: storage)
        fill { row, col in w[row * k + col] }
    }

    /// Packs a `[N, K]` tensor.
    public convenience init(_ w: Tensor, storage: Storage = .f32) {
        precondition(w.rank == 2, "weights must be [N, K], got \(w.shape)")
        self.init(outFeatures: w.shape[0], inFeatures: w.shape[1], storage: storage)
        w.withUnsafeBufferPointer { p in
            let k = inFeatures
            fill { row, col in p[row * k + col] }
        }
    }

    /// Packs bfloat16 weights given as raw bits `[N, K]` row-major; `.bf16` storage keeps them exact.
    public convenience init(bf16Bits w: UnsafePointer<UInt16>, outFeatures n: Int, inFeatures k: Int,
                            storage: Storage = .bf16) {
        self.init(outFeatures: n, inFeatures: k, storage: storage)
        fill { row, col in BFloat16.float(fromBits: w[row * k + col]) }
    }

    /// Writes every weight through `value(row, col)` into the panels (cold path: load time only).
    private func fill(_ value: (Int, Int) -> Float) {
        let n = outFeatures, k = inFeatures
        switch storage {
        case .f32:
            let dst = base.assumingMemoryBound(to: Float.self)
            for p in 0..<panelCount {
                for c in 0..<16 where p * 16 + c < n {
                    let row = p * 16 + c
                    let panel = dst + p * k * 16
                    for kk in 0..<k { panel[kk * 16 + c] = value(row, kk) }
                }
            }
        case .bf16 where bf16Pairs:
            let dst = base.assumingMemoryBound(to: UInt16.self)
            for p in 0..<panelCount {
                for c in 0..<16 where p * 16 + c < n {
                    let row = p * 16 + c
                    for kk in 0..<k { dst[pairIndex(panel: p, column: c, k: kk)] = BFloat16.bits(from: value(row, kk)) }
                }
            }
        case .bf16:
            let dst = base.assumingMemoryBound(to: UInt16.self)
            for p in 0..<panelCount {
                for c in 0..<16 where p * 16 + c < n {
                    let row = p * 16 + c
                    // Column c < 8 goes to the low half of UInt32 slot c, column c ≥ 8 to the high half
                    // of slot c - 8 (little-endian), so a shift and a mask recover both halves.
                    let slot = c < 8 ? 2 * c : 2 * (c - 8) + 1
                    let panel = dst + p * k * 16
                    for kk in 0..<k { panel[kk * 16 + slot] = BFloat16.bits(from: value(row, kk)) }
                }
            }
        }
    }

    /// The weight `W[row, col]` as the kernels see it (after any BF16 rounding).
    public func weight(row: Int, col: Int) -> Float {
        precondition(row >= 0 && row < outFeatures && col >= 0 && col < inFeatures)
        let p = row / 16, c = row % 16
        switch storage {
        case .f32:
            return base.assumingMemoryBound(to: Float.self)[(p * inFeatures + col) * 16 + c]
        case .bf16 where bf16Pairs:
            return BFloat16.float(fromBits: base.assumingMemoryBound(to: UInt16.self)[pairIndex(panel: p, column: c, k: col)])
        case .bf16:
            let slot = c < 8 ? 2 * c : 2 * (c - 8) + 1
            return BFloat16.float(fromBits: base.assumingMemoryBound(to: UInt16.self)[(p * inFeatures + col) * 16 + slot])
        }
    }

    /// The weights unpacked to a `[N, K]` F32 tensor (for tests and export).
    public func unpacked() -> Tensor {
        var t = Tensor(zeros: [outFeatures, inFeatures])
        for r in 0..<outFeatures {
            for c in 0..<inFeatures { t.data[r * inFeatures + c] = weight(row: r, col: c) }
        }
        return t
    }

    /// Index (in UInt16) of `W[16·panel + column, k]` in the k-pair layout.
    @inline(__always)
    private func pairIndex(panel p: Int, column c: Int, k kk: Int) -> Int {
        ((p * ((inFeatures + 1) / 2) + kk / 2) * 16 + c) * 2 + (kk & 1)
    }

    /// Bytes held by the packed panels.
    public var byteCount: Int { panelCount * panelBytes }
}
