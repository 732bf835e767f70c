/// A position in a spec file: 1-based line and column (columns count UTF-8 bytes' characters as written).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file as the user named it (e.g. `pipelines/x.yaml`), or `command line` for `-p` overrides.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the GNU style editors jump to; just `file` for command-line positions (line 0).
    public var description: String { line == 0 ? file : "\(file):\(line):\(column)" }
}

/// One problem found in a spec, with where it is and what was expected.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `file:line:column: message`.
    public var description: String { "\(location): \(message)" }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.location.file, a.location.line, a.location.column) < (b.location.file, b.location.line, b.location.column)
    }
}
