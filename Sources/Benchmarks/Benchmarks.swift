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
        Benchmark(AttentionBench.name, AttentionBench.summary, AttentionBench.run),
        Benchmark(GemmBench.name, GemmBench.summary, usage: GemmBench.usage, GemmBench.run),
        Benchmark(KernelsBench.name, KernelsBench.summary, KernelsBench.run),
        Benchmark("tokenize", TokenizeBench.summary, usage: TokenizeBench.usage, TokenizeBench.run),
        Benchmark("safetensors", SafetensorsBench.summary, SafetensorsBench.run),
        Benchmark("fasta", FASTABench.summary, FASTABench.run),
        Benchmark("engine", EngineBench.summary, EngineBench.run),
        Benchmark("news-graph", NewsGraphBench.summary, NewsGraphBench.run),
        Benchmark("embed", EmbedBench.summary, usage: EmbedBench.usage, EmbedBench.run),
        Benchmark("train", TrainBench.summary, TrainBench.run),
    ]

    /// The benchmark called `name`; an unknown name lists the benchmarks and names the closest.
    public static func named(_ name: String) throws -> Benchmark {
        guard let bench = all.first(where: { $0.name == name }) else {
            throw ArgumentError.unknownChoice("benchmark", name, all.map { $0.name })
        }
        return bench
    }
}
