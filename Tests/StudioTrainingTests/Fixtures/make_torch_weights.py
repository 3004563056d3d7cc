"""PyTorch twin of tiny-gan.toml, to prove that weights move from PyTorch to genstudio.

Run with Debian's torch: /usr/bin/python3 make_torch_weights.py (from this folder). It writes
  torch-twin.safetensors           the twin's state dicts as {"generator." + k: v, "discriminator." + k: v},
                                   as safetensors.torch.save_file would (that package is not installed
                                   here, so the file is written by hand below; the format is trivial)
  torch-twin-expected.safetensors  tensor `latents` [6, 8] and the generator's outputs for them:
                                   `images` in eval mode (running statistics) and
                                   `images_batch_statistics` in train mode, both [6, 1, 28, 28]
The torch version that made the files is in their metadata.
"""
import copy
import json
import struct

import torch
import torch.nn as nn

torch.manual_seed(20261123)

generator = nn.Sequential(
    nn.Linear(8, 392, bias=False),
    nn.BatchNorm1d(392),
    nn.ReLU(),
    nn.Unflatten(1, (8, 7, 7)),
    nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1, bias=False),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1),
    nn.Tanh(),
)
discriminator = nn.Sequential(
    nn.Conv2d(1, 4, 4, stride=2, padding=1),
    nn.LeakyReLU(0.2),
    nn.Dropout(0.3),
    nn.Conv2d(4, 8, 4, stride=2, padding=1),
    nn.LeakyReLU(0.2),
    nn.Flatten(1),
    nn.Linear(392, 1),
)

# Batch-norm affine parameters and running statistics away from their defaults, so that a loader
# that skipped them, or sampling that used batch statistics, would show.
with torch.no_grad():
    for module in generator.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.weight.normal_(1.0, 0.2)
            module.bias.normal_(0.0, 0.2)
    generator.train()
    for _ in range(3):
        generator(torch.randn(16, 8) * 1.5 + 0.3)
generator.eval()

latents = torch.randn(6, 8)
with torch.no_grad():
    images = generator(latents)
    training_twin = copy.deepcopy(generator).train()
    images_batch_statistics = training_twin(latents)


def save_safetensors(tensors, path, metadata):
    """The safetensors layout: u64 header length, JSON header, then each tensor's bytes in order."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[tensor.dtype]
        blob = tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


state = {}
for prefix, module in (("generator.", generator), ("discriminator.", discriminator)):
    for key, value in module.state_dict().items():
        state[prefix + key] = value
save_safetensors(state, "torch-twin.safetensors", {"format": "pt", "torch": torch.__version__})
save_safetensors(
    {"latents": latents, "images": images, "images_batch_statistics": images_batch_statistics},
    "torch-twin-expected.safetensors",
    {"torch": torch.__version__, "script": "make_torch_weights.py"},
)
print("torch", torch.__version__, "wrote", len(state), "tensors")
