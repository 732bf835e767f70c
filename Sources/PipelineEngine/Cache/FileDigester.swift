import Foundation

/// Size, modification time and content digest of one file, as stored in stage records.
public struct FileStamp: Codable, Hashable, Sendable {
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtime: Int64
    public var sha256: String
}

/// Content digests of files and directories with a size+mtime fast path: a file whose size and mtime
/// match a stamp from an earlier record is not re-read unless `deep` is set.
public final class FileDigester: @unchecked Sendable {
    public let deep: Bool
    private var known: [String: FileStamp] = [:]
    private let lock = NSLock()
    /// Files actually read (for tests and the benchmark).
    public private(set) var filesHashed = 0

    public init(deep: Bool = false) { self.deep = deep }

    /// Remembers stamps from earlier records (keyed by absolute path).
    public func remember(_ stamps: [String: FileStamp]) {
        lock.lock(); defer { lock.unlock() }
        for (k, v) in stamps { known[k] = v }
    }

    /// `stat` of a path: size and mtime (ns), or nil if missing.
    public static func fileInfo(_ path: String) -> (size: Int64, mtime: Int64, isDirectory: Bool)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let ns = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        return (Int64(st.st_size), ns, (st.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Stamp of a regular file; directories get a digest over their sorted contents (size 0, mtime 0).
    public func stamp(_ path: String) throws -> FileStamp {
        guard let s = Self.fileInfo(path) else { throw PipelineError.io(path: path, message: "no such file or directory") }
        if s.isDirectory {
            var h = SHA256()
            let fm = FileManager.default
            let children = ((try? fm.subpathsOfDirectory(atPath: path)) ?? []).sorted()
            for child in children {
                let full = path + "/" + child
                guard let cs = Self.fileInfo(full), !cs.isDirectory else { continue }
                h.update(child + "\u{0}" + (try stamp(full)).sha256 + "\n")
            }
            return FileStamp(size: 0, mtime: 0, sha256: h.finalizeHex())
        }
        if !deep {
            lock.lock()
            let old = known[path]
            lock.unlock()
            if let old, old.size == s.size, old.mtime == s.mtime { return old }
        }
        let digest = try Self.hashFile(path)
        let stamp = FileStamp(size: s.size, mtime: s.mtime, sha256: digest)
        lock.lock()
        known[path] = stamp
        filesHashed += 1
        lock.unlock()
        return stamp
    }

    /// SHA-256 of a file's bytes, read in 1 MiB chunks.
    public static func hashFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PipelineError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var h = SHA256()
        let chunk = 1 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, chunk)
            if n < 0 { throw PipelineError.io(path: path, message: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
        return h.finalizeHex()
    }
}

/// Which files of a model directory make its digest.
public enum ModelDigest {
    /// `config.json`, tokenizer files and weights (`*.safetensors`, `*.bin`, the safetensors index).
    public static func defaultFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let fixed: Set<String> = ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                                  "merges.txt", "special_tokens_map.json", "model.safetensors.index.json",
                                  "generation_config.json", "added_tokens.json"]
        return names.filter { fixed.contains($0) || $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") }
            .sorted().map { directory.appendingPathComponent($0) }
    }
}
