import Foundation

extension StageContext {
    /// Registers every file of `directory` (written inside `scratchDirectory`; dot files skipped) as output
    /// `name`, each published into the directory `path` under its own file name when the stage succeeds:
    /// how a stage publishes a model directory it built.
    public func publishFiles(_ name: String, of directory: URL, into path: String) throws {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where !file.hasPrefix(".") {
            publish(name, existing: directory.appendingPathComponent(file), to: prefix + file)
        }
    }
}
