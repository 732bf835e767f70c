/// `${stages.<stage>.outputs.<output>}`: a value another stage produces.
public struct StageReference: Hashable, Sendable, CustomStringConvertible {
    public var stage: String
    public var output: String
    public var description: String { "${stages.\(stage).outputs.\(output)}" }
}

/// A `${params.x}`, `${stages.s.outputs.y}` or `${matrix.k}` found in spec text. Other `${...}` (shell
/// variables) are left alone. A `:q` suffix (`${stages.s.outputs.y:q}`) inserts the value shell-quoted, each
/// item of a list quoted on its own, so paths with spaces or quotes survive a `shell` stage's command.
struct Reference {
    enum Kind {
        case param(String)
        case stage(StageReference)
        /// A key of the stage's `matrix:`, replaced by the instance's value.
        case matrix(String)
        /// Starts like a reference but is not one; the string says what was expected.
        case malformed(String)
    }
    var kind: Kind
    /// Character offset of `${` in the text, for error columns.
    var offset: Int
    /// The reference's range in the text.
    var range: Range<String.Index>
    /// Written with the `:q` modifier: the value goes into text shell-quoted.
    var quoted = false

    /// All references in `text`, in order.
    static func scan(_ text: String) -> [Reference] {
        guard mayContainReference(text) else { return [] }
        var found: [Reference] = []
        var i = text.startIndex
        var offset = 0
        while i < text.endIndex {
            guard text[i...].hasPrefix("${params.") || text[i...].hasPrefix("${stages.") || text[i...].hasPrefix("${matrix.") else {
                i = text.index(after: i); offset += 1; continue
            }
            let start = i
            guard let close = text[i...].firstIndex(of: "}") else {
                found.append(Reference(kind: .malformed("unterminated reference; expected '}'"), offset: offset, range: start..<text.endIndex))
                break
            }
            var body = text[text.index(start, offsetBy: 2)..<close]
            let quoted = body.hasSuffix(":q")
            if quoted { body = body.dropLast(2) }
            let parts = body.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            let kind: Kind
            if parts[0] == "params" {
                kind = parts.count == 2 && isName(parts[1]) ? .param(parts[1])
                    : .malformed("malformed reference '${\(body)}'; expected ${params.NAME}")
            } else if parts[0] == "matrix" {
                kind = parts.count == 2 && isName(parts[1]) ? .matrix(parts[1])
                    : .malformed("malformed reference '${\(body)}'; expected ${matrix.KEY}")
            } else if parts.count == 4 && parts[2] == "outputs" && isName(parts[1]) && !parts[3].isEmpty {
                kind = .stage(StageReference(stage: parts[1], output: parts[3]))
            } else {
                kind = .malformed("malformed reference '${\(body)}'; expected ${stages.STAGE.outputs.NAME}")
            }
            found.append(Reference(kind: kind, offset: offset, range: start..<text.index(after: close), quoted: quoted))
            offset += text[start...close].count
            i = text.index(after: close)
        }
        return found
    }

    static func isName(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            case 0x80...:
                return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
            default:
                return false
            }
        }
        return true
    }

    /// Byte scan for `${p` / `${s` / `${m`: most values hold no reference, and Foundation's `contains` is slow.
    static func mayContainReference(_ text: String) -> Bool {
        var previous: UInt8 = 0, beforeThat: UInt8 = 0
        for b in text.utf8 {
            if beforeThat == UInt8(ascii: "$") && previous == UInt8(ascii: "{") && (b == UInt8(ascii: "p") || b == UInt8(ascii: "s") || b == UInt8(ascii: "m")) {
                return true
            }
            beforeThat = previous
            previous = b
        }
        return false
    }

    /// True when `text` is exactly one reference (so it takes the referenced value's shape, e.g. a list).
    static func whole(_ text: String) -> Reference? {
        let refs = scan(text)
        guard refs.count == 1, refs[0].range == text.startIndex..<text.endIndex else { return nil }
        return refs[0]
    }
}

/// What a finished stage produced, by output name: a path, several paths, or text.
public enum OutputValue: Hashable, Sendable, Codable {
    case path(String)
    case paths([String])
    case text(String)

    var raw: RawValue {
        switch self {
        case .path(let p): return .text(p)
        case .paths(let ps): return .list(ps.map { .text($0) })
        case .text(let t): return .text(t)
        }
    }
}

extension RawValue {
    /// Replaces stage references by the values they stand for (a text, or a list for several paths or a
    /// gathered matrix stage); a list item that is exactly a reference to a list is spliced into the list,
    /// and a reference inside longer text is replaced by its items joined with spaces.
    func resolvingStages(_ lookup: (StageReference) -> RawValue?) -> RawValue {
        switch self {
        case .text(let s):
            if let ref = Reference.whole(s), !ref.quoted, case .stage(let r) = ref.kind, let v = lookup(r) { return v }
            var out = s
            for ref in Reference.scan(s).reversed() {
                if case .stage(let r) = ref.kind, let v = lookup(r) {
                    out.replaceSubrange(ref.range, with: ref.quoted ? v.shellQuotedText : v.joinedText)
                }
            }
            return .text(out)
        case .list(let items):
            var out: [RawValue] = []
            for item in items {
                let resolved = item.resolvingStages(lookup)
                if case .text(let s) = item, Reference.whole(s) != nil, case .list(let inner) = resolved {
                    out.append(contentsOf: inner)
                } else {
                    out.append(resolved)
                }
            }
            return .list(out)
        case .map(let m):
            return .map(m.mapValues { $0.resolvingStages(lookup) })
        }
    }

    /// Text leaves, each shell-quoted, joined by spaces (what `:q` inserts).
    var shellQuotedText: String {
        switch self {
        case .text(let s): return ShellQuoting.quote(s)
        case .list(let items): return items.map(\.shellQuotedText).joined(separator: " ")
        case .map(let m): return m.keys.sorted().map { m[$0]!.shellQuotedText }.joined(separator: " ")
        }
    }

    /// Text leaves joined by spaces (how a list reads inside a command line).
    var joinedText: String {
        switch self {
        case .text(let s): return s
        case .list(let items): return items.map(\.joinedText).joined(separator: " ")
        case .map(let m): return m.keys.sorted().map { m[$0]!.joinedText }.joined(separator: " ")
        }
    }
}
