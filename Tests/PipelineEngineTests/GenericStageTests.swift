import PipelineEngine
import XCTest

/// The generic stages' results: filter, split, sample, table.write, and the input digest modes.
final class GenericStageTests: XCTestCase {
    func makeProject() throws -> Project {
        let p = try Project()
        var fasta = ""
        for i in 0..<20 { fasta += ">r\(i) record \(i)\n" + String(repeating: "M", count: 10 + i * 5) + (i % 2 == 0 ? "*" : "") + "\n" }
        try p.write("in.faa", fasta)
        return p
    }

    func ids(_ p: Project, _ path: String) -> [String] {
        (p.read(path) ?? "").split(separator: "\n").filter { $0.hasPrefix(">") }.map { String($0.dropFirst().split(separator: " ")[0]) }
    }

    func testFilterSplitSample() throws {
        let p = try makeProject()
        let spec = """
        stages:
          filter:
            uses: fasta.filter
            with:
              input: in.faa
              min_length: 30
              max_length: 80
              id_regex: "^r1"
              strip_stop: true
              output: out/filtered.faa
          split:
            uses: fasta.split
            with:
              input: in.faa
              parts: 3
          rr:
            uses: fasta.split
            with:
              input: in.faa
              parts: 3
              mode: round-robin
          sample:
            uses: fasta.sample
            with:
              input: in.faa
              n: 5
              seed: 11
              output: out/sample.faa
        """ + Project.tableStage("table", needs: ["split"], path: "out/parts.csv")
        let r = try p.runOK(spec)
        // Lengths 10 + 5i (+1 for '*' on even i, stripped): 30...80 → i = 4...14; ids starting r1 → r10...r14.
        XCTAssertEqual(ids(p, "out/filtered.faa"), ["r10", "r11", "r12", "r13", "r14"])
        XCTAssertFalse(p.read("out/filtered.faa")!.contains("*"))
        let table = p.read("out/parts.csv")!.split(separator: "\n")
        XCTAssertEqual(table[0], "stage,output,path,bytes,records,sha256")
        XCTAssertEqual(table.dropFirst().map { $0.split(separator: ",")[4] }, ["7", "7", "6"])  // contiguous 20 → 7/7/6
        let parts = table.dropFirst().map { String($0.split(separator: ",")[2]) }
        XCTAssertEqual(ids(p, parts[0]), (0..<7).map { "r\($0)" })
        let sample = ids(p, "out/sample.faa")
        XCTAssertEqual(sample.count, 5)
        XCTAssertEqual(sample, sample.sorted { Int($0.dropFirst())! < Int($1.dropFirst())! }, "input order kept")
        // Same seed, fresh work directory: same sample.
        try FileManager.default.removeItem(at: p.work)
        try FileManager.default.removeItem(at: p.root.appendingPathComponent("out"))
        try p.run(spec)
        XCTAssertEqual(ids(p, "out/sample.faa"), sample)
    }

    func testDeepModeRereadsInputs() throws {
        let p = try makeProject()
        let spec = "stages:\n  f:\n    uses: fasta.filter\n    with:\n      input: in.faa\n"
        try p.run(spec)
        // Same size, same mtime, different content: only deep mode notices.
        let url = p.root.appendingPathComponent("in.faa")
        var st = stat()
        XCTAssertEqual(stat(url.path, &st), 0)
        let text = p.read("in.faa")!.replacingOccurrences(of: ">r0 ", with: ">q0 ")
        try p.write("in.faa", text)
        var times = [st.st_atim, st.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, url.path, &times, 0), 0)
        XCTAssertEqual(try p.plan(spec)["f"], "cached: cached")
        let deep = try Planner.plan(p.load(spec), workDirectory: p.work, projectDirectory: p.root, deep: true)
        XCTAssertEqual(deep[0].reasons, ["input changed: in.faa"])
    }

    func testMissingInputFailsTheStageClearly() throws {
        let p = try Project()
        let r = try p.run("stages:\n  f:\n    uses: fasta.filter\n    with:\n      input: nowhere.faa\n")
        XCTAssertEqual(r.failures.first?.error, "input 'input' not found: nowhere.faa")
    }

    func testMalformedFastaIsReportedWithPosition() throws {
        let p = try Project()
        try p.write("bad.faa", "MKV\n>a\nMKV\n")
        let r = try p.run("stages:\n  f:\n    uses: fasta.filter\n    with:\n      input: bad.faa\n")
        let message = r.failures.first?.error ?? ""
        XCTAssertTrue(message.contains("bad.faa") && message.contains("1"), message)
    }
}
