import Foundation

/// Scratch directories of running stages, reused from one stage to the next and removed at the end of
/// the run. A trivial stage used to cost a fresh directory tree (mkdir, then rmdir at the end): on a busy
/// ext4 each of those takes milliseconds, more than spawning the command itself.
final class ScratchPool: @unchecked Sendable {
    private let root: URL
    private var free: [URL] = []
    private var all: [URL] = []
    private let lock = NSLock()

    /// Directories are named `w<n>-<pid>` under `root` (the work directory's `tmp/`); each is created on first use.
    init(root: URL) { self.root = root }

    /// A directory no other stage is using; call `reset` before running a stage in it.
    func take() -> URL {
        lock.lock(); defer { lock.unlock() }
        if let url = free.popLast() { return url }
        // Named per process: a command orphaned by a killed run may still be writing into an older directory.
        let url = root.appendingPathComponent("w\(all.count)-\(getpid())")
        all.append(url)
        return url
    }

    func give(_ url: URL) { lock.lock(); free.append(url); lock.unlock() }

    /// Removes every directory handed out (at the end of the run).
    func empty() {
        lock.lock(); let dirs = all; all = []; free = []; lock.unlock()
        for d in dirs { WorkDirectory.removeTree(d.path) }
    }

    /// Empties `dir` except for the directories in `keeping` (paths relative to `dir`, with every
    /// ancestor listed too), which stay but lose whatever they hold that is not itself kept. A stage thus
    /// starts in an empty directory whose expected subdirectories already exist.
    static func reset(_ dir: URL, keeping: Set<String>) {
        clear(dir.path, prefix: "", keeping: keeping)
    }

    private static func clear(_ path: String, prefix: String, keeping: Set<String>) {
        guard let d = opendir(path) else { return }
        var children: [(name: String, isDirectory: Bool)] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { children.append((name, entry.pointee.d_type == UInt8(DT_DIR))) }
        }
        closedir(d)
        for c in children {
            let relative = prefix + c.name
            if c.isDirectory && keeping.contains(relative) {
                clear(path + "/" + c.name, prefix: relative + "/", keeping: keeping)
            } else {
                WorkDirectory.removeTree(path + "/" + c.name)
            }
        }
    }
}

/// A stage type that knows which subdirectories of its scratch directory it creates, so a reused scratch
/// directory keeps them instead of removing and recreating them for every stage.
protocol ScratchLayout {
    /// Relative directories (each ancestor listed too) the stage creates in its scratch directory.
    func scratchDirectories(_ parameters: TypedParameters) -> Set<String>
}
