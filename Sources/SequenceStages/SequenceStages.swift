import PipelineEngine

/// The FASTA stages (`fasta.filter`, `fasta.split`, `fasta.sample`): sequence-file work that needs no
/// model, kept out of the engine (which knows no file format) and registered by the executable.
public enum SequenceStages {
    public static let all: [StageType] = [FastaFilterStage(), FastaSplitStage(), FastaSampleStage()]

    /// Adds every FASTA stage to `registry`.
    public static func register(in registry: StageRegistry) {
        for t in all { registry.register(t) }
    }
}

/// `fasta.filter` keeps or drops each record on its own, so it shards over its `input`.
extension FastaFilterStage: RecordMappingStage {
    func recordParameter(_ parameters: TypedParameters) -> String? { "input" }
}
