import FuzzSupport
import StudioIO

// A PNG read from a file (the reader takes a path), as grayscale and as RGB.
FuzzInput.run { data in
    let url = FuzzInput.file("image.png", holding: data)
    for channels in [1, 3] {
        FuzzInput.expectCleanFailure(naming: url.path) {
            let image = try PNGImage.read(from: url, channels: channels)
            precondition(image.pixels.count == image.width * image.height * channels, "PNGImage: pixel count disagrees with its size")
        }
    }
}
