import Foundation
import PromptAlign
import XCTest
import _TestSupport

/// The off-by-default contextual calibration (`align.propagate` calibrate: content_free).
final class ContentFreeCalibrationTests: XCTestCase {
    /// The log-space form against direct division, over probabilities down to 1e-30 (vocabulary-softmax values).
    func testMatchesNaiveDivision() throws {
        var rng = SystemRandomNumberGenerator()
        let p: [SIMD2<Float>] = (0..<200).map { _ in
            SIMD2(powf(10, Float.random(in: -30 ... -0.1, using: &rng)), powf(10, Float.random(in: -30 ... -0.1, using: &rng)))
        }
        let c = SIMD2<Float>(0.051, 0.0071)
        let fast = try ContentFreeCalibration.apply(p, prior: c, source: "prior.csv")
        let naive = ContentFreeCalibration.applyNaive(p, prior: c)
        let diff = TestSupport.maxAbsDiff(fast.flatMap { [$0.x, $0.y] }, naive.flatMap { [$0.x, $0.y] }, label: "calibrated vs naive")
        XCTAssertLessThan(diff, 1e-5)
    }

    /// A prior shared by every article is removed: p = c ⊙ r gives q ∝ r, with each article's mass p_0 + p_1 kept,
    /// so a prompt that said "real" for every article because c favours the real word now follows r.
    func testSharedPriorIsRemovedAndMassKept() throws {
        let c = SIMD2<Float>(0.05, 0.007)
        let r: [SIMD2<Float>] = [SIMD2(0.3, 0.7), SIMD2(0.6, 0.4), SIMD2(0.45, 0.55)]
        let p = r.map { $0 * c }
        XCTAssertEqual(p.filter { $0.y > $0.x }.count, 0, "before calibration every article is 'real'")
        let q = try ContentFreeCalibration.apply(p, prior: c, source: "prior.csv")
        for (i, got) in q.enumerated() {
            XCTAssertEqual(got.y / got.x, r[i].y / r[i].x, accuracy: 1e-5)
            XCTAssertEqual(got.x + got.y, p[i].x + p[i].y, accuracy: 1e-7)
        }
        XCTAssertEqual(q.map { $0.y > $0.x ? 1 : 0 }, [1, 0, 1])
    }

    func testZeroPriorIsAnErrorNamingTheFile() {
        XCTAssertThrowsError(try ContentFreeCalibration.apply([SIMD2(0.5, 0.5)], prior: SIMD2(0, 0.1), source: "prior-0.csv")) { error in
            XCTAssertTrue("\(error)".contains("prior-0.csv"), "\(error)")
        }
    }
}
