import Foundation
import StudioCore
import StudioIO

/// One split of a recipe's data, with the files that could not be used.
struct LoadedExamples {
    /// The examples, in the task's value layout.
    var examples: any LabelledExamples
    /// Audio files that were found but could not be decoded, for the run's log.
    var skipped: [AudioFolderDataset.SkippedFile] = []
    /// With `data.per_class`: which examples of the full split `examples` are.
    var subset: ClassSubset?
}

extension TrainingJob {
    /// The `split` of the recipe's data: MNIST-format IDX files, or with `[audio]` an audio folder
    /// (its `train/` or `test/` subfolder when it has both, else the folder itself as the training split).
    static func loadSplit(_ recipe: Recipe, split: ImageDataset.Split, recipePath: String) throws -> LoadedExamples {
        let directory = URL(fileURLWithPath: recipe.data.path)
        guard let audio = recipe.audio else {
            do {
                return LoadedExamples(examples: try ImageDataset.mnistFormat(directory: directory, split: split))
            } catch let error as FileFormatError where error.path == directory.path && split == .train {
                throw DatasetError("""
                    \(error) (data.path in \(recipePath)).
                    Fetch MNIST with: genstudio data mnist --out \(recipe.data.path)
                    or point data.path at a directory of MNIST-format IDX files (--set data.path=DIR).
                    """)
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

    /// Writes the skipped files to `data.log` in the run directory (removing a stale one when none
    /// were skipped), so that a user can see which files the run left out and why.
    static func logSkipped(_ skipped: [AudioFolderDataset.SkippedFile], run: RunDirectory) throws {
        let url = run.url.appendingPathComponent("data.log")
        guard !skipped.isEmpty else {
            try? FileManager.default.removeItem(at: url)
            return
        }
        let text = "\(skipped.count) audio files could not be decoded or held NaN or infinite samples, and were left out:\n"
            + skipped.map { "\($0)\n" }.joined()
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
