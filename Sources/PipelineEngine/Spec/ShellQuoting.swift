/// POSIX shell quoting for values inserted into `shell` commands with the `:q` reference modifier.
public enum ShellQuoting {
    /// `s` as one shell word: left bare when it holds only characters no shell treats specially, else in
    /// single quotes with each `'` written as `'\''`. The empty string becomes `''`.
    public static func quote(_ s: String) -> String {
        if !s.isEmpty && s.utf8.allSatisfy(isPlain) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func isPlain(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: ","),
             UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}
