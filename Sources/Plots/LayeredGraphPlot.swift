import Foundation

/// A directed acyclic graph drawn left to right: each node in the column of its longest path from a source,
/// edges as curves from a node's right side to its dependents' left side.
public struct LayeredGraphPlot: Sendable {
    public struct Node: Sendable {
        public var title: String
        public var subtitle: String
        public var fill: String
        /// Indices of the nodes this one depends on (edges point from them to this node).
        public var dependencies: [Int]
        public init(title: String, subtitle: String, fill: String, dependencies: [Int]) {
            self.title = title; self.subtitle = subtitle; self.fill = fill; self.dependencies = dependencies
        }
    }
    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    /// Column of each node: 0 for nodes without dependencies, else one more than its deepest dependency.
    /// Dependencies must come before their dependents or form no cycle; a cycle is cut where met.
    public func layers() -> [Int] {
        var layer = [Int?](repeating: nil, count: nodes.count)
        var visiting = Set<Int>()
        func depth(_ i: Int) -> Int {
            if let l = layer[i] { return l }
            guard visiting.insert(i).inserted else { return 0 }
            let l = nodes[i].dependencies.filter { $0 >= 0 && $0 < nodes.count }.map { depth($0) + 1 }.max() ?? 0
            layer[i] = l
            return l
        }
        return nodes.indices.map { depth($0) }
    }

    /// Row of each node within its column: the first column in input order, each later one sorted by the
    /// mean row of a node's dependencies (fewer crossing edges), ties in input order.
    func rows(_ layer: [Int]) -> [Int] {
        var row = [Int](repeating: 0, count: nodes.count)
        for l in 0...(layer.max() ?? 0) {
            let members = nodes.indices.filter { layer[$0] == l }
            func weight(_ i: Int) -> Double {
                let deps = nodes[i].dependencies.filter { $0 >= 0 && $0 < nodes.count && layer[$0] < l }
                return deps.isEmpty ? Double(i) : deps.map { Double(row[$0]) }.reduce(0, +) / Double(deps.count)
            }
            let ordered = l == 0 ? members : members.sorted { (weight($0), $0) < (weight($1), $1) }
            for (r, i) in ordered.enumerated() { row[i] = r }
        }
        return row
    }

    public func render() -> Figure {
        let layer = layers()
        // Box width from the longest label (bold titles take about 0.62 em per character).
        let widest = nodes.map { n -> Double in
            let title: Double = Double(n.title.count) * 12 * 0.62, subtitle: Double = Double(n.subtitle.count) * 11 * 0.55
            return max(title, subtitle)
        }.max() ?? 0
        let boxW = max(110, min(280, 16 + widest))
        let boxH = 38.0, gapX = 34.0, gapY = 12.0
        let row = rows(layer)
        var filled: [Int: Int] = [:]
        for i in nodes.indices { filled[layer[i], default: 0] += 1 }
        func origin(_ i: Int) -> (Double, Double) {
            (10 + Double(layer[i]) * (boxW + gapX), 10 + Double(row[i]) * (boxH + gapY))
        }
        var body = "<g fill=\"none\" stroke=\"#8a8a8a\" stroke-width=\"1.2\">"
        for (i, node) in nodes.enumerated() {
            let (x1, y1) = origin(i)
            for d in node.dependencies where d >= 0 && d < nodes.count {
                let (x0, y0) = origin(d)
                let sx = x0 + boxW, sy = y0 + boxH / 2, ex = x1, ey = y1 + boxH / 2, mid = (sx + ex) / 2
                body += "<path d=\"M\(SVG.n(sx)),\(SVG.n(sy)) C\(SVG.n(mid)),\(SVG.n(sy)) \(SVG.n(mid)),\(SVG.n(ey)) \(SVG.n(ex - 4)),\(SVG.n(ey))\"/>"
                body += "<path d=\"M\(SVG.n(ex - 9)),\(SVG.n(ey - 4)) L\(SVG.n(ex - 3)),\(SVG.n(ey)) L\(SVG.n(ex - 9)),\(SVG.n(ey + 4))\"/>"
            }
        }
        body += "</g>"
        for (i, node) in nodes.enumerated() {
            let (x, y) = origin(i)
            body += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(boxW))\" height=\"\(SVG.n(boxH))\" rx=\"6\" fill=\"\(node.fill)\" stroke=\"#666\"/>"
            body += SVG.text(node.title, x: x + 8, y: y + 16, size: 12, bold: true)
            body += SVG.text(node.subtitle, x: x + 8, y: y + 31, size: 11, fill: "#444")
        }
        let columns = (layer.max() ?? 0) + 1, rows = filled.values.max() ?? 0
        return Figure(width: Int(20 + Double(columns) * (boxW + gapX) - gapX), height: Int(20 + Double(rows) * (boxH + gapY)), body: body)
    }
}
