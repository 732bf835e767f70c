/// The word → pieces cache of a tokenizer workspace (one per thread), shared by WordPiece and BPE: a word
/// seen before is looked up instead of split or merged again. Pieces are stored flat, as ids and lengths
/// (in the word's own units: characters for WordPiece, bytes for BPE).
final class PieceCache {
    private var index = ByteMap(capacity: 4096)
    // Piece range of entry e: starts[e]..<starts[e + 1].
    private var starts: [Int32] = [0]
    private(set) var ids: [Int32] = []
    private(set) var lengths: [Int32] = []
    /// Words held before the cache starts over (bounds its memory on endless distinct words).
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Indices into `ids` / `lengths` of the pieces of `word` (its UTF-8 bytes); on a miss, `split` first
    /// appends them (`append`, `dropPieces(from:)`).
    @inline(__always)
    func pieces(of word: [UInt8], split: () -> Void) -> Range<Int> {
        var entry = word.withUnsafeBufferPointer { index.lookup($0.baseAddress!, $0.count) }
        if entry < 0 {
            if index.count > limit { clear() }
            entry = Int32(starts.count - 1)
            split()
            starts.append(Int32(ids.count))
            word.withUnsafeBufferPointer { index.insert($0.baseAddress!, $0.count, value: entry) }
        }
        return Int(starts[Int(entry)])..<Int(starts[Int(entry) + 1])
    }

    @inline(__always) func append(_ id: Int32, length: Int32) { ids.append(id); lengths.append(length) }

    func append(ids more: [Int32], lengths moreLengths: [Int32]) { ids += more; lengths += moreLengths }

    /// Drops the pieces from index `start` on (a split that gives up on the word).
    func dropPieces(from start: Int) {
        ids.removeSubrange(start...); lengths.removeSubrange(start...)
    }

    private func clear() {
        index.removeAll(); starts = [0]; ids.removeAll(keepingCapacity: true); lengths.removeAll(keepingCapacity: true)
    }
}
