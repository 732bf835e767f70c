import Foundation
import Tensors
import Transformers
import _TestSupport
import XCTest

/// Whole-model gradients, AdamW steps and a 200-step fine-tune against torch (Tests/Fixtures/training,
/// written by scripts/fixtures/training.py).
final class TrainingParityTests: XCTestCase {
    static let dir = TestSupport.fixtures.appendingPathComponent("training")

    /// A batch from HF-style tensors: ids/attention_mask/labels [B, T] (labels −100 = ignored), positions as
    /// `model`'s Hugging Face class derives them from the ids.
    static func batch(_ model: EncoderTrainingModel, ids: [Int32], attention: [Int32]?, labels: [Int32], b: Int, t: Int) -> TrainingBatch {
        var selected: [Int] = [], targets: [Int32] = []
        for (i, l) in labels.enumerated() where l != -100 { selected.append(i); targets.append(l) }
        let lengths = (0..<b).map { s in attention.map { a in (0..<t).filter { a[s * t + $0] != 0 }.count } ?? t }
        let positions = model.positionIds(ids, batch: b, length: t)
        return TrainingBatch(batch: b, length: t, ids: ids, positions: positions,
                             mask: TrainingMask(lengths: lengths, prefixes: [Int](repeating: t, count: b)),
                             selected: selected, targets: targets)
    }

    func checkGradients(_ name: String, file: String? = nil) throws {
        let ref = try SafetensorsFile(url: Self.dir.appendingPathComponent(file ?? "\(name)-grads.safetensors"))
        let model = try EncoderTrainingModel(directory: TestSupport.fixtures.appendingPathComponent("models/\(name)"))
        let shape = try ref.shape("input_ids")
        let ids = try ref.int64s("input_ids").map(Int32.init), att = try ref.int64s("attention_mask").map(Int32.init)
        let labels = try ref.int64s("labels").map(Int32.init)
        let b = Self.batch(model, ids: ids, attention: att, labels: labels, b: shape[0], t: shape[1])
        model.parameters.zeroGradients()
        let loss = model.trainStep(b)
        let torchLoss = Double(try ref.floats("loss")[0])
        print("\(name): loss \(loss) torch \(torchLoss)")
        XCTAssertEqual(loss, torchLoss, accuracy: 1e-5 * max(1, abs(torchLoss)))
        var worst = 0.0
        for e in model.parameters.entries {
            let key = "grad." + e.name
            guard ref.contains(key) else { XCTFail("no torch gradient for \(e.name)"); continue }
            let want = try ref.floats(key)
            let got = Array(UnsafeBufferPointer(start: model.parameters.gradients + e.offset, count: e.count))
            var num = 0.0, den = 0.0
            for i in 0..<e.count { let d = Double(got[i] - want[i]); num += d * d; den += Double(want[i]) * Double(want[i]) }
            // Key biases get no gradient in exact arithmetic (softmax ignores a per-row constant): torch's value is
            // rounding noise, so tiny reference gradients are compared absolutely.
            let rel = den > 1e-12 ? (num / den).squareRoot() : num.squareRoot()
            worst = max(worst, rel)
            if rel > 1e-5 { print(String(format: "  %@ rel %.2e", e.name, rel)) }
        }
        print("\(name): worst whole-model gradient relative error vs torch \(worst)")
        XCTAssertLessThan(worst, 1e-4)
    }

    func testBertGradientsMatchTorch() throws { try checkGradients("bert-tiny") }
    func testEsmGradientsMatchTorch() throws { try checkGradients("esm2-tiny") }
    /// RoBERTa with padding masked out (positions padding_idx + 1…, padding at padding_idx).
    func testRobertaGradientsMatchTorch() throws { try checkGradients("roberta-tiny") }
    /// RoBERTa with the padding attended (no attention mask, as in Prompt-and-Align's reference mode): the pad
    /// rows sit at position padding_idx, whose position-embedding row gets no gradient.
    func testRobertaAttendedPaddingGradientsMatchTorch() throws {
        try checkGradients("roberta-tiny", file: "roberta-tiny-attended-pad-grads.safetensors")
    }

    func testAdamWMatchesTorch() throws {
        let ref = try SafetensorsFile(url: Self.dir.appendingPathComponent("adamw.safetensors"))
        let ps = ParameterSet([("w", [6, 8], true), ("b", [8], false)])
        ps.value("w").update(from: try ref.floats("w0"), count: 48)
        ps.value("b").update(from: try ref.floats("b0"), count: 8)
        let opt = AdamW(count: ps.count, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1)
        var worst: Float = 0
        for s in 0..<3 {
            ps.gradient("w").update(from: try ref.floats("gw\(s)"), count: 48)
            ps.gradient("b").update(from: try ref.floats("gb\(s)"), count: 8)
            opt.update(ps, lr: 3e-3)
            worst = max(worst, TestSupport.maxAbsDiff(ps.array("w"), try ref.floats("w\(s + 1)"), label: "AdamW w step \(s + 1)"))
            worst = max(worst, TestSupport.maxAbsDiff(ps.array("b"), try ref.floats("b\(s + 1)"), label: "AdamW b step \(s + 1)"))
        }
        XCTAssertLessThan(worst, 1e-6)
    }

    func testFineTuneLossCurveMatchesTorch() throws {
        let ref = try SafetensorsFile(url: Self.dir.appendingPathComponent("finetune-bert.safetensors"))
        let model = try EncoderTrainingModel(directory: TestSupport.fixtures.appendingPathComponent("models/bert-tiny"))
        let shape = try ref.shape("input_ids")   // [steps, B, T]
        let ids = try ref.int64s("input_ids").map(Int32.init), labels = try ref.int64s("labels").map(Int32.init)
        let want = try ref.floats("loss")
        let steps = shape[0], per = shape[1] * shape[2]
        let opt = AdamW(count: model.parameters.count, weightDecay: 0.01)
        let schedule = LinearSchedule(peak: 1e-3, warmup: 20, total: steps)
        var worst = 0.0
        for s in 0..<steps {
            let b = Self.batch(model, ids: Array(ids[(s * per)..<((s + 1) * per)]), attention: nil,
                               labels: Array(labels[(s * per)..<((s + 1) * per)]), b: shape[1], t: shape[2])
            model.parameters.zeroGradients()
            let loss = model.trainStep(b)
            model.parameters.clipGradients(maxNorm: 1)
            opt.update(model.parameters, lr: schedule.lr(at: s))
            worst = max(worst, abs(loss - Double(want[s])))
            if s % 50 == 0 || s == steps - 1 { print("step \(s): loss \(loss) torch \(want[s])") }
        }
        print("fine-tune: max |loss − torch loss| over \(steps) steps = \(worst)")
        XCTAssertLessThan(worst, 1e-3)
    }
}
