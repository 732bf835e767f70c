/// The tables every tokenizer keeps about its vocabulary: ids by spelling (added tokens included),
/// spellings by id, the added tokens matched verbatim in raw text, and the ids `decode` may drop.
/// Built once per tokenizer by the one rule below, so the three algorithms cannot disagree on it.
public struct TokenVocabulary: Sendable {
    /// Number of ids (the largest id + 1).
    let size: Int
    let ids: [String: Int]
    let spelling: TokenSpellingTable
    let splitter: AddedTokenSplitter
    /// Added tokens marked special: dropped by `decode(skipSpecialTokens: true)`.
    let specialIds: Set<Int>

    /// From (token, id) entries and the added tokens; an added token wins over an entry of the same
    /// spelling, and a later entry over an earlier one (as a Python dict built from the file would).
    init(entries: [(String, Int)], addedTokens: [AddedToken]) {
        var all = [String: Int](entries, uniquingKeysWith: { $1 })
        for a in addedTokens { all[a.content] = a.id }
        ids = all
        size = max(entries.map(\.1).max() ?? -1, addedTokens.map(\.id).max() ?? -1) + 1
        var names = [String?](repeating: nil, count: size)
        for (t, id) in entries where id >= 0 { names[id] = t }
        for a in addedTokens where a.id >= 0 { names[a.id] = a.content }
        spelling = TokenSpellingTable(names)
        splitter = AddedTokenSplitter(addedTokens)
        specialIds = Set(addedTokens.filter(\.special).map(\.id))
    }
}
