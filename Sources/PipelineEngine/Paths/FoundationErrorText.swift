import Foundation

/// Readable reasons for Foundation file errors, which otherwise print as `NSCocoaErrorDomain Code=512`.
public enum FoundationErrorText {
    /// `error` as a user reads it: for Foundation file errors the path and the reason
    /// (`out/x.csv: not a directory`), for every other error its own description.
    public static func describe(_ error: Error) -> String {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return (path.map { $0 + ": " } ?? "") + reason(error)
    }

    /// The POSIX reason underlying `error` when there is one (disk full, not a directory, …), else a
    /// description of the Cocoa error code, else the error's own description.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return DescriptorWrite.reason(Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return DescriptorWrite.reason(Int32(underlying.code))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return DescriptorWrite.reason(ENOSPC)
            case NSFileWriteVolumeReadOnlyError: return DescriptorWrite.reason(EROFS)
            case NSFileWriteFileExistsError: return "a file already exists there"
            case NSFileReadCorruptFileError: return "the file is not in the expected format"
            case NSFileReadInapplicableStringEncodingError: return "the file is not valid UTF-8 text"
            case NSFileReadTooLargeError: return "the file is too large to read"
            case NSFileWriteUnknownError, NSFileReadUnknownError:
                return "cannot access the path (is a parent a regular file rather than a directory?)"
            default: break
            }
        }
        if ns.domain != NSCocoaErrorDomain { return "\(error)" }
        return "file error \(ns.code)"
    }
}
