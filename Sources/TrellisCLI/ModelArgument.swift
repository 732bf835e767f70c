import Foundation
import Transformers
import CLISupport

extension Arguments {
    /// MODEL given either way, the same for every command: `--model DIR` or as the first positional. A hub id
    /// (`org/name`) is found in a local Hugging Face cache. Returns the model and the other positionals,
    /// which must be exactly `names`.
    mutating func modelAndPositionals(_ names: [String]) throws -> (model: URL, rest: [String]) {
        if let model = try option("model") {
            return (ModelDirectory.resolve(model), try positionals(names))
        }
        let pos = try positionals(["MODEL"] + names)
        return (ModelDirectory.resolve(pos[0]), Array(pos.dropFirst()))
    }
}
