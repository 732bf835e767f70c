import Foundation

/// `shell` shards when it names a `records` file: each shard's command sees its part as `$TRELLIS_RECORDS`
/// and declared outputs gather by concatenation (keeping one header line for `.csv`/`.tsv` outputs).
extension ShellStage: RecordMappingStage {
    func recordParameter(_ parameters: TypedParameters) -> String? { parameters.string("records") == nil ? nil : "records" }

    func recordFormat(_ parameters: TypedParameters) -> RecordFormat {
        switch parameters.string("record_format") {
        case "lines": return .lines
        case "csv": return .headedLines
        default: return .fasta
        }
    }

    func gatherKind(output: String, _ parameters: TypedParameters) -> GatherKind {
        let path = parameters.mapping("outputs").first { $0.name == output }?.value ?? ""
        return path.hasSuffix(".csv") || path.hasSuffix(".tsv") ? .headedLines : .concatenate
    }
}
