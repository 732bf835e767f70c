import Foundation

/// Path strings taken apart and normalised as plain text. Foundation's `NSString` path API traps on some
/// short paths (a one-character directory such as `o/r.txt`), so the engine never uses it.
public enum PathName {
    /// Everything before the last component: `a/b/c` → `a/b`, `c` → ``, `/c` → `/`, `a/b/` → `a`.
    public static func parent(_ path: String) -> String {
        var s = Substring(path)
        while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
        guard let slash = s.lastIndex(of: "/") else { return "" }
        var head = s[..<slash]
        while head.count > 1 && head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }

    /// The last component: `a/b/c.txt` → `c.txt`, `a/b/` → `b`, `/` → `/`.
    public static func lastComponent(_ path: String) -> String {
        var s = Substring(path)
        while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
        if s == "/" { return "/" }
        guard let slash = s.lastIndex(of: "/") else { return String(s) }
        return String(s[s.index(after: slash)...])
    }

    /// The extension of the last component without the dot (`x.tar.gz` → `gz`); empty when there is none
    /// or the name only starts with a dot (`.bashrc`).
    public static func pathExtension(_ path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The last component without its extension (`dir/x.yaml` → `x`).
    public static func stem(_ path: String) -> String {
        let name = lastComponent(path), ext = pathExtension(path)
        return ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
    }

    /// `base/child`, with one slash between them.
    public static func join(_ base: String, _ child: String) -> String {
        if base.isEmpty { return child }
        if child.hasPrefix("/") { return child }
        return base.hasSuffix("/") ? base + child : base + "/" + child
    }

    /// Lexically normalised: `//` and `.` removed, `..` folded into its parent (never above the root of an
    /// absolute path; kept at the start of a relative one). `a/./b//../c/` → `a/c`, `` → `.`.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." { out.removeLast() }
                else if !absolute { out.append(part) }
                continue
            }
            out.append(part)
        }
        let body = out.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// `path` made absolute against `base` and normalised, with the symbolic links of its longest existing
    /// ancestor resolved (so `out/x` and `link-to-out/x` compare equal even before `x` exists).
    public static func resolved(_ path: String, against base: String) -> String {
        let absolute = normalize(path.hasPrefix("/") ? path : join(base, path))
        var existing = absolute
        var rest: [String] = []
        while existing != "/" {
            if let real = realPath(existing) { return normalize(rest.reversed().reduce(real) { join($0, $1) }) }
            rest.append(lastComponent(existing))
            existing = parent(existing)
        }
        return absolute
    }

    /// Whether `path` is `directory` or inside it (both normalised absolute paths).
    public static func isInside(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory == "/" ? "/" : directory + "/")
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
