/// Open-addressing hash map from byte strings to `Int32` values, probed with raw pointers.
///
/// Vocabulary and word-cache lookups happen once per candidate piece; hashing a pointer range avoids
/// building a `String` for each (the dominant cost of a `[String: Int]` lookup in the hot loop).
struct ByteMap {
    // Starts with one byte so that every key (even the empty one) has a valid base address.
    private var keyBytes: [UInt8] = [0]
    // Per slot: key start, key length (-1 = empty), value, hash (upper bits, for a cheap mismatch test).
    private var starts: [Int32]
    private var lengths: [Int32]
    private var values: [Int32]
    private var hashes: [UInt32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        starts = [Int32](repeating: 0, count: n)
        lengths = [Int32](repeating: -1, count: n)
        values = [Int32](repeating: 0, count: n)
        hashes = [UInt32](repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        // FNV-1a; keys are short words.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// The value stored for the `n` bytes at `p`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let h = ByteMap.hash(p, n)
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        var slot = Int(truncatingIfNeeded: h) & mask
        return lengths.withUnsafeBufferPointer { lens in
            hashes.withUnsafeBufferPointer { hs in
                keyBytes.withUnsafeBufferPointer { keys in
                    while true {
                        let len = Int(lens[slot])
                        if len < 0 { return -1 }
                        if len == n && hs[slot] == tag {
                            let s = Int(starts[slot])
                            if n == 0 || memcmpBytes(keys.baseAddress! + s, p, n) { return values[slot] }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    func lookup(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBufferPointer { lookup($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    func lookup(_ s: String) -> Int32 { lookup(Array(s.utf8)) }

    /// Inserts or replaces.
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, value: Int32) {
        if (count + 1) * 2 > mask + 1 { grow() }
        let h = ByteMap.hash(p, n)
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        var slot = Int(truncatingIfNeeded: h) & mask
        while lengths[slot] >= 0 {
            if Int(lengths[slot]) == n && hashes[slot] == tag {
                let s = Int(starts[slot])
                let same = keyBytes.withUnsafeBufferPointer { n == 0 || memcmpBytes($0.baseAddress! + s, p, n) }
                if same { values[slot] = value; return }
            }
            slot = (slot + 1) & mask
        }
        starts[slot] = Int32(keyBytes.count)
        lengths[slot] = Int32(n)
        values[slot] = value
        hashes[slot] = tag
        keyBytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        count += 1
    }

    mutating func insert(_ bytes: [UInt8], value: Int32) {
        bytes.withUnsafeBufferPointer { insert($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, value: value) }
    }

    mutating func insert(_ s: String, value: Int32) { insert(Array(s.utf8), value: value) }

    private mutating func grow() {
        var bigger = ByteMap(capacity: mask + 1)
        keyBytes.withUnsafeBufferPointer { keys in
            for i in 0...mask where lengths[i] >= 0 {
                bigger.insert(keys.baseAddress! + Int(starts[i]), Int(lengths[i]), value: values[i])
            }
        }
        self = bigger
    }

    /// Removes everything, keeping the table size.
    mutating func removeAll() {
        keyBytes.removeAll(keepingCapacity: true); keyBytes.append(0)
        for i in 0...mask { lengths[i] = -1 }
        count = 0
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n { if a[i] != b[i] { return false }; i += 1 }
    return true
}
