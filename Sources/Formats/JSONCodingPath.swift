import Foundation

/// The key path of a coder or container of `JSONDecoding`/`JSONEncoding`: it answers Codable's `codingPath`
/// and `userInfo`, and gives the `a.b[2]` text that errors name.
protocol JSONCodingPath {
    var path: [CodingKey] { get }
}

extension JSONCodingPath {
    var codingPath: [CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var keyPath: String { keyPathText(path) }
}

func keyPathText(_ path: [CodingKey]) -> String {
    var s = ""
    for k in path {
        if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : "." + k.stringValue }
    }
    return s
}

/// An array index or a key not known to the type being coded.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
}
