import FuzzSupport
import StudioTraining

// A checkpoint's `state.json` as `train --resume` reads it (the reader takes the checkpoint directory).
FuzzInput.run { data in
    let file = FuzzInput.file(Checkpoint.stateFile, holding: data)
    FuzzInput.expectCleanFailure(naming: file.path) {
        _ = try Checkpoint.readState(FuzzInput.scratch)
    }
}
