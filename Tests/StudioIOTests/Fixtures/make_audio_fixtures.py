#!/usr/bin/python3
"""Small audio files for AudioFileTests, written with libsndfile through Debian's python3-soundfile:
    /usr/bin/python3 Tests/StudioIOTests/Fixtures/make_audio_fixtures.py
stereo.flac   22050 Hz, 2 channels, 16-bit: left a 440 Hz sine at 0.5, right a 1 kHz sine at 0.25
mono.ogg      16000 Hz Vorbis, a 300 Hz sine at 0.5 (lossy: tests compare loosely)
empty.wav     a valid WAV header with no frames
garbage.wav   text that is not audio
audio.json    the FLAC's expected mono mixdown (the 16-bit values / 32768, averaged)"""
import json, os
import numpy as np
import soundfile as sf

here = os.path.dirname(os.path.abspath(__file__))
n = 1000
t = np.arange(n) / 22050
left = np.round(0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
right = np.round(0.25 * np.sin(2 * np.pi * 1000 * t) * 32767).astype(np.int16)
sf.write(os.path.join(here, "stereo.flac"), np.stack([left, right], axis=1), 22050, subtype="PCM_16")
t16 = np.arange(1600) / 16000
sf.write(os.path.join(here, "mono.ogg"), 0.5 * np.sin(2 * np.pi * 300 * t16), 16000, format="OGG", subtype="VORBIS")
sf.write(os.path.join(here, "empty.wav"), np.zeros((0,), dtype=np.int16), 8000, subtype="PCM_16")
with open(os.path.join(here, "garbage.wav"), "w") as f:
    f.write("this is not a RIFF file\n")
mono = ((left.astype(np.float64) / 32768 + right.astype(np.float64) / 32768) / 2).astype(np.float32)
with open(os.path.join(here, "audio.json"), "w") as f:
    json.dump({"flacSampleRate": 22050, "flacMono": mono.tolist()}, f)
