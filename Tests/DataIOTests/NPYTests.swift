import DataIO
import Foundation
import XCTest
import _TestSupport

final class NPYTests: XCTestCase {
    /// Shapes and values of the arrays numpy wrote (scripts/fixtures/dataio.py).
    func expected() throws -> [String: [String: Any]] {
        try Fixture.json("npy_expected.json") as! [String: [String: Any]]
    }

    func testReadsNumpyFiles() throws {
        for (name, info) in try expected() {
            let array = try NPY.read(path: Fixture.path(name))
            XCTAssertEqual(array.shape, info["shape"] as! [Int], name)
            XCTAssertEqual(array.dtype.rawValue, info["descr"] as! String, name)
            let values = info["values"] as! [NSNumber]
            switch array.storage {
            case .float32(let v): XCTAssertEqual(v, values.map(\.floatValue), name)
            case .int64(let v): XCTAssertEqual(v, values.map(\.int64Value), name)
            }
        }
    }

    /// Our writer produces byte-identical files to numpy.save, so numpy reads them.
    func testWriterMatchesNumpyByteForByte() throws {
        let dir = try scratchDirectory()
        for (name, info) in try expected() {
            let shape = info["shape"] as! [Int]
            let values = info["values"] as! [NSNumber]
            let array = name.hasPrefix("f4")
                ? NPYArray(shape: shape, float32: values.map(\.floatValue))
                : NPYArray(shape: shape, int64: values.map(\.int64Value))
            let path = dir.appendingPathComponent(name).path
            try NPY.write(array, to: path)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)),
                           try Data(contentsOf: URL(fileURLWithPath: Fixture.path(name))), name)
            XCTAssertEqual(try NPY.read(path: path), array, name)
        }
        // Long shapes keep the data 64-byte aligned.
        for dims in [[1], [3, 5, 7, 11, 13, 17, 19, 23], [123_456_789, 0]] {
            XCTAssertEqual(NPY.header(dtype: .float32, shape: dims).count % 64, 0, "\(dims)")
        }
    }

    func testRowByRowWriterAndCompression() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("emb.npy.zst").path
        let writer = try NPYWriter(path: path, dtype: .float32, shape: [3, 2]) // [N, D]
        for row in 0..<3 { try writer.append([Float(row), Float(row) + 0.5]) }
        try writer.finish()
        XCTAssertEqual(try NPY.read(path: path), NPYArray(shape: [3, 2], float32: [0, 0.5, 1, 1.5, 2, 2.5]))

        let short = dir.appendingPathComponent("short.npy").path
        let w2 = try NPYWriter(path: short, dtype: .int64, shape: [4])
        try w2.append([1, 2] as [Int64])
        expectDataIOError("\(short): unsupported: 2 elements written for shape [4], which holds 4") { try w2.finish() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: short))
    }

    func testBadFilesAreReported() throws {
        for (name, message) in [("f8_unsupported.npy", "unsupported: dtype '<f8' (supported: '<f4', '<i8')"),
                                ("fortran_order.npy", "unsupported: fortran_order True (only C order is read)"),
                                ("truncated.npy", "byte 128: expected 24 data bytes for shape [2, 3] <f4, found 19"),
                                ("basic.faa", "byte 0: expected the .npy magic \\x93NUMPY")] {
            let path = Fixture.path(name)
            XCTAssertEqual(expectDataIOError { _ = try NPY.read(path: path) }?.description, "\(path): \(message)")
        }
    }
}

import Tensors

final class NPYTensorTests: XCTestCase {
    func testTensorRoundTrip() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("t.npy").path
        let t = Tensor(shape: [2, 3], data: [-0.5, -0.25, 0, 0.25, 0.5, 0.75]) // [N, D]
        try NPY.write(t, to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)),
                       try Data(contentsOf: URL(fileURLWithPath: Fixture.path("f4_2x3.npy"))))
        XCTAssertEqual(try NPY.readTensor(path: path), t)
        let ints = Fixture.path("i8_5.npy")
        XCTAssertEqual(expectDataIOError { _ = try NPY.readTensor(path: ints) }?.description,
                       "\(ints): unsupported: dtype '<i8' as a Tensor (needs '<f4')")
    }
}
