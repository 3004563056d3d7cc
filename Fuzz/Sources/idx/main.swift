import FuzzSupport
import StudioIO

// An IDX file as a data set reads it, gzip-compressed or raw.
FuzzInput.run { raw in
    let path = "fuzz/images-idx3-ubyte.gz"
    FuzzInput.expectCleanFailure(naming: path) {
        _ = try IDXFile.decode(Gzip.isCompressed(raw) ? Gzip.decompress(raw, path: path) : raw, path: path)
    }
}
