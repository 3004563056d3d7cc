#!/usr/bin/env python3
"""Writes the small seed corpora under Fuzz/Corpus/<target>/ from the repository's fixtures and recipes,
plus hand-built files for the variants the fixtures lack (PNG colour types, WAV sample formats, IDX
element types). Rerun after a format changes; the seeds are committed (keep them under 1 MB in all)."""
import glob, gzip, json, os, struct, wave, zlib, io

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
FIXTURES = os.path.join(ROOT, "Tests", "StudioTrainingTests", "Fixtures")


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def read_safetensors_metadata(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(length)).get("__metadata__", {})


# safetensors: each seam-contract checkpoint's metadata (model config, audio settings) with two small
# tensors, and one tensor of every dtype without metadata.
for path in sorted(glob.glob(os.path.join(FIXTURES, "seam-contract", "*.safetensors"))):
    meta = read_safetensors_metadata(path)
    put("safetensors", os.path.basename(path), safetensors({
        "net.0.weight": ("F32", [2, 3], struct.pack("<6f", *[0.5, -1, 2, 0, 0.25, 3])),
        "net.1.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
    }, meta))
sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
put("safetensors", "dtypes.safetensors", safetensors(
    {f"t.{d.lower()}": (d, [2], bytes(range(1, 2 * s + 1))) for d, s in sizes.items()}, {"format": "pt"}))
put("safetensors", "empty.safetensors", safetensors({}))

# IDX: the small label fixture, and a 2x3x3 array of every element type, raw and gzip.
put("idx", "t10k-labels-idx1-ubyte.gz", open(os.path.join(FIXTURES, "mnist-small", "t10k-labels-idx1-ubyte.gz"), "rb").read())
for code, fmt in [(0x08, "B"), (0x09, "b"), (0x0B, "h"), (0x0C, "i"), (0x0D, "f"), (0x0E, "d")]:
    raw = bytes([0, 0, code, 3]) + struct.pack(">3I", 2, 3, 3) + struct.pack(">18" + fmt, *range(18))
    put("idx", f"type-{code:02x}-idx3", raw)
    put("idx", f"type-{code:02x}-idx3.gz", gzip.compress(raw, mtime=0))
put("idx", "labels-idx1", bytes([0, 0, 8, 1]) + struct.pack(">I", 4) + bytes([0, 1, 2, 9]))


# PNG: the colour types, bit depths and ancillary chunks libpng's simplified reader converts.
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, depth, colour, rows, extra=b"", interlace=0):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    scan = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(scan)) + chunk(b"IEND", b"")


put("png", "gray8.png", png(4, 3, 8, 0, [bytes(range(r * 4, r * 4 + 4)) for r in range(3)]))
put("png", "gray16.png", png(2, 2, 16, 0, [b"\x00\x10\xff\xff", b"\x80\x00\x00\x01"]))
put("png", "gray1.png", png(8, 2, 1, 0, [b"\xa5", b"\x5a"]))
put("png", "rgb8.png", png(2, 2, 8, 2, [b"\xff\x00\x00\x00\xff\x00", b"\x00\x00\xff\x80\x80\x80"], chunk(b"gAMA", struct.pack(">I", 45455))))
put("png", "rgba8.png", png(2, 1, 8, 6, [b"\xff\x00\x00\x80\x00\xff\x00\xff"]))
put("png", "graya8.png", png(2, 1, 8, 4, [b"\x10\x80\xf0\xff"]))
put("png", "palette.png", png(3, 1, 8, 3, [b"\x00\x01\x02"], chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00\x00\x00\xff") + chunk(b"tRNS", b"\xff\x80")))
put("png", "gray8-trns.png", png(2, 1, 8, 0, [b"\x00\x7f"], chunk(b"tRNS", b"\x00\x7f") + chunk(b"tEXt", b"Comment\x00fuzz")))


# JPEG: the image-folder fixtures (baseline, progressive, gray, CMYK, truncated).
for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "StudioIOTests", "Fixtures", "images", "**", "*.jpg"), recursive=True)):
    put("jpeg", os.path.basename(path), open(path, "rb").read())


# Audio: the IO fixtures, and WAV files of each sample format libsndfile maps from RIFF.
for name in ["empty.wav", "garbage.wav", "stereo.flac", "mono.ogg"]:
    put("wav", name, open(os.path.join(ROOT, "Tests", "StudioIOTests", "Fixtures", name), "rb").read())
for width, channels in [(1, 1), (2, 1), (2, 2), (3, 1), (4, 1)]:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(bytes((i * 37) % 256 for i in range(16 * width * channels)))
    put("wav", f"pcm{8 * width}-{channels}ch.wav", buffer.getvalue())
samples = struct.pack("<8f", 0, 0.5, -0.5, 1, -1, 0.25, 0, 0.125)
fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
put("wav", "float32.wav", b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + 12 + 8 + len(samples)) + b"WAVE"
    + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, 8) + b"data" + struct.pack("<I", len(samples)) + samples)

