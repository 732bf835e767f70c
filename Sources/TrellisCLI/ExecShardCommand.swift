import Foundation
import PipelineEngine
import CLISupport

/// `trellis exec-shard MANIFEST INDEX`: what a Slurm array task runs. Reads one manifest line (stage type,
/// typed parameters, shard input and output paths, cache key) and runs that shard; the spec is never read.
enum ExecShardCommand: Command {
    static let name = "exec-shard"
    static let summary = "run one shard of a shard manifest (the entry point of Slurm array tasks)"
    static let usage = """
    USAGE: trellis exec-shard MANIFEST INDEX

    Runs line INDEX (0-based) of the JSONL shard manifest MANIFEST, which `trellis run --executor slurm`
    writes. The shard's outputs go to its directory under <work-dir>/shards/ and its completion marker
    (done.json) is renamed into place last; a failure writes failed-<attempt>.json and exits non-zero.
    Logs go to standard output (the array task's log file).
    """

    static func run(_ args: inout Arguments) throws {
        let pos = try args.positionals(["MANIFEST", "INDEX"])
        try args.finish()
        guard let index = Int(pos[1]), index >= 0 else { throw ArgumentError.badValue("INDEX", pos[1] + " (expected a line number from 0)") }
        let task: ShardTask
        do { task = try ShardManifest.task(at: index, in: URL(fileURLWithPath: pos[0])) } catch {
            print("trellis exec-shard: \(error)", to: &standardError)
            throw ExitStatus(code: 1)
        }
        guard let type = StageCatalog.registry().type(named: task.type) else {
            print("trellis exec-shard: this trellis has no stage type '\(task.type)'", to: &standardError)
            throw ExitStatus(code: 1)
        }
        do { try ShardWorker.run(task, type: type, logDescriptor: 1) } catch {
            print("trellis exec-shard: \(error)", to: &standardError)
            throw ExitStatus(code: Int32((error as? StageError)?.exitStatus.map { $0 > 0 && $0 < 256 ? $0 : 1 } ?? 1))
        }
    }
}
