import FuzzSupport
import StudioIO
import StudioTraining

// A checkpoint as `sample` reads one: the safetensors container, its values, then the model config
// and audio settings in its metadata and the config's own validation.
FuzzInput.run { data in
    let path = "fuzz/model.safetensors"
    FuzzInput.expectCleanFailure(naming: path) {
        let file = try SafeTensors.decode(data, path: path)
        try file.requireFinite(path: path)
        _ = try ModelCheckpoint.audio(of: file, path: path)
        try ModelCheckpoint.config(of: file, path: path).validate()
    }
}
