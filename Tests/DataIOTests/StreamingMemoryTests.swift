import DataIO
import Foundation
import XCTest
import _TestSupport

/// Readers stream: reading a generated file much larger than any buffer leaves resident memory flat.
final class StreamingMemoryTests: XCTestCase {
    /// Resident set size of this process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Tracks resident memory after a warm-up; `growth` is the largest rise seen since.
    struct MemoryProbe {
        var baseline = 0
        var peak = 0
        mutating func sample(_ index: Int, warmUp: Int = 1000) {
            guard index % 1000 == 0 else { return }
            let now = StreamingMemoryTests.residentBytes()
            if index == warmUp { baseline = now }
            if index >= warmUp { peak = max(peak, now) }
        }
        var growth: Int { peak - baseline }
    }

    func testLargeFASTAStreamsInConstantMemory() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("large.faa.zst").path
        let writer = try FASTAWriter(path: path)
        let residues = Array("ACDEFGHIKLMNPQRSTVWY")
        let records = 120_000
        for i in 0..<records {
            let len = 200 + (i * 37) % 600
            let seq = String((0..<len).map { residues[($0 * 7 + i) % 20] })
            try writer.write(FASTARecord(id: "seq\(i)", description: "generated record \(i)", sequence: seq))
        }
        try writer.finish()

        var probe = MemoryProbe()
        var count = 0, total = 0
        let reader = try FASTAReader(path: path)
        while let r = try reader.next() {
            count += 1
            total += r.sequence.utf8.count
            probe.sample(count)
        }
        let expectedTotal = (0..<records).reduce(0) { $0 + 200 + ($1 * 37) % 600 }
        XCTAssertEqual(count, records)
        XCTAssertEqual(total, expectedTotal)
        print("FASTA: \(total >> 20) MiB of residues streamed; resident growth after warm-up \(probe.growth >> 10) KiB")
        XCTAssertLessThan(probe.growth, 8 << 20)
    }

    func testLargeUniProtXMLStreamsInConstantMemory() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("large.xml.gz").path
        let file = try AtomicFileWriter(path: path, level: 1)
        try file.write("<?xml version=\"1.0\"?>\n<uniprot xmlns=\"http://uniprot.org/uniprot\">\n")
        let entries = 40_000
        let seq = String(repeating: "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ", count: 8)
        for i in 0..<entries {
            try file.write("""
            <entry dataset="Swiss-Prot"><accession>P\(i)</accession><name>E\(i)_HUMAN</name>
            <protein><recommendedName><fullName>Protein \(i)</fullName></recommendedName></protein>
            <organism><name type="scientific">Homo sapiens</name></organism>
            <sequence length="\(seq.count)">\(seq)</sequence></entry>

            """)
        }
        try file.write("</uniprot>\n")
        try file.finish()

        var probe = MemoryProbe()
        var count = 0
        let reader = try UniProtXMLReader(path: path)
        while let e = try reader.next() {
            XCTAssertEqual(e.accession, "P\(count)")
            count += 1
            if count == 1 { XCTAssertEqual(e.sequence, seq) }
            probe.sample(count)
        }
        XCTAssertEqual(count, entries)
        print("UniProt XML: \(entries) entries streamed; resident growth after warm-up \(probe.growth >> 10) KiB")
        XCTAssertLessThan(probe.growth, 8 << 20)
    }
}
