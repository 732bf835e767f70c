import DataIO
import Foundation
import Formats

/// Temporary files left by killed processes: `.<name>.tmp-<pid>-…` beside records, latest-key files and
/// published outputs (atomic writers and cross-filesystem publishing name them so). Removed by the next
/// run and by `trellis clean` once the process that wrote them is gone.
enum StaleTemporaries {
    /// Directories that may hold such files for `pipeline`: the work directory's record and stage
    /// directories, and the directories of every literal output path and of every published file the
    /// latest records name.
    static func directories(work: WorkDirectory, pipelines: [Pipeline], projectDirectory: URL) -> [String] {
        var dirs: Set<String> = [work.records.path, work.stages.path, work.root.path]
        let project = projectDirectory.path
        for pipeline in pipelines {
            for stage in pipeline.stages {
                for p in stage.type.parameters where p.type.publishesOutputs {
                    guard let raw = stage.raw[p.name] else { continue }
                    for path in StageKeying.literalPaths(raw) {
                        dirs.insert(PathName.parent(PathName.normalize(PathName.join(project, path))))
                    }
                }
            }
            for record in work.latestRecords(pipeline: pipeline.name).values {
                for path in record.outputFiles.keys {
                    dirs.insert(PathName.parent(PathName.normalize(PathName.join(project, path))))
                }
            }
        }
        return dirs.sorted()
    }

    /// Stale temporaries in `directories` (their writers' processes no longer run).
    static func find(in directories: [String]) -> [String] {
        directories.flatMap { AtomicFile.staleTemporaries(in: $0) }
    }

    /// Removes them; returns what was removed.
    @discardableResult
    static func remove(in directories: [String]) -> [String] {
        let found = find(in: directories)
        for path in found { WorkDirectory.removeTree(path) }
        return found
    }
}
