import Formats

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
        (a.location.path ?? "", a.location.line, a.location.column) < (b.location.path ?? "", b.location.line, b.location.column)
    }
}
