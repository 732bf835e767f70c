/// The fast path for callers that already validated their residues as ASCII bytes (FASTA readers): no
/// string decoding, no added-token split, ids laid out by the same template as `encode`.
extension ProteinTokenizer {
    /// The id of residue letter `b`, nil when `b` is not a one-character token.
    @inline(__always)
    public func id(ofResidue b: UInt8) -> Int32? {
        let i = byteIds[Int(b)]
        return i >= 0 ? i : nil
    }

    /// The residue letter of `id`, nil for special and multi-character tokens.
    public func residue(of id: Int32) -> UInt8? {
        guard id >= 0, Int(id) < tokens.count, !specialIds.contains(Int(id)) else { return nil }
        let u = Array(tokens[Int(id)].utf8)
        return u.count == 1 && byteIds[Int(u[0])] == id ? u[0] : nil
    }

    /// Ids of `residues` (and of `second`, for pair templates such as GLM's context + span) laid out by this
    /// mode's template. Bytes that are not one-character tokens become `<unk>`, one per byte.
    public func encode(residues: some Collection<UInt8>, second: (some Collection<UInt8>)? = [UInt8]?.none) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(residues.count + (second?.count ?? 0) + 4)
        for piece in second == nil ? template.single : template.pair {
            switch piece {
            case .special(let id, _): out.append(Int32(id))
            case .sequence(let k, _):
                if k == 0 { for b in residues { out.append(id(ofResidue: b) ?? Int32(unkId)) } }
                else if let s = second { for b in s { out.append(id(ofResidue: b) ?? Int32(unkId)) } }
            }
        }
        return out
    }

    /// Index of the first residue in `encode(residues:)`'s output (the special tokens before it).
    public var residueOffset: Int {
        var n = 0
        for piece in template.single {
            if case .sequence = piece { return n }
            n += 1
        }
        return n
    }
}
