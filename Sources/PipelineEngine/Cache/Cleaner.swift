import Foundation

/// `trellis clean`: removes records, outputs and stage pointers that no current spec references.
/// Files a stage published at declared paths (e.g. `out/x.tsv`) belong to the user and are never touched.
public enum Cleaner {
    public struct Report: Sendable {
        /// Work-directory paths removed (or that would be, in a dry run).
        public var removed: [String] = []
        public var bytes: Int64 = 0
    }

    /// Specs recorded in the work directory whose files still exist (the default set for `trellis clean`).
    public static func knownSpecs(workDirectory: URL) -> [String] {
        let work = WorkDirectory(root: workDirectory)
        let specs = work.knownPipelines().compactMap { work.latest(pipeline: $0)?.spec }
        return Set(specs.filter { FileManager.default.fileExists(atPath: $0) }).sorted()
    }

    /// Keeps, for each stage of `pipelines`, its latest record and outputs; removes everything else.
    /// With `projectDirectory`, shard directories of stages the specs would run now (planned keys, e.g. a
    /// sharded stage interrupted half way) are kept too.
    public static func clean(workDirectory: URL, keeping pipelines: [Pipeline], dryRun: Bool,
                             projectDirectory: URL? = nil) throws -> Report {
        let work = WorkDirectory(root: workDirectory)
        // A dry run takes the lock too: a running run's fresh records are not yet in `stages/`, and listing
        // them as removable would be wrong (and removing them, disastrous).
        try work.lock()
        defer { work.unlock() }
        let fm = FileManager.default
        var report = Report()
        var keep = Set<String>()
        func remove(_ url: URL) {
            report.bytes += size(url)
            report.removed.append(WorkDirectory.display(url, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)))
            if !dryRun { try? fm.removeItem(at: url) }
        }
        let current = Dictionary(pipelines.map { ($0.name.replacingOccurrences(of: "/", with: "_"), $0) }) { a, _ in a }
        for name in work.knownPipelines() {
            guard let p = current[name], let latest = work.latest(pipeline: name) else { remove(work.latestFile(name)); continue }
            let ids = Set(p.stages.map(\.id))
            let kept = latest.stages.filter { ids.contains($0.key) }
            keep.formUnion(kept.values)
            if kept.count != latest.stages.count {
                report.removed.append(contentsOf: latest.stages.keys.filter { !ids.contains($0) }.sorted().map { "stage '\($0)' of \(name)" })
                if !dryRun { try work.writeLatest(pipeline: name, spec: latest.spec, keys: kept) }
            }
        }
        for f in (try? fm.contentsOfDirectory(atPath: work.records.path))?.sorted() ?? [] where !keep.contains(String(f.dropLast(5))) {
            remove(work.records.appendingPathComponent(f))
        }
        for f in (try? fm.contentsOfDirectory(atPath: work.objects.path))?.sorted() ?? [] where !keep.contains(f) {
            remove(work.objects.appendingPathComponent(f))
        }
        for f in (try? fm.contentsOfDirectory(atPath: work.tmp.path))?.sorted() ?? [] {
            remove(work.tmp.appendingPathComponent(f))
        }
        // Partial files of killed writers beside records and published outputs.
        let base = projectDirectory ?? URL(fileURLWithPath: fm.currentDirectoryPath)
        for path in StaleTemporaries.find(in: StaleTemporaries.directories(work: work, pipelines: pipelines, projectDirectory: base)) {
            remove(URL(fileURLWithPath: path))
        }
        var currentKeys = keep
        if let projectDirectory {
            for p in pipelines {
                for e in (try? Planner.plan(p, workDirectory: workDirectory, projectDirectory: projectDirectory)) ?? [] {
                    if let k = e.key { currentKeys.insert(k) }
                }
            }
        }
        let shards = work.root.appendingPathComponent("shards")
        let keptShards = referencedShardEntries(shards, stageKeys: currentKeys, work: work)
        for f in (try? fm.contentsOfDirectory(atPath: shards.path))?.sorted() ?? [] where !keptShards.contains(f) {
            remove(shards.appendingPathComponent(f))
        }
        // Slurm run directories (manifests, job logs): only the newest run's is kept, for its logs.
        let slurm = work.root.appendingPathComponent("slurm")
        let runs = ((try? fm.contentsOfDirectory(atPath: slurm.path)) ?? [])
            .map { ($0, FileDigester.fileInfo(slurm.appendingPathComponent($0).path)?.mtime ?? 0) }
            .sorted { ($0.1, $0.0) > ($1.1, $1.0) }
        for (name, _) in runs.dropFirst() { remove(slurm.appendingPathComponent(name)) }
        return report
    }

    /// Entries of `<work>/shards/` still in use: batch directories `<stage key>-of<N>` of the given stage
    /// keys, and the shard directories they list (or, for batches without a list, those derived from the
    /// stage's record).
    static func referencedShardEntries(_ shards: URL, stageKeys: Set<String>, work: WorkDirectory) -> Set<String> {
        var kept = Set<String>()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: shards.path)) ?? [] {
            guard let r = name.range(of: "-of", options: .backwards), let count = Int(name[r.upperBound...]), count > 0 else { continue }
            let key = String(name[..<r.lowerBound])
            guard stageKeys.contains(key) else { continue }
            kept.insert(name)
            let list = shards.appendingPathComponent(name).appendingPathComponent(StageTasks.shardKeysFile)
            if let text = try? String(contentsOf: list, encoding: .utf8) {
                for line in text.split(separator: "\n") where !line.isEmpty { kept.insert(String(line)) }
            } else if let record = work.record(key: key) {
                for i in 0..<count {
                    var c = record.components
                    c["shard"] = "\(i)/\(count) \(StageTasks.splitVersion)"
                    kept.insert(CacheKey.make(c))
                }
            }
        }
        return kept
    }

    static func size(_ url: URL) -> Int64 {
        guard let info = FileDigester.fileInfo(url.path) else { return 0 }
        if !info.isDirectory { return info.size }
        var total: Int64 = 0
        for sub in (try? FileManager.default.subpathsOfDirectory(atPath: url.path)) ?? [] {
            if let i = FileDigester.fileInfo(url.path + "/" + sub), !i.isDirectory { total += i.size }
        }
        return total
    }
}
