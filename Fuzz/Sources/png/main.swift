import FuzzSupport
import StudioIO

// A PNG read from a file (the reader takes a path), as grayscale, as RGB and as image folders read it.
FuzzInput.run { data in
    let url = FuzzInput.file("image.png", holding: data)
    for (channels, droppingAlpha) in [(1, false), (3, false), (3, true)] {
        FuzzInput.expectCleanFailure(naming: url.path) {
            let image = try PNGImage.read(from: url, channels: channels, droppingAlpha: droppingAlpha)
            precondition(image.pixels.count == image.width * image.height * channels, "PNGImage: pixel count disagrees with its size")
        }
    }
}
