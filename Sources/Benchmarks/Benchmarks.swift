import Foundation
import CLISupport

/// One `trellis bench NAME` program: it prints Trellis' figure next to a reference measured in the same run.
public struct Benchmark {
    /// The word after `trellis bench`.
    public let name: String
    /// One line for `trellis bench --help`.
    public let summary: String
    /// `trellis bench NAME --help`.
    public let usage: String
    /// Reads the benchmark's own options from `args` and runs it.
    public let run: (inout Arguments) throws -> Void

    init(_ name: String, _ summary: String, usage: String? = nil, _ run: @escaping (inout Arguments) throws -> Void) {
        self.name = name
        self.summary = summary
        self.usage = usage ?? "USAGE: trellis bench \(name) [--json] [options]\n\n\(summary)"
        self.run = run
    }

    /// Every benchmark, in `trellis bench --help` order.
    public static let all: [Benchmark] = [
        Benchmark("model", ModelBench.summary, usage: ModelBench.usage, ModelBench.run),
        Benchmark(AttentionBench.name, AttentionBench.summary, usage: Self.usage("attention", AttentionBench.summary, """
              --shapes B,L,H,D;...  shapes to time (default: ESM-2 layouts up to L = 1022)
              --reps N              best of N (default 3)
              --threads N           worker threads (default: all cores)
              --no-reference        skip torch SDPA / eager
            """), AttentionBench.run),
        Benchmark(GemmBench.name, GemmBench.summary, usage: GemmBench.usage, GemmBench.run),
        Benchmark(KernelsBench.name, KernelsBench.summary, usage: Self.usage("kernels", KernelsBench.summary, ""), KernelsBench.run),
        Benchmark("tokenize", TokenizeBench.summary, usage: TokenizeBench.usage, TokenizeBench.run),
        Benchmark("safetensors", SafetensorsBench.summary, usage: Self.usage("safetensors", SafetensorsBench.summary, """
              --file PATH           the checkpoint (default ../shared/models/all-MiniLM-L6-v2/model.safetensors)
              --repeat N            opens timed (default 50; reads: N/10)
              --python PATH         interpreter with the safetensors package (default $TRELLIS_PYTHON, python3)
            """), SafetensorsBench.run),
        Benchmark("fasta", FASTABench.summary, usage: Self.usage("fasta", FASTABench.summary, """
              --file PATH           FASTA to replicate (default ../shared/data/proteins/proteome-938293.faa)
              --copies N            copies concatenated into the timed file (default 50)
              --runs N              best of N (default 3)
              --fresh               rewrite the timed files even when present
              --tmp DIR             where the timed files go
              --python PATH         interpreter of the reference (default $TRELLIS_PYTHON, python3)
              --script PATH         the reference reader (default scripts/bench/fasta_read.py)
            """), FASTABench.run),
        Benchmark("engine", EngineBench.summary, usage: Self.usage("engine", EngineBench.summary, """
              --plan-stages N       stages of the planned DAG (default 100000)
              --stages N            trivial stages run (default 1000)
              --jobs N              stages at once (default 2)
              --no-snakemake        skip the Snakemake reference
            """), EngineBench.run),
        Benchmark("news-graph", NewsGraphBench.summary, usage: Self.usage("news-graph", NewsGraphBench.summary, """
              --articles N          synthetic articles (default 100000)
              --engagements N       engagement records (default 10000000)
              --users N             users (default 7000000)
              --min-user-records N  activity threshold (default 5)
              --repeat N            best of N (default 3)
              --no-reference        skip scipy.sparse
            """), NewsGraphBench.run),
        Benchmark("embed", EmbedBench.summary, usage: EmbedBench.usage, EmbedBench.run),
        Benchmark("train", TrainBench.summary, usage: Self.usage("train", TrainBench.summary, """
              --steps N             timed steps, best of N (default 5)
              --threads N           worker threads (default: all cores)
              --python PATH         interpreter with torch (default $TRELLIS_PYTHON, python3)
              --no-reference        skip torch
              --model NAME          bert-small (default) or pglm-tiny (the protein pretraining step on real
                                    batches, wall and CPU-time tok/s; timed steps are summed, not best-of)
              --fasta PATH          pglm-tiny's corpus (default data/proteins/pglm-corpus/train.faa.zst)
              --tokens-per-batch N  pglm-tiny's padded tokens per batch (default 2048)
              --profile             pglm-tiny: time per operation class
              --layers N --hidden N pglm-tiny's shape (default 5 × 128; heads of 32, GeGLU 3·hidden; torch only
                                    at the default)
            """), TrainBench.run),
    ]

    /// A benchmark's `--help`: usage line, summary, its own options, then `--json`.
    static func usage(_ name: String, _ summary: String, _ options: String) -> String {
        "USAGE: trellis bench \(name) [options]\n\n\(summary)\n\nOPTIONS:\n" + (options.isEmpty ? "" : options + "\n")
            + "  --json                one JSON object per line on stdout (the header goes to stderr)"
    }

    /// The benchmark called `name`; an unknown name lists the benchmarks and names the closest.
    public static func named(_ name: String) throws -> Benchmark {
        guard let bench = all.first(where: { $0.name == name }) else {
            throw ArgumentError.unknownChoice("benchmark", name, all.map { $0.name })
        }
        return bench
    }
}
