import Foundation

/// The advice an error gives when a data folder holds nothing genstudio can train on.
enum DataHint {
    /// What would work instead of `directory`: its own images laid out as class folders, or MNIST
    /// fetched into a folder that is missing or empty, never one that already holds the user's files.
    static func imagesOrMNIST(at directory: URL) -> String {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let target = contents.filter({ !$0.hasPrefix(".") }).isEmpty ? directory.path : freeFolder(near: directory)
        return """
            Point data.path (--set data.path=DIR) at class folders of PNG or JPEG images (DIR/<class>/<image>.png, \
            as torchvision's ImageFolder reads; DIR/train/<class>/... and DIR/test/<class>/... for a test split) \
            or at MNIST-format IDX files, or fetch MNIST with: genstudio data mnist --out \(target) \
            and train with --set data.path=\(target)
            """
    }

    /// A folder name beside `directory` that does not exist yet: `NAME-mnist`, then `NAME-mnist-2`, ...
    static func freeFolder(near directory: URL) -> String {
        let base = directory.standardizedFileURL.path + "-mnist"
        var candidate = base
        var n = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(base)-\(n)"
            n += 1
        }
        return candidate
    }
}
