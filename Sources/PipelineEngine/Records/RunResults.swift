import Foundation

/// What a run produced, for the screen and the report: each finished stage's scalar outputs (accuracy,
/// macro_f1, counts, … as the stage recorded them) and the files it published, in spec order.
public struct RunResults: Sendable {
    public struct Stage: Sendable {
        public var id: String
        /// Text outputs that are not empty, by output name.
        public var scalars: [(name: String, value: String)]
        /// Published files as the record names them (relative to the project, or absolute); objects kept in
        /// the work directory are not listed.
        public var files: [String]
    }
    public var stages: [Stage] = []

    /// Results of `records` (indexed like `pipeline.stages`, nil for stages that did not finish).
    public init(pipeline: Pipeline, records: [StageRecord?], workDirectory: URL, projectDirectory: URL) {
        let objects = workDirectory.appendingPathComponent("objects").standardizedFileURL.path + "/"
        for (i, stage) in pipeline.stages.enumerated() {
            guard i < records.count, let record = records[i] else { continue }
            var scalars: [(String, String)] = [], files: [String] = []
            for name in record.outputs.keys.sorted() {
                switch record.outputs[name] {
                case .text(let t)?:
                    if !t.isEmpty { scalars.append((name, t)) }
                case .path(let p)?: files.append(p)
                case .paths(let ps)?: files += ps
                case nil: break
                }
            }
            files = files.filter { p in
                let url = p.hasPrefix("/") ? URL(fileURLWithPath: p) : projectDirectory.appendingPathComponent(p)
                return !url.standardizedFileURL.path.hasPrefix(objects)
            }
            if !scalars.isEmpty || !files.isEmpty { stages.append(Stage(id: stage.id, scalars: scalars, files: files)) }
        }
    }

    /// `0.6125` for a fraction, `80` for a count; other text as it is.
    public static func format(_ value: String) -> String {
        guard let d = Double(value), d.isFinite, value.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return value }
        return String(format: "%.4g", d)
    }

    /// The end-of-run summary: one line per stage with scalars, then the published files (at most
    /// `maxFiles`, the rest counted).
    public func text(maxFiles: Int = 20) -> String {
        var out = ""
        let withScalars = stages.filter { !$0.scalars.isEmpty }
        if !withScalars.isEmpty {
            let width = min(40, withScalars.map(\.id.count).max() ?? 0)
            out += "results:\n"
            for s in withScalars {
                out += "  " + s.id.padding(toLength: max(width, s.id.count), withPad: " ", startingAt: 0) + "  "
                    + s.scalars.map { "\($0.name) \(Self.format($0.value))" }.joined(separator: ", ") + "\n"
            }
        }
        let files = stages.flatMap(\.files)
        if !files.isEmpty {
            out += "published:\n"
            for f in files.prefix(maxFiles) { out += "  \(f)\n" }
            if files.count > maxFiles { out += "  … and \(files.count - maxFiles) more (listed in the report)\n" }
        }
        return out
    }
}
