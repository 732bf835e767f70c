import PromptAlign
import XCTest

/// `Percentile.linear` against `numpy.percentile` (numpy 2.4.6, default method), values printed with repr by
/// scripts/fixtures/percentiles.py (`/work/venv/bin/python scripts/fixtures/percentiles.py`).
final class PercentileTests: XCTestCase {
    func testMatchesNumpyBitForBit() {
        let cases: [([Double], Double, Double)] = [
            ([0.0, 0.25, 0.5, 1.0], 95, 0.9249999999999998),   // t ≥ 0.5 branch: b − (b−a)(1−t)
            ([3.0], 95, 3.0),
            ([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 95, 0.1),      // all equal
            ([0.1, 0.2, 0.3], 50, 0.2),
            ([0.3, 0.1, 0.2, 0.7, 0.5, 0.6, 0.4, 0.9, 0.8, 1.1, 1.0, 0.05], 95, 1.045),
            ([1e-8, 2e-8, 5.0], 95, 4.500000001999999),
            ([0.2, 0.2, 0.9, 0.9], 95, 0.9),                     // ties at the top
            ([0.0, 1.0], 0, 0.0),
            ([0.0, 1.0], 100, 1.0),
            ([0.0, 1.0], 37.5, 0.375),                           // t < 0.5 branch: a + (b−a)t
            ([0.1, 0.7, 0.2, 0.4, 0.3], 95, 0.6399999999999999),
        ]
        for (values, q, expected) in cases {
            XCTAssertEqual(Percentile.linear(values, q), expected, "\(values) q=\(q)")
        }
    }

    /// 536 and 354 float32 margins (the FANG and PolitiFact test sizes): k_i = (7919·i) mod M as Float,
    /// divided in Float, as numpy computes `np.float32(k) / np.float32(D)`.
    func testTestSetSizedInputs() {
        func values(_ n: Int, _ mod: Int, _ d: Float) -> [Double] {
            (0..<n).map { Double(Float((7919 * $0) % mod) / d) }
        }
        let fang = values(536, 536, 537)
        XCTAssertEqual(Percentile.linear(fang, 95), 0.9464618265628815)
        XCTAssertEqual(Percentile.linear(fang, 90), 0.8966480493545532)
        XCTAssertEqual(Percentile.linear(fang, 99.5), 0.9912942439317705)
        XCTAssertEqual(Percentile.linear(fang, 12.3), 0.12254190221428872)
        let politifact = values(354, 1000, 1009)
        XCTAssertEqual(Percentile.linear(politifact, 95), 0.9395936548709868)
        XCTAssertEqual(Percentile.linear(politifact, 50), 0.5009910762310028)
        XCTAssertEqual(Percentile.linear(politifact, 33.3), 0.3376085157692432)
    }
}
