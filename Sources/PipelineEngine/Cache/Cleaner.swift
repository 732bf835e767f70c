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
        var specs = Set<String>()
        for dir in (try? FileManager.default.contentsOfDirectory(atPath: work.stages.path)) ?? [] {
            for r in work.latestRecords(pipeline: dir).values where FileManager.default.fileExists(atPath: r.spec) { specs.insert(r.spec) }
        }
        return specs.sorted()
    }

    /// Keeps, for each stage of `pipelines`, its latest record and outputs; removes everything else.
    public static func clean(workDirectory: URL, keeping pipelines: [Pipeline], dryRun: Bool) throws -> Report {
        let work = WorkDirectory(root: workDirectory)
        if !dryRun { try work.lock() }
        defer { if !dryRun { work.unlock() } }
        let fm = FileManager.default
        var report = Report()
        var keep = Set<String>()
        var currentStages: [String: Set<String>] = [:]
        for p in pipelines {
            let ids = Set(p.stages.map(\.id))
            currentStages[p.name.replacingOccurrences(of: "/", with: "_"), default: []].formUnion(ids)
            for (id, r) in work.latestRecords(pipeline: p.name) where ids.contains(id) { keep.insert(r.key) }
        }
        func remove(_ url: URL) {
            report.bytes += size(url)
            report.removed.append(WorkDirectory.display(url, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)))
            if !dryRun { try? fm.removeItem(at: url) }
        }
        for name in (try? fm.contentsOfDirectory(atPath: work.stages.path))?.sorted() ?? [] {
            let dir = work.stages.appendingPathComponent(name)
            guard let ids = currentStages[name] else { remove(dir); continue }
            for f in (try? fm.contentsOfDirectory(atPath: dir.path))?.sorted() ?? [] where f.hasSuffix(".json") && !ids.contains(String(f.dropLast(5))) {
                remove(dir.appendingPathComponent(f))
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
        return report
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
