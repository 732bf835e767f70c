import Foundation
import Plots

/// The learning curve of a masked-LM adaptation run as one SVG: held-out top-1 / top-10 accuracy against
/// step beside held-out and training loss (nats) against step, each on its own labelled axis.
enum MLMCurve {
    static func svg(log: [[String: Any]], title: String) -> String {
        func series(_ key: String, _ name: String) -> LinePlot.Series {
            LinePlot.Series(name: name, points: log.compactMap { r in
                guard let step = r["step"] as? Int, let v = r[key] as? Double, v.isFinite else { return nil }
                return LinePlot.Point(x: Double(step), y: v)
            })
        }
        let accuracy = LinePlot(title: title + ": held-out accuracy", xLabel: "step", yLabel: "accuracy",
                                series: [series("eval_top1", "held-out top-1"), series("eval_top10", "held-out top-10")])
        let loss = LinePlot(title: title + ": loss", xLabel: "step", yLabel: "loss (nats)",
                            series: [series("eval_loss", "held-out loss"), series("loss", "train loss")])
        return Figure.row([accuracy.render(), loss.render()]).svg
    }
}
