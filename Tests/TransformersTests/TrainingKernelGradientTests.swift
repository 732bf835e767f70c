import Foundation
import Tensors
import Transformers
import XCTest

/// Each layer's backward against central finite differences of L = Σ r ⊙ forward(x) (r random), tiny shapes.
/// Kernels run in F32; the step h = 1e-2 keeps F32 rounding well below the 1e-3 bound for these smooth layers.
final class TrainingKernelGradientTests: XCTestCase {
    var rng = SeededRandom(seed: 42)
    func random(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * scale } }

    /// Relative error ‖analytic − numeric‖ / ‖numeric‖ of d(Σ r·f(x))/dx; prints and returns it.
    @discardableResult
    func check(_ name: String, _ x: [Float], outputs: Int, forward: ([Float]) -> [Float],
               backward: ([Float], [Float]) -> [Float]) -> Double {
        let r = random(outputs)
        let analytic = backward(x, r)
        var num = 0.0, den = 0.0
        var xx = x
        for i in 0..<x.count {
            let h: Float = 1e-2
            xx[i] = x[i] + h
            let lp = zip(forward(xx), r).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            xx[i] = x[i] - h
            let lm = zip(forward(xx), r).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            xx[i] = x[i]
            let fd = (lp - lm) / (2 * Double(h))
            num += (fd - Double(analytic[i])) * (fd - Double(analytic[i]))
            den += fd * fd
        }
        let rel = (num / max(den, 1e-30)).squareRoot()
        print(String(format: "%-28@ relative error %.2e", name as NSString, rel))
        XCTAssertLessThan(rel, 1e-3, name)
        return rel
    }

    func testLinear() {
        let (n, i, o) = (3, 5, 4)
        let w = random(o * i), bias = random(o)
        check("linear dx", random(n * i), outputs: n * o, forward: { x in
            var y = [Float](repeating: 0, count: n * o)
            TrainingKernels.linearForward(&y, x, w, bias, rows: n, inFeatures: i, outFeatures: o)
            return y
        }, backward: { x, dy in
            var dx = [Float](repeating: 0, count: n * i), dw = [Float](repeating: 0, count: o * i)
            TrainingKernels.linearBackward(dx: &dx, dw: &dw, dbias: nil, dy: dy, x: x, w: w, rows: n, inFeatures: i, outFeatures: o)
            return dx
        })
        let x = random(n * i)
        check("linear dW", w, outputs: n * o, forward: { w in
            var y = [Float](repeating: 0, count: n * o)
            TrainingKernels.linearForward(&y, x, w, bias, rows: n, inFeatures: i, outFeatures: o)
            return y
        }, backward: { w, dy in
            var dw = [Float](repeating: 0, count: o * i)
            TrainingKernels.linearBackward(dx: nil, dw: &dw, dbias: nil, dy: dy, x: x, w: w, rows: n, inFeatures: i, outFeatures: o)
            return dw
        })
    }

    func testLayerNorm() {
        let (n, c) = (3, 6)
        let g = random(c), b = random(c)
        func fwd(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n * c), m = [Float](repeating: 0, count: n), s = m
            TrainingKernels.layerNormForward(&y, mean: &m, rstd: &s, x, weight: g, bias: b, rows: n, channels: c, eps: 1e-5)
            return y
        }
        check("layernorm dx", random(n * c), outputs: n * c, forward: fwd, backward: { x, dy in
            var y = [Float](repeating: 0, count: n * c), m = [Float](repeating: 0, count: n), s = m
            TrainingKernels.layerNormForward(&y, mean: &m, rstd: &s, x, weight: g, bias: b, rows: n, channels: c, eps: 1e-5)
            var dx = [Float](repeating: 0, count: n * c), dg = [Float](repeating: 0, count: c), db = dg
            TrainingKernels.layerNormBackward(dx: &dx, dweight: &dg, dbias: &db, dy: dy, x: x, weight: g, mean: m, rstd: s,
                                              rows: n, channels: c)
            return dx
        })
    }

    func testGeluAndGeGLU() {
        check("gelu", random(10, scale: 3), outputs: 10, forward: { x in
            var y = [Float](repeating: 0, count: 10); TrainingKernels.geluForward(&y, x, count: 10); return y
        }, backward: { x, dy in
            var dx = [Float](repeating: 0, count: 10); TrainingKernels.geluBackward(dx: &dx, dy: dy, x: x, count: 10); return dx
        })
        let (n, f) = (2, 5)
        check("geglu", random(n * 2 * f, scale: 2), outputs: n * f, forward: { u in
            var y = [Float](repeating: 0, count: n * f); TrainingKernels.gegluForward(&y, u, rows: n, halfWidth: f); return y
        }, backward: { u, dy in
            var du = [Float](repeating: 0, count: n * 2 * f)
            TrainingKernels.gegluBackward(du: &du, dy: dy, u: u, rows: n, halfWidth: f); return du
        })
    }

    func testEmbedding() {
        let ids: [Int32] = [2, 0, 2, 1]
        check("embedding dtable", random(3 * 4), outputs: 4 * 4, forward: { t in
            var y = [Float](repeating: 0, count: 16); TrainingKernels.embeddingForward(&y, ids: ids, table: t, rows: 4, dim: 4); return y
        }, backward: { _, dy in
            var dt = [Float](repeating: 0, count: 12); TrainingKernels.embeddingBackward(dtable: &dt, dy: dy, ids: ids, rows: 4, dim: 4)
            return dt
        })
    }

    func testRotary1DAnd2D() {
        let (rows, heads, d) = (3, 2, 8)
        let pos: [Int32] = [0, 3, 7], blk: [Int32] = [0, 1, 2]
        for twoD in [false, true] {
            func apply(_ x: [Float], inverse: Bool) -> [Float] {
                var y = x
                if twoD {
                    TrainingKernels.rotary(&y, rows: rows, rowStride: heads * d, heads: heads, headStride: d, offset: 0, dim: d / 2,
                                           positions: pos, inverse: inverse)
                    TrainingKernels.rotary(&y, rows: rows, rowStride: heads * d, heads: heads, headStride: d, offset: d / 2,
                                           dim: d / 2, positions: blk, inverse: inverse)
                } else {
                    TrainingKernels.rotary(&y, rows: rows, rowStride: heads * d, heads: heads, headStride: d, offset: 0, dim: d,
                                           positions: pos, inverse: inverse)
                }
                return y
            }
            check(twoD ? "rotary 2-D" : "rotary 1-D", random(rows * heads * d), outputs: rows * heads * d,
                  forward: { apply($0, inverse: false) }, backward: { _, dy in apply(dy, inverse: true) })
        }
    }

    func testAttentionAllMasks() {
        let (b, t, heads, d) = (3, 5, 2, 4)
        // Row 0: MLM with 2 padding keys; row 1: GLM prefix 2; row 2: causal.
        let mask = TrainingMask(lengths: [3, 5, 5], prefixes: [5, 2, 0])
        for interleaved in [true, false] {
            let att = AttentionTraining(batch: b, length: t, heads: heads, headDim: d, interleaved: interleaved)
            let width = 3 * heads * d
            func fwd(_ qkv: [Float]) -> [Float] {
                var ctx = [Float](repeating: 0, count: b * t * heads * d), p = [Float](repeating: 0, count: att.probabilityCount)
                att.forward(context: &ctx, probs: &p, qkv: qkv, mask: mask)
                return ctx
            }
            let qkv = random(b * t * width)
            var ref = [Float](repeating: 0, count: b * t * heads * d)
            att.referenceForward(context: &ref, qkv: qkv, mask: mask)
            let diff = TestSupport_maxDiff(fwd(qkv), ref)
            print("attention forward vs scalar reference (interleaved \(interleaved)): max abs diff \(diff)")
            XCTAssertLessThan(diff, 1e-5)
            check("attention (\(interleaved ? "[q|k|v] per head" : "q…|k…|v…"))", qkv, outputs: b * t * heads * d, forward: fwd,
                  backward: { qkv, dctx in
                var ctx = [Float](repeating: 0, count: b * t * heads * d), p = [Float](repeating: 0, count: att.probabilityCount)
                att.forward(context: &ctx, probs: &p, qkv: qkv, mask: mask)
                var dqkv = [Float](repeating: 0, count: b * t * width), s = [Float](repeating: 0, count: heads * t * t)
                att.backward(dqkv: &dqkv, dcontext: dctx, qkv: qkv, probs: p, scratch: &s)
                return dqkv
            })
        }
    }

    func testCrossEntropyOverSelectedRows() {
        let (rows, v) = (3, 7)
        let targets: [Int32] = [1, 6, 0]
        let loss = CrossEntropy.loss(targets: targets)
        check("cross-entropy", random(rows * v, scale: 2), outputs: 1, forward: { z in
            var d = [Float](repeating: 0, count: rows * v)
            return [Float(loss(z, rows, v, &d))]
        }, backward: { z, r in
            var d = [Float](repeating: 0, count: rows * v)
            _ = loss(z, rows, v, &d)
            return d.map { $0 * r[0] }
        })
    }
}

func TestSupport_maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
