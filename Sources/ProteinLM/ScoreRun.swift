import DataIO
import Foundation
import Tensors

/// What a scoring run produced.
public struct ScoreReport: Sendable {
    public var method: ScoreMethod
    /// Rows written (sequences or variants).
    public var rows = 0
    /// Spearman ρ between scores and `DMS_score` (when that column exists).
    public var spearman: Double?
    /// Pairs used for ρ (rows with a numeric DMS_score).
    public var spearmanPairs = 0
    /// PLL or LL of the wild type (variant runs with pll / clm).
    public var wildTypeScore: Double?
}

/// `protein.score`: whole-sequence scores of every FASTA record, or scores of the variants in a
/// ProteinGym-style CSV (`mutant` like `A23G:C45T`, or `mutated_sequence`) against the FASTA's one wild type.
public enum ScoreRun {
    /// CSV output with `\n` line ends (what pandas writes and reads by default).
    static var csv: CSVOptions { var o = CSVOptions.csv; o.lineTerminator = "\n"; return o }

    /// The method used when none is given: clm for causal xTrimoPGLM checkpoints, else masked-marginals for
    /// variants and pll for sequences.
    public static func defaultMethod(model: ProteinModel, variants: Bool) -> ScoreMethod {
        model.isCausal ? .clm : (variants ? .maskedMarginals : .pll)
    }

    /// Writes `label,length,<score>,<perplexity>` per record (pll/pseudo_perplexity or log_likelihood/perplexity).
    public static func scoreSequences(model: ProteinModel, fasta: String, policy: ResiduePolicy, method: ScoreMethod,
                                      output: URL, tokensPerBatch: Int = 4096,
                                      progress: ((Int) -> Void)? = nil) throws -> ScoreReport {
        let scorer = Scorer(model: model, tokensPerBatch: tokensPerBatch)
        let names = method == .clm ? ["log_likelihood", "perplexity"] : ["pll", "pseudo_perplexity"]
        let writer = try CSVWriter(path: output.path, options: csv, header: ["label", "length"] + names)
        var report = ScoreReport(method: method)
        do {
            let reader = try ProteinReader(path: fasta, policy: policy)
            let limit = method == .clm ? model.maxResiduesCLM : model.maxResiduesMLM
            while let p = try Profiler.time(.io, { try reader.next() }) {
                guard p.residues.count <= limit else {
                    throw ProteinLMError.tooLong(file: fasta, record: p.label, length: p.residues.count, limit: limit)
                }
                let s = try scorer.sequenceScores(p.residues, method: method)
                try Profiler.time(.io) { try writer.write([p.label, String(p.residues.count), "\(s.total)", "\(s.perplexity)"]) }
                report.rows += 1
                progress?(report.rows)
            }
            try writer.finish()
        } catch { writer.cancel(); throw error }
        return report
    }

    /// Scores each row of `mutations`; the output repeats the input columns and adds `score`.
    public static func scoreVariants(model: ProteinModel, fasta: String, mutations: String, policy: ResiduePolicy,
                                     method: ScoreMethod, output: URL, tokensPerBatch: Int = 4096,
                                     progress: ((Int) -> Void)? = nil) throws -> ScoreReport {
        let proteins = try ProteinReader.readAll(path: fasta, policy: policy)
        guard proteins.count == 1 else {
            throw ProteinLMError.badOption(name: "fasta", detail: "\(fasta): a mutation CSV needs exactly one wild-type record, found \(proteins.count)")
        }
        let wt = proteins[0].residues
        let limit = method == .clm ? model.maxResiduesCLM : model.maxResiduesMLM
        guard wt.count <= limit else {
            throw ProteinLMError.tooLong(file: fasta, record: proteins[0].label, length: wt.count, limit: limit)
        }
        let reader = try CSVReader(path: mutations, options: .csvWithHeader)
        guard let header = reader.header else { throw ProteinLMError.missingColumn(file: mutations, expected: "'mutant' or 'mutated_sequence'") }
        let mutantColumn = reader.index(of: "mutant"), sequenceColumn = reader.index(of: "mutated_sequence")
        let dmsColumn = reader.index(of: "DMS_score")
        guard mutantColumn != nil || sequenceColumn != nil else {
            throw ProteinLMError.missingColumn(file: mutations, expected: "'mutant' (like A23G or A23G:C45T) or 'mutated_sequence'")
        }
        let scorer = try VariantScorer(scorer: Scorer(model: model, tokensPerBatch: tokensPerBatch), method: method, wildType: wt)
        var report = ScoreReport(method: method)
        if method == .pll || method == .clm { report.wildTypeScore = scorer.wildTypeScore }
        let writer = try CSVWriter(path: output.path, options: csv, header: header + ["score"])
        var scores: [Double] = [], truth: [Double] = []
        do {
            while let row = try reader.next() {
                var variant: Variant
                if let c = mutantColumn, c < row.count, !row[c].isEmpty {
                    variant = try Variant.parse(row[c], wildType: wt, file: mutations, line: row.line)
                    if let s = sequenceColumn, s < row.count, !row[s].isEmpty {
                        let given = try policy.residues(of: FASTARecord(id: "row", sequence: row[s], line: row.line), file: mutations)
                        if given != variant.sequence {
                            throw ProteinLMError.badMutation(file: mutations, line: row.line,
                                detail: "mutated_sequence does not equal the wild type with '\(row[c])' applied")
                        }
                    }
                } else if let s = sequenceColumn, s < row.count, !row[s].isEmpty {
                    let seq = try policy.residues(of: FASTARecord(id: "line \(row.line)", sequence: row[s], line: row.line), file: mutations)
                    variant = Variant.fromSequence(seq, wildType: wt, name: nil, line: row.line)
                } else {
                    throw ProteinLMError.badMutation(file: mutations, line: row.line, detail: "row has neither a mutant nor a mutated_sequence")
                }
                let score = try scorer.score(variant, file: mutations)
                try Profiler.time(.io) { try writer.write(row.fields + ["\(score)"]) }
                report.rows += 1
                if let d = dmsColumn, d < row.count {
                    scores.append(score)
                    truth.append(Double(row[d].trimmingCharacters(in: .whitespaces)) ?? .nan)
                }
                progress?(report.rows)
            }
            try writer.finish()
        } catch { writer.cancel(); throw error }
        if dmsColumn != nil {
            report.spearman = Spearman.correlation(scores, truth)
            report.spearmanPairs = truth.filter { !$0.isNaN }.count
        }
        return report
    }
}
