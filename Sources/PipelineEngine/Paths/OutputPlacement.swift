import Foundation

/// Where stage outputs may be published.
public enum OutputPlacement {
    /// One rule for every stage type: a published file lies inside the project directory (the loader
    /// applies it to literal paths; this checks paths known only once upstream stages have run).
    public static func checkInsideProject(_ destination: URL, declared: String, output: String, project: URL) throws {
        let root = PathName.resolved(project.path, against: "/")
        let resolved = PathName.resolved(destination.path, against: root)
        guard PathName.isInside(resolved, root), resolved != root else {
            throw StageError("output '\(output)' is \(declared), outside the project directory \(root); outputs must be written inside it")
        }
    }
}
