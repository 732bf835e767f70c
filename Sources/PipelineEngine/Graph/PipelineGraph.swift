/// Graph algorithms over stage dependencies: ordering, cycle paths, and drawings.
public enum PipelineGraph {
    /// Kahn's algorithm, ties broken by spec order; on a cycle, throws with the cycle's path.
    static func topologicalOrder(_ stages: [PipelineStage]) throws -> [Int] {
        let n = stages.count
        var indegree = [Int](repeating: 0, count: n)
        var dependents = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            indegree[i] = stages[i].dependencies.count
            for j in stages[i].dependencies { dependents[j].append(i) }
        }
        var order: [Int] = []
        order.reserveCapacity(n)
        var queue = (0..<n).filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let i = queue[head]; head += 1
            order.append(i)
            for k in dependents[i] {
                indegree[k] -= 1
                if indegree[k] == 0 { queue.append(k) }
            }
        }
        if order.count == n { return order }
        let path = cyclePath(stages, among: Set((0..<n).filter { indegree[$0] > 0 }))
        let first = stages[path[0]]
        throw PipelineError.spec(first.location, "cycle in stage dependencies: " + path.map { stages[$0].id }.joined(separator: " -> "))
    }

    /// A cycle among `remaining` (stages Kahn could not order), as a path whose first and last stage coincide,
    /// starting at the cycle's stage that comes first in the spec.
    static func cyclePath(_ stages: [PipelineStage], among remaining: Set<Int>) -> [Int] {
        // Walk dependency edges from any remaining node until a node repeats: that closes a cycle.
        var position: [Int: Int] = [:]
        var walk: [Int] = []
        var node = remaining.min()!
        while position[node] == nil {
            position[node] = walk.count
            walk.append(node)
            node = stages[node].dependencies.first { remaining.contains($0) }!
        }
        // The cycle follows dependency edges (stage -> what it waits for); print it in run order instead.
        var cycle = Array(walk[position[node]!...]).reversed().map { $0 }
        let start = cycle.indices.min { cycle[$0] < cycle[$1] }!
        cycle = Array(cycle[start...] + cycle[..<start])
        return cycle + [cycle[0]]
    }

    /// Graphviz `dot` text; edges point from a stage to the stages that wait for it.
    public static func dot(_ p: Pipeline) -> String {
        var out = "digraph \"\(p.name)\" {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
        for s in p.stages {
            out += "  \"\(s.id)\" [label=\"\(s.id)\\n\(s.type.name)\"];\n"
        }
        for s in p.stages {
            for j in s.dependencies { out += "  \"\(p.stages[j].id)\" -> \"\(s.id)\";\n" }
        }
        return out + "}\n"
    }

    /// Mermaid `flowchart` text (renders in GitHub Markdown).
    public static func mermaid(_ p: Pipeline) -> String {
        // Node ids hold letters, digits and '_' only (ids of matrix instances have brackets); a clash gets
        // the stage's index appended.
        var nodeIDs: [String] = []
        var used = Set<String>()
        for (i, s) in p.stages.enumerated() {
            var n = "s_" + String(s.id.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            if !used.insert(n).inserted { n += "_\(i)"; used.insert(n) }
            nodeIDs.append(n)
        }
        var out = "flowchart LR\n"
        for (i, s) in p.stages.enumerated() { out += "  \(nodeIDs[i])[\"\(s.id)<br/><small>\(s.type.name)</small>\"]\n" }
        for (i, s) in p.stages.enumerated() {
            for j in s.dependencies { out += "  \(nodeIDs[j]) --> \(nodeIDs[i])\n" }
        }
        return out
    }
}
