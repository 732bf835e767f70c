import Foundation
import _TestSupport
import XCTest

/// A shipped pipeline run in a fresh project by `runShippedPipeline`.
struct ShippedPipelineRun {
    /// The project directory (repository folders linked into it).
    let project: URL
    /// The pipeline's published outputs, `out/<name>`.
    let out: URL
    /// The `trellis` arguments of the run, to run it again (a second run is all cached).
    let arguments: [String]
}

extension XCTestCase {
    /// Runs `pipelines/<name>.yaml` with `trellis run --quiet`, each of `parameters` as a `-p` override, in a
    /// fresh project linking `names` of the repository; the test fails unless the run exits 0.
    func runShippedPipeline(_ name: String, _ parameters: [String] = [],
                            linking names: [String] = ["samples", "pipelines", "Tests"],
                            file: StaticString = #filePath, line: UInt = #line) throws -> ShippedPipelineRun {
        let project = try scratchProject(name, linking: names)
        let arguments = ["run", "pipelines/\(name).yaml", "--quiet"] + parameters.flatMap { ["-p", $0] }
        let r = try TestSupport.runTrellis(arguments, cwd: project)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr, file: file, line: line)
        return ShippedPipelineRun(project: project, out: project.appendingPathComponent("out/\(name)"), arguments: arguments)
    }
}
