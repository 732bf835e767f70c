import DataIO
import Foundation
import PipelineEngine
import Tensors
import Tokenizers

extension FuzzTarget {
    static let registry = StageRegistry.withGenericStages()

    /// Spec bytes as the CLI reads them (UTF-8 or an error), then parsed and validated.
    static func spec(_ bytes: [UInt8]) throws {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        let loader = PipelineLoader(registry: registry, projectDirectory: FuzzScratch.directory)
        _ = try loader.load(text: text, file: "fuzz.yaml")
    }

    /// The same bytes through each JSON reader; one throwing does not stop the others.
    static func json(_ bytes: [UInt8]) throws {
        var firstError: Error?
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch { if firstError == nil { firstError = error } }
        }
        attempt { _ = try JSONFile.parse(bytes, path: "fuzz.json") }
        _ = JSONScanner.firstProblem(in: bytes)
        attempt { _ = try JSONValue.parse(bytes, path: "fuzz.json") }
        // The safetensors header is its own JSON reader: wrap the bytes as a header.
        attempt {
            var file = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) }
            file += bytes
            _ = try SafetensorsFile(path: FuzzScratch.write(file, to: "json.safetensors"))
        }
        if let firstError { throw firstError }
    }

    /// Every record of a FASTA file; the name's extension follows the magic bytes, as users name files.
    static func fasta(_ bytes: [UInt8]) throws {
        let name: String
        switch Compression.detect(magic: bytes.prefix(4)) {
        case .gzip: name = "in.faa.gz"
        case .zstd: name = "in.faa.zst"
        case .none: name = "in.faa"
        }
        let reader = try FASTAReader(path: FuzzScratch.write(bytes, to: name))
        while let record = try reader.next() { _ = record }
    }

    /// Every row of a CSV file, read as plain CSV, as a strict table with a header (problems collected),
    /// and as TSV.
    static func csv(_ bytes: [UInt8]) throws {
        let path = try FuzzScratch.write(bytes, to: "in.csv")
        var firstError: Error?
        let optionSets = [
            CSVOptions.csv,
            CSVOptions(hasHeader: true, strictFieldCount: true, onError: .collect),
            CSVOptions(delimiter: UInt8(ascii: "\t"), hasHeader: true),
        ]
        for options in optionSets {
            do {
                let reader = try CSVReader(path: path, options: options)
                while let row = try reader.next() { _ = row }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}
