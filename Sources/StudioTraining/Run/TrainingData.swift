import Foundation
import StudioCore
import StudioIO

/// One split of a recipe's data, with the files that could not be used.
struct LoadedExamples {
    /// The examples, in the task's value layout.
    var examples: any LabelledExamples
    /// Audio or image files that were found but could not be decoded, for the run's log.
    var skipped: [SkippedFile] = []
    /// What the skipped files are ("audio", "image"), for the log.
    var skippedKind = "audio"
    /// The class folder names of an image folder (label i is `classNames[i]`), empty for other data.
    var classNames: [String] = []
    /// With `data.per_class`: which examples of the full split `examples` are.
    var subset: ClassSubset?
}

extension TrainingJob {
    /// The `split` of the recipe's data: MNIST-format IDX files, class folders of PNG/JPEG images
    /// (torchvision's ImageFolder layout), or with `[audio]` an audio folder. Folders of class folders
    /// use their `train/` or `test/` subfolder when they have both, else the folder itself as the training split.
    static func loadSplit(_ recipe: Recipe, split: ImageDataset.Split, recipePath: String) throws -> LoadedExamples {
        let directory = URL(fileURLWithPath: recipe.data.path)
        guard let audio = recipe.audio else {
            if let folder = try imageFolderSplit(directory, split: split, recipePath: recipePath) {
                return try loadImageFolder(folder, recipe: recipe, split: split, recipePath: recipePath)
            }
            do {
                return LoadedExamples(examples: try ImageDataset.mnistFormat(directory: directory, split: split))
            } catch let error as FileFormatError where error.path == directory.path && split == .train {
                let exists = FileManager.default.fileExists(atPath: directory.path)
                throw DatasetError("\(error)\(exists ? " and no class folders of PNG or JPEG images" : "") (data.path in \(recipePath)).\n"
                                   + DataHint.imagesOrMNIST(at: directory))
            }
        }
        let folder = try audioSplitFolder(directory, split: split, recipePath: recipePath)
        let clips: AudioFolderDataset
        do {
            clips = try AudioFolderDataset.load(from: folder, sampleRate: audio.sampleRate, clipLength: audio.clipLength)
        } catch let error as FileFormatError where error.path == directory.path || error.path == folder.path {
            let hint = split == .train && recipe.data.path.hasSuffix("spoken-digits")
                ? "\nMake the spoken-digit set with: genstudio data spoken-digits --out \(recipe.data.path)" : ""
            throw DatasetError("\(error) (data.path in \(recipePath))\(hint)")
        }
        return LoadedExamples(examples: try audio.examples(of: clips), skipped: clips.skipped)
    }

    /// `directory/train` or `directory/test` when both exist; otherwise `directory` for training.
    static func audioSplitFolder(_ directory: URL, split: ImageDataset.Split, recipePath: String) throws -> URL {
        func isFolder(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        let splits = (train: directory.appendingPathComponent("train"), test: directory.appendingPathComponent("test"))
        if isFolder(splits.train) && isFolder(splits.test) { return split == .train ? splits.train : splits.test }
        guard split == .train else {
            throw DatasetError("\(directory.path) has no train/ and test/ folders, and this run needs a test split (data.path in \(recipePath))")
        }
        return directory
    }

    /// The folder of class folders holding `split` when `directory` is one (its `train/` or `test/`
    /// when it has both), nil when it holds MNIST-format files or no image class folders.
    static func imageFolderSplit(_ directory: URL, split: ImageDataset.Split, recipePath: String) throws -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard !names.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") || $0.hasPrefix("t10k-images-idx3-ubyte") }),
              ImageFolderDataset.holdsClassFolders(directory) else { return nil }
        return try audioSplitFolder(directory, split: split, recipePath: recipePath)
    }

    /// The class folders at `folder` decoded to the recipe's image shape, after checking that they fit in memory.
    static func loadImageFolder(_ folder: URL, recipe: Recipe, split: ImageDataset.Split, recipePath: String) throws -> LoadedExamples {
        let shape = recipe.model.imageShape
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3 else {
            throw DatasetError("class folders of images in \(recipe.data.path) are read as 1 (grayscale) or 3 (RGB) channels, but model.image_shape in \(recipePath) is \(shape)")
        }
        let directory = URL(fileURLWithPath: recipe.data.path)
        var trainClasses: [String]?
        if split == .test, folder != directory {
            trainClasses = try ImageFolderDataset.list(directory.appendingPathComponent("train")).classNames
        }
        let listing: ImageFolderDataset.Listing
        let images: ImageFolderDataset
        do {
            listing = try ImageFolderDataset.list(folder, classNames: trainClasses)
            try MemoryBudget.check(count: listing.files.count, elementsPerExample: shape.reduce(1, *), bytesPerValue: 1,
                                   what: "data.path = \(recipe.data.path) in \(recipePath)")
            images = try ImageFolderDataset.load(listing, channels: shape[0], height: shape[1], width: shape[2])
        } catch let error as FileFormatError {
            throw DatasetError("\(error) (data.path in \(recipePath))")
        }
        return LoadedExamples(examples: images.images, skipped: images.skipped, skippedKind: "image", classNames: images.classNames)
    }

    /// Writes the skipped files to `data.log` in the run directory (removing a stale one when none
    /// were skipped), so that a user can see which files the run left out and why.
    static func logSkipped(_ skipped: [SkippedFile], kind: String = "audio", run: RunDirectory) throws {
        let url = run.url.appendingPathComponent("data.log")
        guard !skipped.isEmpty else {
            try? FileManager.default.removeItem(at: url)
            return
        }
        // Audio clips are also left out for NaN or infinite samples; images decode to bytes and cannot hold them.
        let reason = kind == "audio" ? "could not be decoded or held NaN or infinite samples, and were" : "could not be decoded and were"
        let text = "\(skipped.count) \(kind) files \(reason) left out:\n"
            + skipped.map { "\($0)\n" }.joined()
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
