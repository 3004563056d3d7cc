import FuzzSupport
import StudioTraining

// A TOML recipe through the loader `train` uses: parsing, strict decoding and validation.
FuzzInput.run { data in
    // The loader refuses text that is not UTF-8 before parsing it.
    guard let text = String(data: data, encoding: .utf8) else { return }
    let path = "fuzz/recipe.toml"
    FuzzInput.expectCleanFailure(naming: path) {
        _ = try RecipeLoader.parse(text, path: path)
    }
}
