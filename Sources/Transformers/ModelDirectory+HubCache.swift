import Foundation

extension ModelDirectory {
    /// The model directory `text` names: the path itself when it exists; else, for a hub id `org/name`, the
    /// snapshot a local Hugging Face cache holds (`models--org--name/snapshots/<refs/main>`, what transformers
    /// loads offline); else the path as given, for `check` to explain.
    public static func resolve(_ text: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let given = URL(fileURLWithPath: text)
        if FileManager.default.fileExists(atPath: given.path) { return given }
        guard let id = hubIdentifier(text) else { return given }
        for cache in hubCaches(environment) {
            if let snapshot = cachedSnapshot(id, in: cache) { return snapshot }
        }
        return given
    }

    /// The hub caches searched, in transformers' order of precedence.
    public static func hubCaches(_ environment: [String: String]) -> [URL] {
        var caches: [String] = []
        if let c = environment["HF_HUB_CACHE"] ?? environment["HUGGINGFACE_HUB_CACHE"] { caches.append(c) }
        if let home = environment["HF_HOME"] { caches.append(home + "/hub") }
        if let xdg = environment["XDG_CACHE_HOME"] { caches.append(xdg + "/huggingface/hub") }
        if let home = environment["HOME"] { caches.append(home + "/.cache/huggingface/hub") }
        return caches.map { URL(fileURLWithPath: $0) }
    }

    /// `snapshots/<revision>` of `org/name` in one cache: the revision `refs/main` names, or the only snapshot.
    static func cachedSnapshot(_ id: String, in cache: URL) -> URL? {
        let repo = cache.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"))
        let snapshots = repo.appendingPathComponent("snapshots")
        let fm = FileManager.default
        if let ref = try? String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            let dir = snapshots.appendingPathComponent(revision)
            if !revision.isEmpty, !revision.contains("/"), fm.fileExists(atPath: dir.path) { return dir }
        }
        let all = (try? fm.contentsOfDirectory(atPath: snapshots.path))?.filter { !$0.hasPrefix(".") } ?? []
        return all.count == 1 ? snapshots.appendingPathComponent(all[0]) : nil
    }
}
