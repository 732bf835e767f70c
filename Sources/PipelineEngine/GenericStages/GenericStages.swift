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
