import Foundation

/// Every error the runtime reports: each case names the file (and key or tensor) it concerns and what was expected.
public enum TransformersError: Error, CustomStringConvertible {
    /// `config.json` could not be read or decoded; `detail` says which key and what was expected.
    case badConfig(file: String, detail: String)
    /// The checkpoint's tensors do not match the model built from its config.
    case checkpointMismatch(directory: String, missing: [String], unexpected: [String], shapeMismatches: [String])
    /// A tensor could not be read (unsupported dtype, truncated data, …).
    case badTensor(file: String, name: String, detail: String)
    /// No `model.safetensors` nor `model.safetensors.index.json` in the directory.
    case noWeights(directory: String)
    /// The config names an architecture this runtime does not implement.
    case unsupportedModel(file: String, detail: String)
    /// The inputs given to a forward pass or generation are inconsistent.
    case badInput(String)
    /// A size computed from input (a length, a batch, a config value) is too large to allocate.
    case tooLarge(what: String, detail: String)
    /// The path given as a model is not a model directory; `detail` says what one must hold.
    case notAModel(path: String, detail: String)

    public var description: String {
        switch self {
        case .badConfig(let file, let detail):
            return "\(file): \(detail)"
        case .checkpointMismatch(let dir, let missing, let unexpected, let shapes):
            var lines = ["\(dir): the checkpoint does not match the model described by config.json"]
            if !missing.isEmpty {
                lines.append("  missing tensors (\(missing.count)):")
                lines += missing.map { "    \($0)" }
            }
            if !unexpected.isEmpty {
                lines.append("  unexpected tensors (\(unexpected.count)):")
                lines += unexpected.map { "    \($0)" }
            }
            if !shapes.isEmpty {
                lines.append("  shape mismatches (\(shapes.count)):")
                lines += shapes.map { "    \($0)" }
            }
            return lines.joined(separator: "\n")
        case .badTensor(let file, let name, let detail):
            return "\(file): tensor '\(name)': \(detail)"
        case .noWeights(let dir):
            return "\(dir): expected model.safetensors or model.safetensors.index.json"
        case .unsupportedModel(let file, let detail):
            return "\(file): \(detail)"
        case .badInput(let detail):
            return "bad model input: \(detail)"
        case .tooLarge(let what, let detail):
            return "\(what): \(detail)"
        case .notAModel(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}
