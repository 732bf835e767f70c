import Foundation
import PipelineEngine
import CLISupport

/// `trellis bench engine`: planning a 100,000-stage DAG, per-stage overhead of 1,000 trivial stages, and
/// Snakemake running the same trivial DAG in the same run (scripts/bench/snakemake_bench.sh).
enum EngineBench {
    static let summary = "plan a 100k-stage DAG; run 1,000 trivial stages next to Snakemake"

    static func run(_ args: inout Arguments) throws {
        let planStages = try args.option("plan-stages", default: 100_000)
        let n = try args.option("stages", default: 1000)
        let jobs = try args.option("jobs", default: 2)
        let skipSnakemake = args.flag("no-snakemake")
        let json = args.flag("json")
        try args.finish()
        // --json: one object on stdout at the end, with every figure; the text lines are not printed.
        var record: [String: Any] = ["bench": "engine", "stages": n, "jobs": jobs, "plan_stages": planStages]
        func say(_ line: String) { if !json { print(line) } }
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("trellis-bench-engine-\(getpid())")
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: root) }
        BenchHeader.print("engine", json: json)

        // Three rounds (the machine is shared, so the best round is the least disturbed); memory from the first.
        var plans: [EngineBenchmark.PlanResult] = []
        for round in 0..<3 {
            plans.append(try EngineBenchmark.planLarge(stages: planStages, workDirectory: root.appendingPathComponent("plan\(round)")))
        }
        let totals = plans.map { $0.parseAndValidateSeconds + $0.planSeconds }
        let best = plans[totals.indices.min { totals[$0] < totals[$1] }!]
        let planTotal = totals.min()!
        say(String(format: "plan %d stages (best of 3): parse+validate %.3f s, plan %.3f s, total %.3f s (rounds: %@) (acceptance < 2 s: %@)",
                     best.stages, best.parseAndValidateSeconds, best.planSeconds, planTotal,
                     totals.map { String(format: "%.2f", $0) }.joined(separator: ", "), planTotal < 2 ? "PASS" : "FAIL"))
        say(String(format: "plan memory: peak RSS %.0f MB after the first round (%.0f MB before; %.2f KB/stage)",
                     plans[0].peakRSSAfterMB, plans[0].peakRSSBeforeMB, (plans[0].peakRSSAfterMB - plans[0].peakRSSBeforeMB) * 1024 / Double(planStages)))

        let noop = try EngineBenchmark.runTrivial(stages: n, shell: false, jobs: jobs, directory: root.appendingPathComponent("noop"))
        say(String(format: "run %d in-process noop stages (--jobs %d): %.3f s = %.3f ms/stage (acceptance < 5 ms: %@); cached rerun %.3f ms/stage",
                     n, jobs, noop.fresh, 1000 * noop.fresh / Double(n), 1000 * noop.fresh / Double(n) < 5 ? "PASS" : "FAIL",
                     1000 * noop.cached / Double(n)))
        let one = try EngineBenchmark.runTrivial(stages: 1, shell: true, jobs: jobs, directory: root.appendingPathComponent("shell1"))
        let shell = try EngineBenchmark.runTrivial(stages: n, shell: true, jobs: jobs, directory: root.appendingPathComponent("shell"))
        let perStage = 1000 * shell.fresh / Double(n)
        let marginal = 1000 * (shell.fresh - one.fresh) / Double(n - 1)
        let floor = try EngineBenchmark.spawnFloor(stages: n, jobs: jobs, directory: root.appendingPathComponent("floor"))
        let floorPerStage = 1000 * floor / Double(n)
        let overhead = perStage - floorPerStage
        say(String(format: "run %d shell stages `echo i > out/i.txt` (--jobs %d): %.3f s = %.3f ms/stage (marginal %.3f ms); cached rerun %.3f ms/stage",
                     n, jobs, shell.fresh, perStage, marginal, 1000 * shell.cached / Double(n)))
        say(String(format: "floor: the same %d bash commands spawned directly on %d threads: %.3f s = %.3f ms each; engine overhead per shell stage %.3f ms (acceptance < 5 ms: %@)",
                     n, jobs, floor, floorPerStage, overhead, overhead < 5 ? "PASS" : "FAIL"))

        record["plan_seconds"] = planTotal
        record["plan_peak_rss_mb"] = plans[0].peakRSSAfterMB
        record["noop_ms_per_stage"] = 1000 * noop.fresh / Double(n)
        record["noop_cached_ms_per_stage"] = 1000 * noop.cached / Double(n)
        record["shell_ms_per_stage"] = perStage
        record["shell_marginal_ms"] = marginal
        record["shell_cached_ms_per_stage"] = 1000 * shell.cached / Double(n)
        record["spawn_floor_ms_per_stage"] = floorPerStage
        defer { if json, let line = try? BenchJSON.line(record) { print(line) } }

        guard !skipSnakemake else { return }
        guard let script = ReferenceScript("snakemake_bench.sh"), fm.isExecutableFile(atPath: script.script.path) else {
            say("snakemake: skipped (run from the repository root so scripts/bench/snakemake_bench.sh is found)")
            return
        }
        // The script sets up its own venv and says so on stderr: that progress is worth seeing.
        let r = try ReferenceScript.launch(script.command + [String(n), String(jobs)], stderr: true)
        guard r.status == 0, let result = r.jsonLines.last,
              let sn = result["seconds_n"] as? Double, let s1 = result["seconds_1"] as? Double
        else {
            say("snakemake: skipped (the reference script failed; is python3 with venv and PyPI access available?)")
            return
        }
        let smPerStage = 1000 * sn / Double(n), smMarginal = 1000 * (sn - s1) / Double(n - 1)
        record["snakemake"] = result["snakemake"] as? String ?? "?"
        record["snakemake_ms_per_stage"] = smPerStage
        record["snakemake_marginal_ms"] = smMarginal
        say(String(format: "snakemake %@, same %d-job DAG (--cores %d): %.3f s = %.3f ms/job (marginal %.3f ms)",
                   result["snakemake"] as? String ?? "?", n, jobs, sn, smPerStage, smMarginal))
        say(String(format: "ratio snakemake/trellis per stage: %.1fx overall, %.1fx marginal (acceptance >= 10x: %@)",
                   smPerStage / perStage, smMarginal / marginal, smPerStage / perStage >= 10 ? "PASS" : "FAIL"))
    }
}
