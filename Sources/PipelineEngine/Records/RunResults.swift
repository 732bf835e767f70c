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
        /// Nothing depends on this stage: its outputs are the pipeline's end results.
        public var main: Bool
    }
    public var stages: [Stage] = []

    /// Results of `records` (indexed like `pipeline.stages`, nil for stages that did not finish).
    public init(pipeline: Pipeline, records: [StageRecord?], workDirectory: URL, projectDirectory: URL) {
        let upstream = Set(pipeline.stages.flatMap(\.dependencies))
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
            if !scalars.isEmpty || !files.isEmpty { stages.append(Stage(id: stage.id, scalars: scalars, files: files, main: !upstream.contains(i))) }
        }
    }

    /// The longest directory all `paths` are in, nil when they share none.
    static func commonDirectory(_ paths: [String]) -> String? {
        var common = paths.first.map { PathName.parent($0).split(separator: "/", omittingEmptySubsequences: false) } ?? []
        for p in paths.dropFirst() {
            let parts = PathName.parent(p).split(separator: "/", omittingEmptySubsequences: false)
            common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
        }
        let joined = common.joined(separator: "/")
        return joined.isEmpty || joined == "." ? nil : joined
    }

    /// `0.6125` for a fraction, `80` for a count; other text as it is.
    public static func format(_ value: String) -> String {
        guard let d = Double(value), d.isFinite, value.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return value }
        return String(format: "%.4g", d)
    }

    /// The end-of-run summary: one line per stage with scalars, then the published files; past `maxFiles`
    /// only those of the stages nothing depends on, and where the rest are.
    public func text(maxFiles: Int = 10) -> String {
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
            let shown = files.count <= maxFiles ? files : Array(stages.filter(\.main).flatMap(\.files).prefix(maxFiles))
            for f in shown { out += "  \(f)\n" }
            let rest = files.filter { !shown.contains($0) }
            if !rest.isEmpty {
                let under = Self.commonDirectory(rest).map { " under \($0)/" } ?? ""
                out += "  … and \(rest.count) more\(under) (listed in the report)\n"
            }
        }
        return out
    }
}
