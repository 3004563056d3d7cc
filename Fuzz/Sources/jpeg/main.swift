import FuzzSupport
import StudioIO

// A JPEG decoded from memory through libjpeg-turbo, as grayscale and as RGB (image folders).
FuzzInput.run { data in
    let path = "fuzz/image.jpg"
    for channels in [1, 3] {
        FuzzInput.expectCleanFailure(naming: path) {
            let image = try JPEGImage.decode(data, channels: channels, path: path)
            precondition(image.pixels.count == image.width * image.height * channels, "JPEGImage: pixel count disagrees with its size")
        }
    }
}
