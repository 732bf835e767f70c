import Foundation

/// Computes a stage's named cache-key components and explains differences from its previous record.
final class StageKeying: @unchecked Sendable {
    let work: WorkDirectory
    let digester: FileDigester
    let projectDirectory: URL
    /// Keys with a committed record (one directory listing at start, then kept up to date).
    private(set) var committed: Set<String>
    /// Latest record of each stage id of this pipeline.
    let previous: [String: StageRecord]
    private let lock = NSLock()

    init(work: WorkDirectory, pipeline: String, projectDirectory: URL, deep: Bool) {
        self.work = work
        self.projectDirectory = projectDirectory
        self.digester = FileDigester(deep: deep)
        self.committed = work.committedKeys()
        self.previous = work.latestRecords(pipeline: pipeline)
        for r in previous.values { digester.remember(r.inputs) }
    }

    func markCommitted(_ key: String) {
        lock.lock(); committed.insert(key); lock.unlock()
    }

    func isCommitted(_ key: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return committed.contains(key)
    }

    /// Components of `stage`'s key; `upstream` maps dependency ids to their output digests.
    /// Input and model files are stamped (digested unless size+mtime match an earlier record).
    func components(_ stage: PipelineStage, upstream: [String: String]) throws -> (components: [String: String], stamps: [String: FileStamp]) {
        var c: [String: String] = ["code": "\(stage.type.name)@\(stage.type.version)"]
        var stamps: [String: FileStamp] = [:]
        for p in stage.type.parameters {
            if let raw = stage.raw[p.name] {
                c["param:" + p.name] = raw.canonical
                if p.type.digestsInputs || p.type == .model {
                    for path in Self.literalPaths(raw) {
                        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : projectDirectory.appendingPathComponent(path)
                        guard FileDigester.fileInfo(url.path) != nil else {
                            c[(p.type == .model ? "model:" : "input:") + path] = "missing"
                            continue
                        }
                        if p.type == .model {
                            var h = SHA256()
                            for f in stage.type.modelFiles(in: url) {
                                let s = try digester.stamp(f.path)
                                stamps[f.path] = s
                                h.update(f.lastPathComponent + "=" + s.sha256 + "\n")
                            }
                            c["model:" + p.name] = h.finalizeHex()
                        } else {
                            let s = try digester.stamp(url.path)
                            stamps[url.path] = s
                            c["input:" + path] = s.sha256
                        }
                    }
                }
            } else if let d = p.defaultValue {
                c["param:" + p.name] = "default " + d.canonicalJSON
            }
        }
        for (id, digest) in upstream { c["upstream:" + id] = digest }
        // A gathered list's order is not in the upstream digests (they are keyed by id).
        for (name, target) in stage.referenceTargets where target.gathers { c["gather:" + name] = target.ids.joined(separator: " ") }
        return (c, stamps)
    }

    /// Text leaves of a parameter that are not stage references: the files to digest.
    static func literalPaths(_ raw: RawValue) -> [String] {
        switch raw {
        case .text(let s): return s.isEmpty || s.contains("${stages.") ? [] : [s]
        case .list(let items): return items.flatMap(literalPaths)
        case .map(let m): return m.keys.sorted().flatMap { literalPaths(m[$0]!) }
        }
    }

    /// The committed record for `key` if its outputs are still intact; otherwise nil and what is wrong.
    func reusable(key: String) -> (StageRecord?, problem: String?) {
        guard isCommitted(key), let record = work.record(key: key) else { return (nil, nil) }
        if !record.outputs.isEmpty && record.outputs.values.contains(where: { if case .text = $0 { return false }; return true }) {
            let dir = work.objects.appendingPathComponent(key)
            let hasInternal = record.outputs.values.contains { v in
                switch v { case .path(let p): return p.contains("objects/\(key)"); case .paths(let ps): return ps.contains { $0.contains("objects/\(key)") }; default: return false }
            }
            if hasInternal && FileDigester.fileInfo(dir.path) == nil { return (nil, "internal outputs missing: \(WorkDirectory.display(dir, relativeTo: projectDirectory))") }
        }
        for path in record.outputFiles.keys.sorted() {
            let stamp = record.outputFiles[path]!
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : projectDirectory.appendingPathComponent(path)
            guard let info = FileDigester.fileInfo(url.path) else { return (nil, "output missing: \(path)") }
            if info.size == stamp.size && info.mtime == stamp.mtime && !digester.deep { continue }
            if (try? FileDigester.hashFile(url.path)) != stamp.sha256 { return (nil, "output modified: \(path)") }
        }
        return (record, nil)
    }

    /// Why a stage with these components must run, compared with its previous record.
    func reasons(stage: String, components: [String: String], problem: String?) -> [String] {
        guard let prev = previous[stage] else { return [problem ?? "new"] }
        var out: [String] = []
        if prev.components["code"] != components["code"] {
            out.append("code version changed: \(prev.components["code"] ?? "?") -> \(components["code"] ?? "?")")
        }
        let names = Set(prev.components.keys).union(components.keys).filter { $0 != "code" }.sorted()
        for n in names where prev.components[n] != components[n] {
            // Names come from records on disk, which may have been edited: no colon is "other".
            let colon = n.firstIndex(of: ":") ?? n.endIndex
            let kind = n[..<colon], what = colon == n.endIndex ? "" : n[n.index(after: colon)...]
            switch kind {
            case "param": out.append("parameter changed: \(what)")
            case "input":
                if components[n] == nil { continue } // a removed input shows as a parameter change
                out.append(prev.components[n] == nil ? "input added: \(what)" : components[n] == "missing" ? "input missing: \(what)" : "input changed: \(what)")
            case "model": out.append("model changed: \(what)")
            case "upstream":
                out.append(components[n] == nil ? "upstream removed: \(what)" : prev.components[n] == nil ? "upstream added: \(what)" : "upstream changed: \(what)")
            case "gather": out.append("gathered instances changed: \(what)")
            default: out.append("\(n) changed")
            }
        }
        if let problem { out.append(problem) }
        if out.isEmpty { out.append(isCommitted(CacheKey.make(components)) ? "cached record unusable" : "no record of the last run") }
        return out
    }
}
