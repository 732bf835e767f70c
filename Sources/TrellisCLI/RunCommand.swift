import Foundation
import PipelineEngine
import CLISupport

/// `trellis run SPEC`: runs what is not cached, in parallel within --jobs.
enum RunCommand: Command {
    static let name = "run"
    static let summary = "run a pipeline spec, reusing every stage whose inputs did not change"
    static let usage = """
    USAGE: trellis run SPEC [-p key=value]... [--jobs N] [--keep-going] [--work-dir DIR] [--deep] [--quiet]
                       [--shards N] [--executor local|slurm] [--profile FILE] [--poll-interval S]

    Runs the stages of SPEC that are not cached, independent stages in parallel. A stage counts as done only
    once its record is committed, so an interrupted run resumes where it stopped. Writes a trace
    (trace.jsonl) and an HTML report per run under <work-dir>/runs/.

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis run pipelines/protein-embed.yaml
      trellis run pipelines/fakenews-prompt-align-sweep.yaml -p runs=2 --jobs 2 --keep-going
    """

    static let schema = PipelineOptions.schema([
        ParameterSpec("jobs", .int, doc: "stages running at once (default: number of CPUs); on Slurm, tasks queued or running at once (default 100)"),
        ParameterSpec("keep_going", .bool, default: .bool(false), doc: "after a failure keep running stages that do not depend on it"),
        ParameterSpec("quiet", .bool, default: .bool(false), doc: "print only failures and the summary"),
    ] + ClusterOptions.parameters) { p in
        (p.int("jobs").map { $0 < 1 } == true ? [("jobs", "must be at least 1")] : []) + ClusterOptions.check(p)
    }

    static func run(_ args: inout Arguments) throws {
        let (spec, p) = try specArgument(&args, schema: schema)
        let common = PipelineOptions(p)
        var options = RunOptions(workDirectory: common.workDirectory, projectDirectory: common.projectDirectory)
        options.jobs = p.int("jobs") ?? options.jobs
        options.keepGoing = p.bool("keep_going") == true
        options.deep = common.deep
        options.progress = p.bool("quiet") == true ? .quiet : .automatic()
        options.invocation = RunInvocation(commandLine: CommandLine.arguments, version: trellisVersion)
        let cluster = try ClusterOptions(p)
        let pipeline = try common.load(spec)
        let slurm = cluster.apply(to: &options, pipeline: pipeline, jobs: p.int("jobs"))
        if let slurm {
            print("\(pipeline.name): stages go to Slurm as jobs named \(slurm.options.runID)", to: &standardError)
        }
        InterruptHandler.install(slurm: slurm, workDirectory: options.workDirectory)
        let summary: RunSummary
        do {
            summary = try PipelineRunner(pipeline: pipeline, options: options).run()
            InterruptHandler.waitIfInterrupted()
        } catch let e as PipelineError {
            print("trellis run: \(e)", to: &standardError)
            throw ExitStatus(code: 1)
        }
        for f in summary.failures {
            var text = "\n==> stage '\(f.stage)' failed: \(f.error)\n"
            // The tail only: a failed stage's log can be gigabytes; the path leads to the rest.
            if let tail = LogTail.read(f.log.path) {
                let shown = WorkDirectory.display(f.log, relativeTo: common.projectDirectory)
                text += "--- log \(shown)" + (tail.truncated ? " (last lines; the whole log is in that file)" : "") + " ---\n" + tail.text
                text += "--- end of log ---\n"
            }
            print(text, terminator: "", to: &standardError)
        }
        // The run's results on stdout (the files and figures are in the report), the status on stderr.
        print(summary.results.text(), terminator: "")
        let counts = ["done", "cached", "failed", "skipped", "cancelled"]
            .map { (summary.count($0), $0) }.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        let run = WorkDirectory.display(summary.runDirectory, relativeTo: common.projectDirectory)
        print("\(pipeline.name): " + counts.joined(separator: ", ") + " · trace \(run)/trace.jsonl · report \(run)/report.html",
              to: &standardError)
        if !summary.failures.isEmpty || !summary.succeeded { throw ExitStatus(code: 1) }
    }
}

/// `trellis plan SPEC`: the dry run.
enum PlanCommand: Command {
    static let name = "plan"
    static let summary = "show which stages would run and why (a dry run)"
    static let usage = """
    USAGE: trellis plan SPEC [-p key=value]... [--work-dir DIR] [--deep]

    Prints, per stage, whether `trellis run` would run it or reuse its cached result, and why: new,
    parameter changed, input changed, model changed, code version changed, upstream changed, output missing.

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis plan pipelines/fakenews-prompt-align.yaml -p k=32
    """

    static let schema = PipelineOptions.schema()

    static func run(_ args: inout Arguments) throws {
        let (spec, p) = try specArgument(&args, schema: schema)
        let common = PipelineOptions(p)
        let pipeline = try common.load(spec)
        do {
            let entries = try Planner.plan(pipeline, workDirectory: common.workDirectory,
                                           projectDirectory: common.projectDirectory, deep: common.deep)
            print(Planner.format(entries), terminator: "")
            // A run would fail on a literal input that does not exist: say so now, not after the upstream work.
            let missing = entries.flatMap { e in e.missing.map { "stage '\(e.stage)': input \($0) does not exist" } }
            if !missing.isEmpty {
                for line in missing { print("trellis plan: \(line)", to: &standardError) }
                throw ExitStatus(code: 1)
            }
        } catch let e as PipelineError {
            print("trellis plan: \(e)", to: &standardError)
            throw ExitStatus(code: 1)
        }
    }
}

/// `trellis graph SPEC --format dot|mermaid`.
enum GraphCommand: Command {
    static let name = "graph"
    static let summary = "print a pipeline's stage graph as Graphviz dot or Mermaid"
    static let usage = """
    USAGE: trellis graph SPEC [--format dot|mermaid] [-p key=value]...

    Edges point from a stage to the stages that use it (explicit `needs` and `${stages...}` references).

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis graph pipelines/fakenews-prompt-align.yaml --format dot | dot -Tsvg > graph.svg
    """

    static let schema = PipelineOptions.schema([
        ParameterSpec("format", .choice(["dot", "mermaid"]), default: .string("dot"), doc: "Graphviz dot or Mermaid flowchart text"),
    ])

    static func run(_ args: inout Arguments) throws {
        let (spec, p) = try specArgument(&args, schema: schema)
        let common = PipelineOptions(p)
        let format = p.string("format") ?? "dot"
        let pipeline = try common.load(spec)
        print(format == "dot" ? PipelineGraph.dot(pipeline) : PipelineGraph.mermaid(pipeline), terminator: "")
    }
}
