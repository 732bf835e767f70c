import Foundation
import PipelineEngine
import CLISupport

/// `trellis clean [SPEC...]`: frees the work directory of results no current spec uses.
enum CleanCommand: Command {
    static let name = "clean"
    static let summary = "remove cached results that no current spec references"
    static let usage = """
    USAGE: trellis clean [SPEC...] [--work-dir DIR] [--dry-run]

    Keeps the latest result of every stage of the given specs (default: every spec run from this work
    directory that still exists) and removes older results, stages no longer in a spec, shard directories no current stage uses, Slurm
    run directories but the newest, and scratch space.
    Files published at declared paths (e.g. out/x.tsv) are never removed. Run logs stay in <work-dir>/runs.

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis clean --dry-run
      trellis clean pipelines/protein-embed.yaml pipelines/fakenews-prompt-align.yaml
    """

    static let schema = PipelineOptions.schema([
        ParameterSpec("dry_run", .bool, default: .bool(false), doc: "list what would be removed"),
    ])

    static func run(_ args: inout Arguments) throws {
        let values = try schema.read(&args)
        var specs = try args.positionals()
        try args.finish()
        let p = try schema.typed(values)
        let common = PipelineOptions(p)
        let dryRun = p.bool("dry_run") == true
        if specs.isEmpty { specs = Cleaner.knownSpecs(workDirectory: common.workDirectory) }
        let pipelines = try specs.map { try common.load($0) }
        let report: Cleaner.Report
        do {
            report = try Cleaner.clean(workDirectory: common.workDirectory, keeping: pipelines, dryRun: dryRun,
                                       projectDirectory: common.projectDirectory)
        } catch let e as PipelineError {
            print("trellis clean: \(e)", to: &standardError)
            throw ExitStatus(code: 1)
        }
        for r in report.removed { print((dryRun ? "would remove " : "removed ") + r) }
        print(String(format: "%@%d items, %.1f MB (kept the latest results of %d spec%@)", dryRun ? "would free " : "freed ",
                     report.removed.count, Double(report.bytes) / 1e6, pipelines.count, pipelines.count == 1 ? "" : "s"))
    }
}
