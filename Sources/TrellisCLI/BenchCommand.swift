import Foundation

/// `trellis bench <what>`: benchmarks that print their figure next to a reference measured in the same run.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "run a benchmark (gemm, …) and print it next to its reference"
    static let usage = """
    USAGE: trellis bench <benchmark> [--json] [options]

    BENCHMARKS:
    \(benchmarks.map { "  \($0.name)  \($0.summary)" }.joined(separator: "\n"))
    """

    /// Registered benchmarks; each module's bench adds itself here.
    static let benchmarks: [(name: String, summary: String, run: (inout Arguments) throws -> Void)] = [
        ("model", ModelBench.summary, ModelBench.run),
        (AttentionBench.name, AttentionBench.summary, AttentionBench.run),
        (GemmBench.name, GemmBench.summary, GemmBench.run),
        (KernelsBench.name, KernelsBench.summary, KernelsBench.run),
        ("tokenize", TokenizeBench.summary, TokenizeBench.run),
        ("safetensors", SafetensorsBench.summary, SafetensorsBench.run),
        ("fasta", FASTABench.summary, FASTABench.run),
        ("engine", EngineBench.summary, EngineBench.run),
        ("news-graph", NewsGraphBench.summary, NewsGraphBench.run),
        ("embed", EmbedBench.summary, EmbedBench.run),
        ("train", TrainBench.summary, TrainBench.run),
    ]

    static func run(_ args: inout Arguments) throws {
        // Only the benchmark's name is taken here: its options are read by the benchmark itself.
        guard let which = args.subcommand() else { print(usage); throw ExitStatus(code: 2) }
        guard let bench = benchmarks.first(where: { $0.name == which }) else {
            throw ArgumentError.badValue("benchmark", which)
        }
        try bench.run(&args)
    }
}
