import Foundation
import Plots

/// The training curve as one SVG: training loss against step beside the held-out MLM / CLM / GLM
/// perplexities against step (separate axes: loss in nats and perplexities differ by two orders of magnitude).
public enum PretrainPlot {
    /// The figure of `log` (the records of `train-log.jsonl`: `step`, `loss`, `eval_*_ppl`).
    public static func svg(log: [[String: Any]]) -> String {
        func series(_ key: String, _ name: String) -> LinePlot.Series {
            LinePlot.Series(name: name, points: log.compactMap { r in
                guard let step = r["step"] as? Int, let v = r[key] as? Double, v.isFinite else { return nil }
                return LinePlot.Point(x: Double(step), y: v)
            })
        }
        let loss = LinePlot(title: "training loss", xLabel: "step", yLabel: "loss (nats)",
                            series: [series("loss", "train loss")])
        let ppl = LinePlot(title: "held-out perplexity", xLabel: "step", yLabel: "perplexity",
                           series: [series("eval_mlm_ppl", "MLM"), series("eval_clm_ppl", "CLM"),
                                    series("eval_glm_ppl", "GLM (half-window context)")].filter { !$0.points.isEmpty })
        return Figure.row([loss.render(), ppl.render()]).svg
    }
}
