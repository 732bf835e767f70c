import Foundation

/// Mixture-of-experts MLP of xTrimoPGLM (`moe: true`): `num_experts` GLU MLPs (`dense_h_to_4h_{e}`,
/// `dense_4h_to_h_{e}`) and a bias-free `router` Linear. Per token, the `experts_per_token` largest router
/// logits are softmaxed among themselves and weight the outputs of the experts they name.
final class PGLMExperts {
    let router: Linear
    let up: [Linear]
    let down: [Linear]
    let perToken: Int

    init(_ w: WeightLoader, names n: PGLMNames, config c: PGLMConfiguration) {
        let e = c.numExperts ?? 0
        router = w.linear(n.router, out: e, in: c.hiddenSize, bias: false)
        up = (0..<e).map { w.linear(n.up(expert: $0), out: 2 * c.ffnHiddenSize, in: c.hiddenSize, bias: c.addBiasLinear) }
        down = (0..<e).map { w.linear(n.down(expert: $0), out: c.hiddenSize, in: c.ffnHiddenSize, bias: c.addBiasLinear) }
        perToken = c.expertsPerToken ?? 0
    }

    /// Per token: the chosen experts (largest logit first, lower index on ties) and their softmax weights.
    static func route(_ logits: UnsafePointer<Float>, experts e: Int, k: Int) -> [(expert: Int, weight: Float)] {
        let order = (0..<e).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(max(0, k))
        guard let first = order.first else { return [] }
        let top = logits[first]
        let exps = order.map { expf(logits[$0] - top) }
        let sum = exps.reduce(0, +)
        return zip(order, exps).map { ($0, $1 / sum) }
    }

    /// x [n, H] → out [n, H]: each expert runs once on the rows routed to it (gathered contiguously).
    func callAsFunction(_ x: UnsafeMutablePointer<Float>, rows n: Int, glu: GatedActivation, scratch s: PGLMScratch,
                        out: UnsafeMutablePointer<Float>) {
        let h = router.inFeatures, e = up.count, f = down[0].inFeatures
        let logits = FloatBuffer(n * e)                                         // [n, E]
        router(x, rows: n, out: logits.pointer)
        var routed = [[(row: Int, weight: Float)]](repeating: [], count: e)
        for t in 0..<n {
            for (expert, weight) in Self.route(logits.pointer + t * e, experts: e, k: perToken) {
                routed[expert].append((t, weight))
            }
        }
        out.update(repeating: 0, count: n * h)
        let gathered = FloatBuffer(n * h), result = FloatBuffer(n * h)          // [m, H], m ≤ n
        for (expert, rows) in routed.enumerated() where !rows.isEmpty {
            let m = rows.count
            for (i, r) in rows.enumerated() { (gathered.pointer + i * h).update(from: x + r.row * h, count: h) }
            up[expert](gathered.pointer, rows: m, out: s.up.pointer)            // [m, 2F]
            glu.apply(s.up.pointer, rows: m, halfWidth: f, out: s.gated.pointer) // [m, F]
            down[expert](s.gated.pointer, rows: m, out: result.pointer)         // [m, H]
            for (i, r) in rows.enumerated() {
                let o = out + r.row * h, y = result.pointer + i * h
                for j in 0..<h { o[j] += r.weight * y[j] }
            }
        }
    }
}

extension PGLMForLM {
    /// The experts a token with router `logits` uses and their weights (MoE configurations; for tests and tools).
    public static func expertRoute(_ logits: [Float], k: Int) -> [(expert: Int, weight: Float)] {
        logits.withUnsafeBufferPointer { PGLMExperts.route($0.baseAddress!, experts: logits.count, k: k) }
    }
}
