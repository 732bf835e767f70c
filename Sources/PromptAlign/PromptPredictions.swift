import DataIO
import Foundation

/// The prompt model's label-word probabilities for the test articles, as read by `trellis align
/// --predictions` and written by the prompt scoring stage.
///
/// File format (CSV, header required): columns `p_real` and `p_fake` — the masked LM's probabilities of
/// the real and fake label words (`news`, `rumor`) at the mask, as the model gives them (they need not sum
/// to 1) — one row per test article in test-file order. An optional `index` column must count 0, 1, 2, …;
/// other columns (ids, text) are ignored.
public enum PromptPredictions {
    /// Reads the file; `expectedCount` (the number of test articles) is checked when given.
    public static func read(_ path: String, expectedCount: Int? = nil) throws -> [SIMD2<Float>] {
        let reader = try CSVReader(path: path, options: .csvWithHeader)
        guard let real = reader.index(of: "p_real") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "p_real")
        }
        guard let fake = reader.index(of: "p_fake") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "p_fake")
        }
        let index = reader.index(of: "index")
        var out: [SIMD2<Float>] = []
        while let row = try reader.next() {
            if let index, Int(row[index]) != out.count {
                throw PromptAlignError.malformedRow(file: path, line: row.line, column: index + 1,
                                                    expected: "index \(out.count)", found: excerpt(row[index]))
            }
            var pair = SIMD2<Float>()
            for (slot, column) in [real, fake].enumerated() {
                guard let v = Float(row[column].trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else {
                    throw PromptAlignError.malformedRow(file: path, line: row.line, column: column + 1,
                                                        expected: "a finite probability ≥ 0", found: excerpt(row[column]))
                }
                pair[slot] = v
            }
            out.append(pair)
        }
        if let expectedCount, out.count != expectedCount {
            throw PromptAlignError.mismatch(what: "\(path)", expected: "\(expectedCount) rows (one per test article)",
                                            found: "\(out.count) rows")
        }
        return out
    }

    /// Writes `probabilities` in the format `read` accepts (with an `index` column), atomically.
    public static func write(_ probabilities: [SIMD2<Float>], to path: String) throws {
        var text = "index,p_real,p_fake\n"
        for (i, p) in probabilities.enumerated() { text += "\(i),\(p.x),\(p.y)\n" }
        try AtomicFileWriter.write(Array(text.utf8), to: path)
    }
}
