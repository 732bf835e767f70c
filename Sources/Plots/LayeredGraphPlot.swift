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

    /// The graph as SVG, at most `maxWidth` px wide where possible: left to right when the columns fit,
    /// otherwise top to bottom (one band of boxes per column, a band wrapping onto more lines when it
    /// holds more boxes than fit), so a report page never scrolls sideways.
    public func render(maxWidth: Double = 1240) -> Figure {
        let layer = layers(), row = rows(layer)
        // Box width from the longest label (bold titles take about 0.62 em per character).
        let widest = nodes.map { n -> Double in
            let title: Double = Double(n.title.count) * 12 * 0.62, subtitle: Double = Double(n.subtitle.count) * 11 * 0.55
            return max(title, subtitle)
        }.max() ?? 0
        let box = Box(width: max(110, min(280, 16 + widest)), height: 38)
        let columns = (layer.max() ?? 0) + 1
        if 20 + Double(columns) * (box.width + 34) - 34 <= maxWidth {
            return horizontal(layer: layer, row: row, box: box)
        }
        return vertical(layer: layer, row: row, box: box, maxWidth: maxWidth)
    }

    struct Box { var width: Double; var height: Double }

    /// Columns left to right; edges from a box's right side to its dependents' left side.
    func horizontal(layer: [Int], row: [Int], box: Box) -> Figure {
        let gapX = 34.0, gapY = 12.0
        let origins = nodes.indices.map { (10 + Double(layer[$0]) * (box.width + gapX), 10 + Double(row[$0]) * (box.height + gapY)) }
        let body = edges(origins, box: box, vertical: false) + boxes(origins, box: box)
        var filled: [Int: Int] = [:]
        for i in nodes.indices { filled[layer[i], default: 0] += 1 }
        let columns = (layer.max() ?? 0) + 1, rows = filled.values.max() ?? 0
        return Figure(width: Int(20 + Double(columns) * (box.width + gapX) - gapX),
                      height: Int(20 + Double(rows) * (box.height + gapY)), body: body)
    }

    /// Bands top to bottom, each band's boxes centred in lines of at most `maxWidth`; edges from a box's
    /// bottom to its dependents' top.
    func vertical(layer: [Int], row: [Int], box: Box, maxWidth: Double) -> Figure {
        let gapX = 14.0, lineGap = 10.0, bandGap = 30.0
        let perLine = max(1, Int((maxWidth - 20 + gapX) / (box.width + gapX)))
        let width = 20 + Double(perLine) * (box.width + gapX) - gapX
        var origins = [(Double, Double)](repeating: (0, 0), count: nodes.count)
        var y = 10.0
        for l in 0...(layer.max() ?? 0) {
            let members = nodes.indices.filter { layer[$0] == l }.sorted { row[$0] < row[$1] }
            let lines = (members.count + perLine - 1) / perLine
            for (k, i) in members.enumerated() {
                let line = k / perLine, inLine = min(perLine, members.count - line * perLine)
                let left = (width - (Double(inLine) * (box.width + gapX) - gapX)) / 2
                origins[i] = (left + Double(k % perLine) * (box.width + gapX), y + Double(line) * (box.height + lineGap))
            }
            y += Double(lines) * (box.height + lineGap) - lineGap + bandGap
        }
        let body = edges(origins, box: box, vertical: true) + boxes(origins, box: box)
        return Figure(width: Int(width), height: Int(y - bandGap + 10), body: body)
    }

    /// Curves from each dependency to its dependent, with an arrowhead.
    func edges(_ origins: [(Double, Double)], box: Box, vertical: Bool) -> String {
        var body = "<g fill=\"none\" stroke=\"#8a8a8a\" stroke-width=\"1.2\">"
        for (i, node) in nodes.enumerated() {
            let (x1, y1) = origins[i]
            for d in node.dependencies where d >= 0 && d < nodes.count {
                let (x0, y0) = origins[d]
                let p = SVG.n
                if vertical {
                    let sx = x0 + box.width / 2, sy = y0 + box.height, ex = x1 + box.width / 2, ey = y1, mid = (sy + ey) / 2
                    body += "<path d=\"M\(p(sx)),\(p(sy)) C\(p(sx)),\(p(mid)) \(p(ex)),\(p(mid)) \(p(ex)),\(p(ey - 4))\"/>"
                    body += "<path d=\"M\(p(ex - 4)),\(p(ey - 9)) L\(p(ex)),\(p(ey - 3)) L\(p(ex + 4)),\(p(ey - 9))\"/>"
                } else {
                    let sx = x0 + box.width, sy = y0 + box.height / 2, ex = x1, ey = y1 + box.height / 2, mid = (sx + ex) / 2
                    body += "<path d=\"M\(p(sx)),\(p(sy)) C\(p(mid)),\(p(sy)) \(p(mid)),\(p(ey)) \(p(ex - 4)),\(p(ey))\"/>"
                    body += "<path d=\"M\(p(ex - 9)),\(p(ey - 4)) L\(p(ex - 3)),\(p(ey)) L\(p(ex - 9)),\(p(ey + 4))\"/>"
                }
            }
        }
        return body + "</g>"
    }

    /// The boxes, drawn over the edges: title and subtitle.
    func boxes(_ origins: [(Double, Double)], box: Box) -> String {
        var body = ""
        for (i, node) in nodes.enumerated() {
            let (x, y) = origins[i]
            body += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(box.width))\" height=\"\(SVG.n(box.height))\" rx=\"6\" fill=\"\(node.fill)\" stroke=\"#666\"/>"
            body += SVG.text(node.title, x: x + 8, y: y + 16, size: 12, bold: true)
            body += SVG.text(node.subtitle, x: x + 8, y: y + 31, size: 11, fill: "#444")
        }
        return body
    }
}
