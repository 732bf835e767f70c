import Foundation

/// Checks that a path names a model directory before anything is read, so a file, a missing path or a hub id
/// gets a message saying what a model directory holds (and how to fetch one) instead of a Foundation error.
public enum ModelDirectory {
    /// What every model directory must hold, for messages.
    public static let contents = "a model directory holds config.json, the tokenizer files (tokenizer.json, vocab.txt, "
        + "vocab.json + merges.txt or tokenizer.model) and model.safetensors (or shards with model.safetensors.index.json)"

    /// Throws `TransformersError.notAModel` unless `directory` is a directory holding a readable config.json.
    public static func check(_ directory: URL) throws {
        let path = directory.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            var detail = "no such directory; " + contents
            let cwd = FileManager.default.currentDirectoryPath
            let typed = path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
            if let id = hubIdentifier(typed) {
                detail += ". '\(id)' looks like a Hugging Face hub id and no local Hugging Face cache "
                    + "($HF_HOME/hub, ~/.cache/huggingface/hub) holds it: download it first with "
                    + "`huggingface-cli download \(id) --local-dir DIR` and pass DIR"
            }
            throw TransformersError.notAModel(path: path, detail: detail)
        }
        guard isDir.boolValue else {
            throw TransformersError.notAModel(path: path, detail: "is a file, not a directory; " + contents)
        }
        let config = directory.appendingPathComponent("config.json").path
        var configIsDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: config, isDirectory: &configIsDir) else {
            throw TransformersError.notAModel(path: path, detail: "has no config.json; " + contents)
        }
        if configIsDir.boolValue {
            throw TransformersError.badConfig(file: config, detail: "is a directory, expected the model's JSON configuration")
        }
        guard FileManager.default.isReadableFile(atPath: config) else {
            throw TransformersError.badConfig(file: config, detail: "permission denied")
        }
        // A device or FIFO (a symlink to /dev/zero) would be read forever.
        let attributes = try? FileManager.default.attributesOfItem(atPath: config)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw TransformersError.badConfig(file: config, detail: "not a regular file")
        }
        if let size = attributes?[.size] as? NSNumber, size.int64Value > 64 << 20 {
            throw TransformersError.badConfig(file: config, detail: "\(size.int64Value) bytes; a config.json is at most 64 MB")
        }
    }

    /// `owner/name` when `path` looks like a hub id (two plain components, not absolute or dotted).
    public static func hubIdentifier(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !path.hasPrefix("/"), !path.hasPrefix("."),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } })
        else { return nil }
        return path
    }

    /// A Foundation file error as a sentence: not found, is a directory, permission denied, disk full, ….
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        var code = ns.code
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            code = underlying.code
            return posixReason(Int32(truncatingIfNeeded: code))
        }
        if ns.domain == NSPOSIXErrorDomain { return posixReason(Int32(truncatingIfNeeded: code)) }
        if ns.domain == NSCocoaErrorDomain {
            switch code {
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on the device"
            case NSFileWriteVolumeReadOnlyError: return "read-only file system"
            case NSFileReadTooLargeError: return "file too large to read"
            case NSFileReadCorruptFileError, NSFileReadInapplicableStringEncodingError: return "not readable as expected"
            default: return "cannot be read or written"
            }
        }
        return "\(error)"
    }

    static func posixReason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EISDIR: return "is a directory"
        case ENOTDIR: return "a component of the path is not a directory"
        case EACCES, EPERM: return "permission denied"
        case ENOSPC: return "no space left on the device"
        case EROFS: return "read-only file system"
        default: return String(cString: strerror(code))
        }
    }
}
