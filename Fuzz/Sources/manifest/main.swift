import FuzzSupport
import StudioTraining

// An augmentation job's `manifest.json` as `augment`, `augment merge` and `eval` read it (the reader
// takes the job directory).
FuzzInput.run { data in
    let file = FuzzInput.file(AugmentationManifest.fileName, holding: data)
    FuzzInput.expectCleanFailure(naming: file.path) {
        _ = try AugmentationManifest.read(in: FuzzInput.scratch)
    }
}
