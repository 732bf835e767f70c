import XCTest
import Tensors

final class HalfPrecisionTests: XCTestCase {
    func testBFloat16RoundTripsAndRounding() {
        // Every bf16 pattern round-trips through Float.
        for b in 0...UInt16.max {
            let f = BFloat16.float(fromBits: b)
            if f.isNaN { XCTAssertTrue(BFloat16.float(fromBits: BFloat16.bits(from: f)).isNaN); continue }
            XCTAssertEqual(BFloat16.bits(from: f), b)
        }
        // Ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 → 1 (even); 1 + 3·2^-8 → 1 + 2^-6.
        XCTAssertEqual(BFloat16.bits(from: 1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(BFloat16.bits(from: 1 + 3 * 0x1p-8), 0x3F82)
        XCTAssertEqual(BFloat16.bits(from: 1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(BFloat16.bits(from: .greatestFiniteMagnitude), 0x7F80) // rounds up to +inf
        XCTAssertEqual(BFloat16.bits(from: -.infinity), 0xFF80)
        XCTAssertEqual(BFloat16.bits(from: Float(bitPattern: 0x0000_8001)), 0x0001) // subnormal rounds up
        XCTAssertTrue(BFloat16.float(fromBits: BFloat16.bits(from: Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    func testFloat16AgainstEveryPattern() {
        for h in 0...UInt16.max {
            let f = Float16Bits.float(fromBits: h)
            if f.isNaN { XCTAssertTrue(Float16Bits.float(fromBits: Float16Bits.bits(from: f)).isNaN); continue }
            XCTAssertEqual(Float16Bits.bits(from: f), h, "pattern \(h)")
        }
        XCTAssertEqual(Float16Bits.float(fromBits: 0x3C00), 1)
        XCTAssertEqual(Float16Bits.float(fromBits: 0x0001), 0x1p-24)
        XCTAssertEqual(Float16Bits.float(fromBits: 0x7BFF), 65504)
        XCTAssertEqual(Float16Bits.bits(from: 65520), 0x7C00)      // halfway to 2^16 → rounds to inf
        XCTAssertEqual(Float16Bits.bits(from: 65519), 0x7BFF)
        XCTAssertEqual(Float16Bits.bits(from: 0x1p-25), 0x0000)     // tie → even (0)
        XCTAssertEqual(Float16Bits.bits(from: 0x1.8p-25), 0x0001)
        XCTAssertEqual(Float16Bits.bits(from: 3 * 0x1p-25), 0x0002) // 1.5 ulp → 2 (even)
        XCTAssertEqual(Float16Bits.bits(from: 1 + 0x1p-11), 0x3C00) // tie → even
        XCTAssertEqual(Float16Bits.bits(from: 1 + 3 * 0x1p-11), 0x3C02)
        XCTAssertEqual(Float16Bits.bits(from: 0x1.ffcp-15), 0x0400) // largest subnormal + carry → min normal
        #if !(os(macOS) && arch(x86_64))
        // Cross-check with the hardware/stdlib conversion on random floats.
        var rng = TestRandom(seed: 2)
        for _ in 0..<100_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if f.isNaN { continue }
            XCTAssertEqual(Float16Bits.bits(from: f), Float16(f).bitPattern, "\(f)")
        }
        #endif
    }

    func testBulkConverters() {
        let values: [Float] = [0, -0, 1, -2.5, 3.14159, 1e-8, 70000, .infinity]
        var b = [UInt16](repeating: 0, count: values.count), h = b
        var back = [Float](repeating: 0, count: values.count)
        BFloat16.convert(values, to: &b, count: values.count)
        BFloat16.convert(b, to: &back, count: values.count)
        XCTAssertEqual(back, values.map { BFloat16.float(fromBits: BFloat16.bits(from: $0)) })
        Float16Bits.convert(values, to: &h, count: values.count)
        Float16Bits.convert(h, to: &back, count: values.count)
        XCTAssertEqual(back, values.map { Float16Bits.float(fromBits: Float16Bits.bits(from: $0)) })
    }

    func testDTypeSizes() {
        XCTAssertEqual(DType.bf16.byteSize, 2)
        XCTAssertEqual(DType(rawValue: "I64")?.byteSize, 8)
        XCTAssertEqual(DType.bool.byteSize, 1)
    }
}
