import StudioCore
import StudioNN

/// A diffusion model's trainable part, its UNet, under the checkpoint names `unet.*`.
public struct DiffusionModel: Module {
    /// The model's recipe section.
    public let config: DiffusionConfig
    /// The denoising network, `[N, C, H, W]` -> `[N, C, H, W]`.
    public let unet: UNet

    /// Validates `config` and builds the UNet with PyTorch's default initialisation.
    public init(config: DiffusionConfig, using generator: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        unet = try UNet(config: config.unet, imageShape: config.imageShape, classCount: config.classes, using: &generator)
    }

    /// `unet`.
    public var children: [(name: String, child: ModuleChild)] { [("unet", .module(unet))] }
}
