import Foundation

/// The stages the engine ships so it is useful without any app: shell commands, FASTA filtering,
/// splitting and sampling, and table summaries.
public enum GenericStages {
    public static let all: [StageType] = [ShellStage(), FastaFilterStage(), FastaSplitStage(), FastaSampleStage(), TableWriteStage()]

    /// Where a stage writes a FASTA output: the declared `output` path when given (published there),
    /// else an internal file in the work directory.
    static func fastaDestination(_ context: StageContext, name: String, internalFile: String) -> URL {
        if let path = context.parameters.string("output") { return context.publish(name, to: path) }
        return context.output(name, file: internalFile)
    }
}

/// SplitMix64: a small deterministic generator, so `seed` gives the same sample on every machine.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
