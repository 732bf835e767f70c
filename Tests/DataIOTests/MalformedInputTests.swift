import DataIO
import Foundation
import Tensors
import XCTest
import _TestSupport

/// Damaged inputs (truncated, bytes flipped, garbage) give a `DataIOError` or a result, never a crash or
/// another error type.
final class MalformedInputTests: XCTestCase {

    static let readers: [(String, (String) throws -> Void)] = [
        ("fasta", { _ = try FASTAReader.readAll(path: $0) }),
        ("csv", { _ = try CSVReader.readAll(path: $0, options: .csvWithHeader) }),
        ("jsonl", { _ = try JSONLReader.readAll(path: $0) }),
        ("json", { _ = try JSONFile.read(path: $0) }),
        ("npy", { _ = try NPY.read(path: $0) }),
        ("uniprot", { _ = try UniProtXMLReader.readAll(path: $0) }),
        ("feed", { _ = try FeedReader.readAll(path: $0) }),
    ]

    func testDamagedFixturesNeverCrash() throws {
        let dir = try scratchDirectory()
        let sources = ["basic.faa", "basic.faa.gz", "basic.faa.zst", "rfc4180.csv", "good.jsonl", "bad.json",
                       "f4_2x3.npy", "i8_2x2x2.npy", "uniprot_small.xml", "uniprot_small.xml.gz", "feed_rss.xml"]
        var rng = SplitMix64(seed: 42)
        var outcomes = [String: Int]()
        for name in sources {
            let original = try Array(Data(contentsOf: URL(fileURLWithPath: Fixture.path(name))))
            for trial in 0..<40 {
                var bytes = original
                switch trial % 4 {
                case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                case 1:
                    for _ in 0..<3 where !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                case 2: bytes.insert(contentsOf: (0..<5).map { _ in UInt8.random(in: 0...255, using: &rng) },
                                     at: Int.random(in: 0...bytes.count, using: &rng))
                default: bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                let path = dir.appendingPathComponent("t\(trial)-\(name)").path
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                for (reader, read) in Self.readers {
                    do {
                        try read(path)
                        outcomes["ok", default: 0] += 1
                    } catch let e as DataIOError {
                        XCTAssertFalse(e.description.isEmpty)
                        outcomes["error", default: 0] += 1
                    } catch {
                        XCTFail("\(reader) on damaged \(name) (trial \(trial)) threw a non-DataIOError: \(error)")
                    }
                }
            }
        }
        print("damaged inputs: \(outcomes)")
        XCTAssertGreaterThan(outcomes["error", default: 0], 0)
    }
}
