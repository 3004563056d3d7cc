#!/usr/bin/python3
"""Makes the JPEG and resize fixtures of StudioIOTests with Pillow (Debian's python3-pil):
JPEG files of one synthetic picture (baseline, progressive, grayscale, CMYK), the pixels Pillow
decodes from them, and Pillow's resize of a small pattern with BOX and BILINEAR.
Run from this folder: /usr/bin/python3 make_image_fixtures.py"""
import json
from PIL import Image

W, H = 24, 16
rgb = Image.new("RGB", (W, H))
rgb.putdata([((x * 10) % 256, (y * 15) % 256, ((x + y) * 6) % 256) for y in range(H) for x in range(W)])
rgb.save("photo.jpg", quality=92, subsampling=0)
rgb.save("photo-progressive.jpg", quality=92, subsampling=0, progressive=True)
rgb.convert("L").save("gray.jpg", quality=92)
rgb.convert("CMYK").save("cmyk.jpg", quality=92)
rgba = Image.new("RGBA", (2, 1))
rgba.putdata([(200, 100, 50, 255), (200, 100, 50, 128)])
rgba.save("rgba.png")
with open("truncated.jpg", "wb") as f:
    whole = open("photo.jpg", "rb").read()
    scan = whole.index(b"\xff\xda")  # start of scan: keep the headers and half the entropy-coded data
    f.write(whole[:(scan + len(whole)) // 2])


def flat(image):
    return [v for p in image.getdata() for v in (p if isinstance(p, tuple) else (p,))]


pattern = Image.new("L", (13, 9))
pattern.putdata([(x * 37 + y * 61 + x * y * 7) % 256 for y in range(9) for x in range(13)])
pattern_rgb = Image.merge("RGB", [pattern, pattern.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                  pattern.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])
filters = {"box": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR}
resizes = []
for source, name in [(pattern, "gray"), (pattern_rgb, "rgb")]:
    for size in [(5, 4), (20, 15), (13, 4), (6, 9)]:
        for fname, f in filters.items():
            resizes.append({"source": name, "filter": fname, "width": size[0], "height": size[1],
                            "pixels": flat(source.resize(size, f))})

fixture = {
    "photo": {"width": W, "height": H, "rgb": flat(Image.open("photo.jpg").convert("RGB"))},
    "progressive_rgb": flat(Image.open("photo-progressive.jpg").convert("RGB")),
    "gray_jpeg": flat(Image.open("gray.jpg")),
    "pattern": {"width": 13, "height": 9, "gray": flat(pattern), "rgb": flat(pattern_rgb)},
    "resizes": resizes,
}
with open("images.json", "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
