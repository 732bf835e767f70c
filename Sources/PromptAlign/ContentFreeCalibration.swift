import Foundation

/// Contextual calibration of the label-word probabilities (Zhao et al., ICML 2021, "Calibrate before use").
/// NOT part of Prompt-and-Align: an explicit, off-by-default deviation. A masked LM adapted on news text
/// prefers the word `news` at the mask whatever the article says, and the authors' 3 fine-tuning steps do
/// not undo that prior, so the prompt predicts one class for every article. Dividing each article's
/// probabilities by the model's probabilities for a prompt with no content removes that shared prior and
/// keeps what the article adds. The prior is either that of content-free prompts (Zhao et al.) or the mean
/// over unlabelled in-domain articles (the K training articles: a prior of the domain's typical article).
public enum ContentFreeCalibration {
    /// Texts standing for "no article": the prompt is the template around each of them.
    public static let contentFreeTexts = ["N/A", ""]

    /// The mean label-word probabilities under `scorer` of the prompts around `texts` (the content-free ones
    /// by default; or in-domain articles, whose labels are never read): the prior at the mask.
    public static func prior(_ scorer: PromptScorer, texts: [String] = contentFreeTexts) throws -> SIMD2<Float> {
        let p = try scorer.probabilities(try scorer.encoder.encode(texts))
        return p.reduce(SIMD2<Float>(), +) / Float(max(1, p.count))
    }

    /// q_k ∝ p_k / c_k for every article: the probabilities re-weighted by the inverse prior `c`, scaled so
    /// that q_0 + q_1 = p_0 + p_1. Keeping each article's label-word mass keeps the scale the alignment sees
    /// (in `reference` mode these are tiny vocabulary-softmax values, and the K train labels would be
    /// drowned if every test row summed to 1). Throws when `c` has a zero or non-finite entry.
    public static func apply(_ probabilities: [SIMD2<Float>], prior c: SIMD2<Float>, source: String) throws -> [SIMD2<Float>] {
        guard c.x > 0, c.y > 0, c.x.isFinite, c.y.isFinite else {
            throw PromptAlignError.malformedRow(file: source, line: 2, column: 2, expected: "two finite probabilities > 0",
                                                found: "\(c.x), \(c.y)")
        }
        return probabilities.map { p in
            // In log space: the ratio of two tiny vocabulary-softmax probabilities would underflow.
            let a = logf(max(p.x, .leastNormalMagnitude)) - logf(c.x), b = logf(max(p.y, .leastNormalMagnitude)) - logf(c.y)
            let m = max(a, b), ea = expf(a - m), eb = expf(b - m), mass = p.x + p.y
            return SIMD2(ea / (ea + eb), eb / (ea + eb)) * mass
        }
    }

    /// The naive form of `apply` (direct division, then normalisation), kept beside it for the test.
    public static func applyNaive(_ probabilities: [SIMD2<Float>], prior c: SIMD2<Float>) -> [SIMD2<Float>] {
        probabilities.map { p in
            let a = Double(p.x) / Double(c.x), b = Double(p.y) / Double(c.y), mass = Double(p.x) + Double(p.y)
            return SIMD2(Float(a / (a + b) * mass), Float(b / (a + b) * mass))
        }
    }
}
