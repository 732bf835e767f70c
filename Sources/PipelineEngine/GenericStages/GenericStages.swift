import Foundation

/// The stages the engine ships so it is useful without any app: shell commands, FASTA filtering,
/// splitting and sampling, and table summaries.
public enum GenericStages {
    public static let all: [StageType] = [ShellStage(), TableWriteStage()]
}
