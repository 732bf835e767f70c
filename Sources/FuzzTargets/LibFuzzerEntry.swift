import Foundation

/// The target `LLVMFuzzerTestOneInput` drives, named by `TRELLIS_FUZZ_TARGET` (read once).
private let selectedTarget: FuzzTarget? = {
    let name = ProcessInfo.processInfo.environment["TRELLIS_FUZZ_TARGET"] ?? ""
    return FuzzTarget(rawValue: name)
}()

/// `Tests/Fixtures`, from `TRELLIS_FUZZ_FIXTURES` or relative to the working directory.
private let fixtureDirectory: URL = {
    let path = ProcessInfo.processInfo.environment["TRELLIS_FUZZ_FIXTURES"] ?? "Tests/Fixtures"
    return URL(fileURLWithPath: path)
}()

/// libFuzzer's entry point: only a binary linked with `-sanitize=fuzzer` calls it (scripts/fuzz/build.sh).
/// Errors are the expected answer to bad input; only traps are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func llvmFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selectedTarget else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("TRELLIS_FUZZ_TARGET must be one of: \(names)\n".utf8))
        exit(2)
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? target.run(bytes, fixtures: fixtureDirectory)
    return 0
}
