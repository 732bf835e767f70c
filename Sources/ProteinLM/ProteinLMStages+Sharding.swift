import Foundation
import PipelineEngine

/// `protein.embed` maps over FASTA records: shards embed contiguous parts of the FASTA, and the gather
/// joins their .safetensors files in shard order (and input order within each), checking that no label
/// appears twice across shards.
extension ProteinEmbedStage: RecordMappingStage {
    func recordParameter(_ parameters: TypedParameters) -> String? { "fasta" }

    func gather(output: String, shards: [URL], to destination: URL, _ parameters: TypedParameters) throws {
        if output == ProteinLMStages.profileOutput.name { return try ProteinLMStages.gatherProfiles(shards, to: destination) }
        let settings = try shards.first.map { try EmbeddingIndex(file: .init(url: $0)).settings } ?? [:]
        _ = try EmbeddingAssembler.assemble(shards.enumerated().map { ($0.element, $0.offset) }, to: destination, settings: settings)
    }
}

/// `protein.score` maps over the FASTA records (sequence scores) or over the rows of the mutation CSV
/// (variant scores, every shard reading the one wild type); CSV outputs gather keeping one header.
extension ProteinScoreStage: RecordMappingStage {
    func recordParameter(_ parameters: TypedParameters) -> String? {
        parameters.string("mutations") == nil ? "fasta" : "mutations"
    }

    func recordFormat(_ parameters: TypedParameters) -> RecordFormat {
        parameters.string("mutations") == nil ? .fasta : .headedLines
    }

    func gatherKind(output: String, _ parameters: TypedParameters) -> GatherKind { .headedLines }

    func gather(output: String, shards: [URL], to destination: URL, _ parameters: TypedParameters) throws {
        if output == ProteinLMStages.profileOutput.name { return try ProteinLMStages.gatherProfiles(shards, to: destination) }
        try RecordSplitter.concatenate(shards, to: destination, skipHeader: true)
    }

    /// ρ cannot be pooled from per-shard correlations: a sharded run leaves it empty (compute it from the CSV).
    func gatherText(output: String, shards: [String], _ parameters: TypedParameters) throws -> String {
        if output == "spearman" { return "" }
        let numbers = shards.compactMap { Int($0) }
        return numbers.count == shards.count ? String(numbers.reduce(0, +)) : (shards.first ?? "")
    }
}
