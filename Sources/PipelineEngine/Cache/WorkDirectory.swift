import Foundation
import Formats

/// The work directory (default `.trellis/`):
///
///     lock                        flock'd by the running `trellis run`
///     records/<key>.json          committed stage records (a stage is done iff its record is here)
///     objects/<key>/              internal outputs of the stage run with that key
///     stages/<pipeline>.json      the latest key of each stage id (for plan reasons and clean)
///     runs/<run-id>/              trace.jsonl, report.html, logs/<stage>.log
///     tmp/w<n>-<pid>/             scratch of running stages (one per stage running at once, reused);
///                                 emptied at the start of every run
///     shards/                     sharded stages: <key>-of<N>/ (split inputs, manifests), <shard key>/
///     slurm/<run-id>/             Slurm submissions of a run (manifests, job logs)
public final class WorkDirectory: @unchecked Sendable {
    public let root: URL
    private var lockDescriptor: Int32 = -1

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var records: URL { root.appendingPathComponent("records") }
    public var objects: URL { root.appendingPathComponent("objects") }
    public var stages: URL { root.appendingPathComponent("stages") }
    public var runs: URL { root.appendingPathComponent("runs") }
    public var tmp: URL { root.appendingPathComponent("tmp") }

    /// Creates the layout.
    public func prepare() throws {
        for d in [records, objects, stages, runs, tmp] { try Self.makeDirectory(d) }
    }

    static func makeDirectory(_ url: URL) throws {
        guard makeDirectories(url.path) else {
            let reason = errno == ENOTDIR ? "a parent of it is a regular file, not a directory" : DescriptorWrite.reason(errno)
            throw PipelineError.io(path: url.path, message: "cannot create directory: " + reason)
        }
        if let info = FileDigester.fileInfo(url.path), !info.isDirectory {
            throw PipelineError.io(path: url.path, message: "cannot create directory: a regular file is in the way")
        }
    }

    /// `rm -rf` with plain readdir/unlink/rmdir (FileManager.removeItem costs several stats and
    /// prlimit calls per entry; this runs once per stage attempt).
    static func removeTree(_ path: String) {
        if unlink(path) == 0 || errno == ENOENT { return }
        guard let dir = opendir(path) else { return }
        var children: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { children.append(name) }
        }
        closedir(dir)
        for c in children {
            let child = path + "/" + c
            if unlink(child) != 0 && (errno == EISDIR || errno == EPERM) { removeTree(child) }
        }
        rmdir(path)
    }

    /// `mkdir -p` with one syscall when the parent exists (FileManager stats every path component first).
    @discardableResult
    static func makeDirectories(_ path: String) -> Bool {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return true }
        guard errno == ENOENT else { return false }
        let parent = PathName.parent(path)
        guard !parent.isEmpty, parent != path, makeDirectories(parent) else { return false }
        return mkdir(path, 0o755) == 0 || errno == EEXIST
    }

    /// Takes the exclusive lock or throws `.locked`; the kernel releases it when the process dies, even on kill -9.
    public func lock() throws {
        try Self.makeDirectory(root)
        let path = root.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.io(path: path, message: "cannot open lock file: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buf, 63, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown pid"
            throw PipelineError.locked(workDirectory: root.path, holder: holder)
        }
        let me = "pid \(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
        lockDescriptor = fd
    }

    public func unlock() {
        guard lockDescriptor >= 0 else { return }
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
        lockDescriptor = -1
    }

    /// Removes leftovers of interrupted runs: scratch directories and unpublished temp files.
    public func clearScratch() throws {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] {
            try? fm.removeItem(at: tmp.appendingPathComponent(name))
        }
        try Self.makeDirectory(tmp)
    }

    /// Writes `data` through `AtomicFile` (temporary beside `url`, renamed into place).
    /// No fsync: a killed process cannot leave a torn file, and records are cheap to redo after a power loss.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            try AtomicFile.write([UInt8](data), to: url.path, durable: false)
        } catch let e as FormatsError {
            throw PipelineError.io(path: url.path, message: e.description)
        }
    }

    // MARK: Records

    /// Keys of every committed record, from one directory listing (no per-stage stat).
    public func committedKeys() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: records.path)) ?? []
        var keys = Set<String>(minimumCapacity: names.count)
        for n in names where n.hasSuffix(".json") && !n.hasPrefix(".") { keys.insert(String(n.dropLast(5))) }
        return keys
    }

    public func record(key: String) -> StageRecord? {
        guard let data = FileManager.default.contents(atPath: records.appendingPathComponent(key + ".json").path) else { return nil }
        return try? PipelineJSON.decode(StageRecord.self, from: data)
    }

    /// `stages/<pipeline>.json`: the latest key of every stage id, and the spec file.
    func latestFile(_ pipeline: String) -> URL {
        stages.appendingPathComponent(pipeline.replacingOccurrences(of: "/", with: "_") + ".json")
    }

    struct Latest: Codable {
        var spec: String
        var stages: [String: String]
    }

    /// Pipeline names that have a latest-keys file.
    func knownPipelines() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: stages.path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }.sorted()
    }

    func latest(pipeline: String) -> Latest? {
        guard let data = FileManager.default.contents(atPath: latestFile(pipeline).path) else { return nil }
        return try? PipelineJSON.decode(Latest.self, from: data)
    }

    /// Records the latest key of each stage id of `pipeline` (one small file per pipeline, rewritten atomically).
    func writeLatest(pipeline: String, spec: String, keys: [String: String]) throws {
        guard let data = try? PipelineJSON.encode(Latest(spec: spec, stages: keys)) else { return }
        try Self.makeDirectory(stages)
        try Self.writeAtomically(data, to: latestFile(pipeline))
    }

    /// The latest record of every stage id of `pipeline`.
    public func latestRecords(pipeline: String) -> [String: StageRecord] {
        guard let latest = latest(pipeline: pipeline) else { return [:] }
        var out: [String: StageRecord] = [:]
        for (id, key) in latest.stages {
            guard var r = record(key: key) else { continue }
            // A record may have been made by an identical stage of another id or pipeline.
            r.stage = id
            r.pipeline = pipeline
            out[id] = r
        }
        return out
    }

    /// Commits a record: `records/<key>.json` appears atomically, and from then on the stage is done.
    public func commit(_ record: StageRecord) throws {
        let data: Data
        do { data = try PipelineJSON.encode(record) } catch {
            throw PipelineError.io(path: records.path, message: "cannot encode record: \(error)")
        }
        let url = records.appendingPathComponent(record.key + ".json")
        try FaultInjection.checkWrite(url.path)
        try Self.writeAtomically(data, to: url)
    }

    /// Path of `url` relative to `base` when inside it, else absolute; stage outputs are shown this way.
    public static func display(_ url: URL, relativeTo base: URL) -> String {
        let p = url.standardizedFileURL.path, b = base.standardizedFileURL.path
        if p.hasPrefix(b + "/") { return String(p.dropFirst(b.count + 1)) }
        return p
    }
}
