/// A token matched verbatim in the raw text before normalization (`[MASK]`, `<s>`, `<gmask>` …), as
/// Hugging Face's added-token vocabulary does for tokens with `normalized: false`.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Dropped by `decode(skipSpecialTokens: true)`.
    public var special: Bool
    /// Also swallows whitespace on its left / right (RoBERTa's `<mask>` has `lstrip`).
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matches only when not inside a word.
    public var singleWord: Bool

    public init(_ content: String, id: Int, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false,
                singleWord: Bool = false) {
        self.content = content; self.id = id; self.special = special
        self.lstrip = lstrip; self.rstrip = rstrip; self.singleWord = singleWord
    }
}

/// Splits scalar text into runs of ordinary text and added tokens (leftmost match, longest first).
struct AddedTokenSplitter: Sendable {
    private let tokens: [(scalars: [UInt32], token: AddedToken)]
    // First scalar → indices into `tokens`, longest first.
    private let byFirst: [UInt32: [Int]]

    init(_ added: [AddedToken]) {
        let list = added.filter { !$0.content.isEmpty }.map { (Array($0.content.unicodeScalars.map(\.value)), $0) }
        tokens = list
        var m: [UInt32: [Int]] = [:]
        for (i, t) in list.enumerated() { m[t.0[0], default: []].append(i) }
        for k in m.keys { m[k]!.sort { list[$0].0.count > list[$1].0.count } }
        byFirst = m
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Appends segments (start, end, id; -1 for text, -2 for whitespace swallowed by lstrip/rstrip) covering `s[0..<n]`.
    func split(_ s: UnsafeBufferPointer<UInt32>, into out: inout [(Int, Int, Int)]) {
        out.removeAll(keepingCapacity: true)
        let n = s.count
        var textStart = 0, i = 0
        while i < n {
            guard let cands = byFirst[s[i]] else { i += 1; continue }
            var matched = -1
            for k in cands {
                let t = tokens[k].scalars
                guard i + t.count <= n else { continue }
                var ok = true
                for j in 1..<max(1, t.count) where s[i + j] != t[j] { ok = false; break }
                if ok && tokens[k].token.singleWord {
                    let before = i > 0 ? UnicodeClass.of(s[i - 1]) : UnicodeClass.whitespace
                    let after = i + t.count < n ? UnicodeClass.of(s[i + t.count]) : UnicodeClass.whitespace
                    let word = UnicodeClass.letter | UnicodeClass.number
                    if before & word != 0 || after & word != 0 || (i > 0 && s[i - 1] == 0x5F) { ok = false }
                }
                if ok { matched = k; break }
            }
            guard matched >= 0 else { i += 1; continue }
            let tok = tokens[matched].token
            var start = i, end = i + tokens[matched].scalars.count
            if tok.lstrip { while start > textStart, UnicodeClass.of(s[start - 1]) & UnicodeClass.whitespace != 0 { start -= 1 } }
            if tok.rstrip { while end < n, UnicodeClass.of(s[end]) & UnicodeClass.whitespace != 0 { end += 1 } }
            if start > textStart { out.append((textStart, start, -1)) }
            // Swallowed whitespace is not part of the token's offsets (-2: skip).
            if start < i { out.append((start, i, -2)) }
            out.append((i, i + tokens[matched].scalars.count, tok.id))
            if end > i + tokens[matched].scalars.count { out.append((i + tokens[matched].scalars.count, end, -2)) }
            textStart = end
            i = end
        }
        if textStart < n { out.append((textStart, n, -1)) }
    }
}

/// A lock-protected stack of per-thread scratch objects (buffers and caches), so that one tokenizer can be
/// used from many threads without sharing mutable state.
final class WorkspacePool<W>: @unchecked Sendable {
    private var free: [W] = []
    private let lock = NSLockShim()
    private let make: () -> W
    init(_ make: @escaping () -> W) { self.make = make }

    @inline(__always)
    func with<R>(_ body: (W) -> R) -> R {
        lock.lock()
        let w = free.popLast() ?? make()
        lock.unlock()
        let r = body(w)
        lock.lock(); free.append(w); lock.unlock()
        return r
    }
}

extension AddedTokenSplitter {
    /// The front every tokenizer shares: decodes `text` into `scalars`, emits each added token matched
    /// verbatim and hands each text run between them (start, end scalar index) to `run`. `scalars` and
    /// `segments` are the caller's reusable buffers; `reservePerScalar` sizes the output (tokens per scalar).
    @inline(__always)
    func tokenize(_ text: String, scalars: inout [UInt32], segments: inout [(Int, Int, Int)], reservePerScalar: Double,
                  run: (UnsafeBufferPointer<UInt32>, Int, Int, inout RawTokens) -> Void) -> RawTokens {
        var out = RawTokens()
        decodeScalars(text, into: &scalars)
        let reserve = Int(Double(scalars.count) * reservePerScalar)
        out.ids.reserveCapacity(reserve)
        out.offsets.reserveCapacity(reserve)
        scalars.withUnsafeBufferPointer { s in
            if isEmpty { return run(s, 0, s.count, &out) }
            split(s, into: &segments)
            for (a, b, id) in segments {
                if id >= 0 { out.ids.append(id); out.offsets.append(a..<b) } else if id == -1 { run(s, a, b, &out) }
            }
        }
        return out
    }
}
