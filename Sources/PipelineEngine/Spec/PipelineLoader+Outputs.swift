import Foundation

/// Plan-time rules for the files stages publish, so no run can lose data: every declared output lies inside
/// the project directory, no two stages publish the same file, and no stage overwrites a file that it or a
/// stage not downstream of it reads. Paths are compared absolute, normalised, with symbolic links of
/// existing directories resolved (`out/x`, `./out//x`, `a/../out/x` and `link-to-out/x` are one file).
extension PipelineLoader {
    func checkOutputs(_ stages: [PipelineStage], into d: inout [Diagnostic]) {
        let project = PathName.resolved(projectDirectory.path, against: "/")
        var cache: [String: String] = [:]
        func resolve(_ path: String) -> String {
            if let r = cache[path] { return r }
            let r = PathName.resolved(path, against: project)
            cache[path] = r
            return r
        }
        // Resolved output path -> (stage index, path as written).
        var writers: [String: (stage: Int, written: String)] = [:]
        var readers: [String: [Int]] = [:]
        for (i, stage) in stages.enumerated() {
            for p in stage.type.parameters {
                guard let raw = stage.raw[p.name] else { continue }
                if p.type.publishesOutputs {
                    for path in StageKeying.literalPaths(raw) {
                        let r = resolve(path)
                        if !PathName.isInside(r, project) || r == project {
                            d.append(Diagnostic(stage.location, "stage '\(stage.id)': output '\(p.name)' is \(path), outside the project "
                                                + "directory \(project); outputs must be written inside it"))
                            continue
                        }
                        if let other = writers[r] {
                            let a = stages[other.stage].id
                            d.append(Diagnostic(stage.location, other.stage == i
                                ? "stage '\(stage.id)' declares the output \(path) twice"
                                : "stages '\(a)' and '\(stage.id)' both publish \(display(r, project)) (as '\(other.written)' and '\(path)'); give each its own path"))
                            continue
                        }
                        writers[r] = (i, path)
                    }
                } else if p.type.digestsInputs || p.type == .model {
                    for path in StageKeying.literalPaths(raw) { readers[resolve(path), default: []].append(i) }
                }
            }
        }
        for (path, w) in writers.sorted(by: { $0.key < $1.key }) {
            for reader in Set(readers[path] ?? []).sorted() {
                let writer = stages[w.stage]
                if reader == w.stage {
                    d.append(Diagnostic(writer.location, "stage '\(writer.id)' would overwrite its own input \(w.written); write the output elsewhere"))
                } else if !Self.dependsOn(reader, w.stage, stages) {
                    d.append(Diagnostic(writer.location, "stage '\(writer.id)' would overwrite \(w.written), an input of stage '\(stages[reader].id)' "
                                        + "which does not depend on it; write the output elsewhere (or add 'needs: [\(writer.name)]' to '\(stages[reader].name)' if it reads the result)"))
                }
            }
        }
    }

    private func display(_ path: String, _ project: String) -> String {
        path.hasPrefix(project + "/") ? String(path.dropFirst(project.count + 1)) : path
    }

    /// Whether stage `a` depends on stage `b`, directly or through other stages.
    static func dependsOn(_ a: Int, _ b: Int, _ stages: [PipelineStage]) -> Bool {
        var seen = Set<Int>(), todo = stages[a].dependencies
        while let s = todo.popLast() {
            if s == b { return true }
            if seen.insert(s).inserted { todo.append(contentsOf: stages[s].dependencies) }
        }
        return false
    }
}
