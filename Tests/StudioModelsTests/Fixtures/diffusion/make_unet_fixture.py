"""Golden forward pass of a tiny conditional UNet: the PyTorch twin in benchmarks/ddpm.py with
seeded default initialisation, its state dict (prefixed `unet.`), inputs and output, in unet-tiny.safetensors.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 Tests/StudioModelsTests/Fixtures/diffusion/make_unet_fixture.py
The config is UNetTwinTests.config: 8x8 single-channel images, 3 classes, base 8, multipliers [1, 2],
one block per level, attention at 4x4 and in the middle, 4 groups.
"""
import json
import os
import struct
import sys

import torch

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(root, "benchmarks"))
import ddpm  # noqa: E402

torch.manual_seed(0)
unet = ddpm.UNet([1, 8, 8], classes=3, base_channels=8, channel_multipliers=(1, 2), blocks_per_level=1,
                 attention_resolutions=(4,), middle_attention=True, dropout=0.0, groups=4)
unet.eval()
x = torch.randn(3, 1, 8, 8)
t = torch.tensor([0.0, 7.0, 19.0])
labels = torch.tensor([0, 2, 3])  # 3 is "no class"
with torch.no_grad():
    out = unet(x, t, labels)

tensors = {"unet." + k: v for k, v in unet.state_dict().items()}
tensors.update({"input.x": x, "input.timesteps": t, "input.labels": labels.to(torch.float32), "output": out})


def write_safetensors(path, tensors, metadata):
    header, data, offset = {"__metadata__": metadata}, b"", 0
    for name, tensor in tensors.items():
        raw = tensor.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unet-tiny.safetensors")
write_safetensors(path, tensors, {"torch": torch.__version__})
print("wrote", path, "with torch", torch.__version__, "-", len(tensors), "tensors")
