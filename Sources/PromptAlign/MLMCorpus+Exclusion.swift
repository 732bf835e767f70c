import Foundation

/// Keeps test articles out of an adaptation corpus: a document is dropped when its text equals a test
/// article's exactly or after normalisation (case, punctuation and spacing ignored), so an article that
/// was re-scraped with other whitespace or quoting still counts as the same. Documents that repeat one
/// another (after normalisation) are kept once.
public struct MLMExclusion: Sendable {
    let exact: Set<String>
    let normalised: Set<String>

    /// The articles of `files` (any layout `MLMCorpus` reads; only their text is used).
    public init(files: [String]) throws {
        try self.init(texts: MLMCorpus.read(files).map(\.text))
    }

    public init(texts: [String]) {
        exact = Set(texts)
        normalised = Set(texts.map(Self.normalise).filter { !$0.isEmpty })
    }

    /// Whether `text` is one of the excluded articles.
    public func excludes(_ text: String) -> Bool {
        exact.contains(text) || normalised.contains(Self.normalise(text))
    }

    /// What `filter` kept and dropped.
    public struct Outcome: Sendable {
        public var kept: [MLMDocument]
        public var excluded: Int
        public var duplicates: Int
        public var empty: Int
    }

    /// `documents` without excluded articles, empty texts and repeats (first occurrence kept, in order).
    public func filter(_ documents: [MLMDocument]) -> Outcome {
        var seen = Set<String>()
        var out = Outcome(kept: [], excluded: 0, duplicates: 0, empty: 0)
        for d in documents {
            let key = Self.normalise(d.text)
            if key.isEmpty { out.empty += 1; continue }
            if exact.contains(d.text) || normalised.contains(key) { out.excluded += 1; continue }
            if !seen.insert(key).inserted { out.duplicates += 1; continue }
            out.kept.append(d)
        }
        return out
    }

    /// Lower case letters and digits, every other run of characters one space, trimmed.
    public static func normalise(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }
}