# Recipes: every shipped recipe and the test fixtures' tiny ones.
for path in sorted(glob.glob(os.path.join(ROOT, "recipes", "*.toml")) + glob.glob(os.path.join(FIXTURES, "*.toml"))):
    put("recipe", os.path.basename(path), open(path, "rb").read())

# state.json: as Checkpoint.write encodes it, and a first checkpoint.
put("state", "state.json", json.dumps({"cursor": 64, "elapsedSeconds": 12.5, "epoch": 1, "seed": 42, "step": 500, "threads": 2}, indent=2))
put("state", "first.json", '{"step":0,"epoch":0,"cursor":0,"seed":18446744073709551615,"threads":1,"elapsedSeconds":0}')

# Manifests: the ones the seam-contract recordings hold (image, filtered, PNG, diffusion, audio jobs).
for path in sorted(glob.glob(os.path.join(FIXTURES, "seam-contract", "*.json"))):
    family = os.path.splitext(os.path.basename(path))[0]
    for key, text in json.load(open(path)).items():
        if key.endswith("/manifest.json"):
            put("manifest", f"{family}-{key.split('/')[0]}.json", text.replace("$ROOT", "/runs"))


# Dictionaries: the keys, tags and names each format is made of, for libFuzzer's -dict.
def json_keys(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            json_keys(item, found)
    elif isinstance(value, list):
        for item in value:
            json_keys(item, found)
    return found


def write_dict(target, tokens):
    os.makedirs(os.path.join(ROOT, "Fuzz", "Dictionaries"), exist_ok=True)
    with open(os.path.join(ROOT, "Fuzz", "Dictionaries", target + ".dict"), "w") as f:
        f.write(f"# {target}: generated by Fuzz/make_seeds.py\n")
        for token in sorted(tokens):
            f.write('"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\x{ord(c):02x}" for c in token) + '"\n')


def corpus_json(target, decode=lambda text: json.loads(text)):
    keys = set()
    for path in glob.glob(os.path.join(CORPUS, target, "*")):
        try:
            json_keys(decode(open(path, "rb").read()), keys)
        except ValueError:
            pass
    return keys


def safetensors_json(data):
    document = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
    for key, text in list(document.get("__metadata__", {}).items()):
        if text.startswith("{"):
            document["__metadata__"][key] = json.loads(text)
    return document


json_tokens = {"{", "}", "[", "]", ":", ",", "null", "true", "false", "-1", "1e308", "NaN", "\\u0000", "18446744073709551616"}
write_dict("safetensors", {f'"{k}"' for k in corpus_json("safetensors", safetensors_json)} | set(sizes) | json_tokens)
write_dict("state", {f'"{k}"' for k in corpus_json("state")} | json_tokens)
write_dict("manifest", {f'"{k}"' for k in corpus_json("manifest")} | json_tokens | {"genstudio-augment/1"})
recipe_keys = set()
for path in glob.glob(os.path.join(CORPUS, "recipe", "*.toml")):
    for line in open(path):
        line = line.strip()
        if line.startswith("["):
            recipe_keys.add(line.split("#")[0].strip())
        elif "=" in line and not line.startswith("#"):
            recipe_keys.add(line.split("=")[0].strip() + " = ")
write_dict("recipe", recipe_keys | {"[[", "]]", "\"\"\"", "'''", "inf", "nan", "-0", "1979-05-27T07:32:00Z", "0x7fffffffffffffff", "1e400", "true", "false"})
write_dict("png", {"\x89PNG\r\n\x1a\n", "IHDR", "IDAT", "IEND", "PLTE", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT",
                   "bKGD", "hIST", "pHYs", "sPLT", "tIME", "tEXt", "zTXt", "iTXt", "eXIf", "acTL", "fcTL", "\x00\x00\x00\x00"})
write_dict("jpeg", {"\xff\xd8", "\xff\xd9", "\xff\xe0", "\xff\xe1", "\xff\xee", "\xff\xdb", "\xff\xc0", "\xff\xc2",
                    "\xff\xc4", "\xff\xda", "\xff\xdd", "\xff\xfe", "JFIF\x00", "Exif\x00\x00", "Adobe", "\x00\x00"})
write_dict("wav", {"RIFF", "RIFX", "RF64", "WAVE", "fmt ", "data", "fact", "LIST", "INFO", "cue ", "smpl", "inst", "ds64",
                   "bext", "PEAK", "JUNK", "FORM", "AIFF", "AIFC", "COMM", "SSND", "fLaC", "OggS", "OpusHead", "\x01vorbis",
                   ".snd", "\x03\x00", "\x01\x00", "\xfe\xff", "\xff\xff\xff\xff"})
write_dict("idx", {"\x00\x00\x08\x01", "\x00\x00\x08\x03", "\x00\x00\x0d\x02", "\x00\x00\x0e\x04", "\x1f\x8b\x08\x00",
                   "\xff\xff\xff\xff", "\x00\x00\x00\x00", "\x7f\xff\xff\xff"})
