import Foundation
import Plots
import XCTest

/// The figures' ranges fit the data, every label is readable (>= 11 px) and every plot has axis labels.
final class PlotsTests: XCTestCase {
    /// Every `font-size="N"` in `svg`.
    func fontSizes(_ svg: String) -> [Int] {
        svg.components(separatedBy: "font-size=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    /// The y pixel coordinates of every polyline point.
    func polylineYs(_ svg: String) -> [Double] {
        svg.components(separatedBy: "points=\"").dropFirst().flatMap { chunk in
            chunk.prefix { $0 != "\"" }.split(separator: " ").compactMap { Double($0.split(separator: ",").last ?? "") }
        }
    }

    func testPerplexityAbove40IsNotClipped() {
        // The old pretraining plot clamped every value at 40: perplexities of 113-135 were drawn as a flat line.
        let ppl = [135.2, 128.0, 121.5, 117.3, 113.4]
        let plot = LinePlot(title: "held-out perplexity", xLabel: "step", yLabel: "perplexity",
                            series: [.init(name: "MLM", points: ppl.enumerated().map { .init(x: Double($0.offset * 100), y: $0.element) })])
        let svg = plot.render().svg
        let ys = polylineYs(svg)
        XCTAssertEqual(ys.count, 5)
        XCTAssertEqual(Set(ys).count, 5, "distinct values are drawn at distinct heights: \(ys)")
        XCTAssertEqual(ys, ys.sorted(), "falling perplexity is drawn falling (pixel y grows downwards)")
        XCTAssertTrue(svg.contains(">140</text>") && svg.contains(">110</text>"), "ticks bracket the data: \(svg)")
        XCTAssertFalse(svg.contains(">40</text>"))
        var scale = Scale(covering: ppl)
        scale.from = 300; scale.to = 0
        XCTAssertLessThanOrEqual(scale.lo, 113.4)
        XCTAssertGreaterThanOrEqual(scale.hi, 135.2)
    }

    func testLabelsAreReadableAndAxesNamed() {
        let plot = LinePlot(title: "accuracy against K", xLabel: "K", yLabel: "accuracy (%)",
                            series: [.init(name: "P&A", points: [.init(x: 16, y: 61.2, error: 2), .init(x: 32, y: 64.9, error: 1.5)])],
                            xScale: .log2)
        let svg = plot.render().svg
        let sizes = fontSizes(svg)
        XCTAssertFalse(sizes.isEmpty)
        XCTAssertGreaterThanOrEqual(sizes.min() ?? 0, 11, "every label at 11 px or more: \(sizes)")
        XCTAssertTrue(svg.contains(">K</text>") && svg.contains(">accuracy (%)</text>"), "both axes are labelled")
        XCTAssertTrue(svg.contains(">16</text>") && svg.contains(">32</text>"), "log2 ticks at powers of two")
        XCTAssertTrue(svg.contains(">P&amp;A</text>"), "legend names are escaped")
        for figure in [ConfusionMatrixPlot(counts: [[30, 10], [5, 35]], title: "confusion").render(),
                       TimelinePlot(bars: [.init(label: "a", start: 0, end: 1.5, color: "#3c8d5a", tooltip: "a")]).render(),
                       LayeredGraphPlot(nodes: [.init(title: "a", subtitle: "shell", fill: "#fff", dependencies: [])]).render()] {
            XCTAssertGreaterThanOrEqual(fontSizes(figure.svg).min() ?? 0, 11, figure.svg)
        }
    }

    func testLegendIsNotCutOff() {
        let long = "held-out GLM perplexity (half-window context)"
        let figure = LinePlot(title: "t", xLabel: "step", yLabel: "ppl",
                              series: [.init(name: long, points: [.init(x: 0, y: 1), .init(x: 1, y: 2)])]).render()
        // The legend entry starts right of the plot area; the figure must be wide enough for its whole text.
        guard let r = figure.svg.range(of: ">\(long)</text>") else { return XCTFail(figure.svg) }
        let before = figure.svg[..<r.lowerBound]
        let xAttr = before.components(separatedBy: "<text x=\"").last!.prefix { $0 != "\"" }
        let x = Double(xAttr) ?? .infinity
        XCTAssertLessThanOrEqual(x + Double(long.count) * 12 * 0.55, Double(figure.width), "legend fits: x=\(x) width=\(figure.width)")
    }

    func testScales() {
        XCTAssertEqual(Scale.niceStep(0.3), 0.5)
        XCTAssertEqual(Scale.niceStep(7), 10)
        XCTAssertEqual(Scale.niceStep(2), 2)
        let s = Scale(covering: [0.61, 0.74])
        XCTAssertEqual(s.ticks().first ?? -1, s.lo, accuracy: 1e-12)
        XCTAssertEqual(s.label(0.65), "0.65")
        let k = Scale(covering: [16, 128], kind: .log2)
        XCTAssertEqual(k.ticks(), [16, 32, 64, 128])
        // No data: finite ranges and a finite number of ticks, on both kinds of axis.
        for kind in [Scale.Kind.linear, .log2] {
            let empty = Scale(covering: [], kind: kind)
            XCTAssertTrue(empty.lo.isFinite && empty.hi.isFinite && empty.lo < empty.hi)
            XCTAssertFalse(empty.ticks().isEmpty)
            XCTAssertTrue(empty.map(empty.lo).isFinite)
        }
        XCTAssertFalse(LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [], xScale: .log2).render().svg.contains("nan"))
        // Spans a step cannot resolve end without looping forever.
        XCTAssertEqual(Scale(covering: [-1e308, 1e308]).ticks().count, 2)
        XCTAssertLessThanOrEqual(Scale(covering: [1e20, 1e20 + 16384]).ticks().count, 100)
        let flat = Scale(covering: [5, 5])
        XCTAssertLessThan(flat.lo, 5)
        XCTAssertGreaterThan(flat.hi, 5)
    }

    func testConfusionMatrixAndGraph() {
        let m = ConfusionMatrixPlot(counts: [[30, 10], [5, 35]], title: "confusion <2 runs>").render().svg
        for n in ["30", "10", "5", "35"] { XCTAssertTrue(m.contains(">\(n)</text>"), n) }
        XCTAssertTrue(m.contains("confusion &lt;2 runs&gt;") && m.contains(">predicted</text>") && m.contains(">true</text>"))
        let g = LayeredGraphPlot(nodes: [
            .init(title: "read", subtitle: "fasta.read", fill: "#fff", dependencies: []),
            .init(title: "embed", subtitle: "protein.embed", fill: "#fff", dependencies: [0]),
            .init(title: "stats", subtitle: "shell", fill: "#fff", dependencies: [0]),
            .init(title: "report", subtitle: "shell", fill: "#fff", dependencies: [1, 2]),
        ])
        XCTAssertEqual(g.layers(), [0, 1, 1, 2])
        let svg = g.render().svg
        XCTAssertEqual(svg.components(separatedBy: "<path d=\"M").count - 1, 8, "a curve and an arrow head per edge")
        XCTAssertTrue(svg.contains(">protein.embed</text>"))
    }

    /// A graph too wide for a report page (the K sweep: 6 columns of 200 px boxes, 12 boxes in a column) is
    /// drawn top to bottom within the width, each band wrapping; a narrow one stays left to right.
    func testWideGraphsFitTheWidth() {
        var nodes: [LayeredGraphPlot.Node] = []
        for k in [16, 32, 64, 128, 256, 512] {
            var previous: Int?
            for stage in ["graph", "finetune", "score", "prompt_only", "metrics_prompt_only", "summary"] {
                nodes.append(.init(title: "\(stage)[K=\(k)]", subtitle: "eval.metrics · done", fill: "#fff",
                                   dependencies: previous.map { [$0] } ?? []))
                previous = nodes.count - 1
            }
        }
        nodes.append(.init(title: "sweep", subtitle: "eval.sweep", fill: "#fff", dependencies: nodes.indices.filter { $0 % 6 == 5 }))
        let wide = LayeredGraphPlot(nodes: nodes)
        let before = LayeredGraphPlot(nodes: nodes).render(maxWidth: .infinity)
        XCTAssertGreaterThan(before.width, 1150, "left to right it is wider than the page")
        let fitted = wide.render(maxWidth: 1150)
        print("graph width left to right \(before.width) px, fitted \(fitted.width) × \(fitted.height) px")
        XCTAssertLessThanOrEqual(fitted.width, 1150)
        XCTAssertGreaterThan(fitted.height, before.height, "stacked top to bottom")
        XCTAssertEqual(fitted.svg.components(separatedBy: "<rect x=").count - 1, nodes.count, "every stage drawn")
        // No two boxes overlap.
        let boxes = fitted.svg.components(separatedBy: "<rect x=\"").dropFirst().map { part -> (Double, Double) in
            let x = Double(part.prefix { $0 != "\"" }) ?? -1
            let y = Double(part.components(separatedBy: "y=\"")[1].prefix { $0 != "\"" }) ?? -1
            return (x, y)
        }
        XCTAssertEqual(Set(boxes.map { "\($0.0),\($0.1)" }).count, nodes.count)
        let small = LayeredGraphPlot(nodes: Array(nodes.prefix(3)))
        XCTAssertEqual(small.render(maxWidth: 1150).svg, small.render(maxWidth: .infinity).svg, "a graph that fits is unchanged")
    }
}
