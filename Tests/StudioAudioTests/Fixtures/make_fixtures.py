#!/usr/bin/python3
"""Golden STFT / inverse-STFT values from PyTorch for StudioAudioTests (run with Debian's torch 1.13):
    /usr/bin/python3 Tests/StudioAudioTests/Fixtures/make_fixtures.py
Writes stft.json beside this script. Conventions match STFT.swift: periodic Hann window of n_fft,
center=True, pad_mode="reflect", onesided, unnormalised."""
import json, math, os
import torch

torch.manual_seed(6)
here = os.path.dirname(os.path.abspath(__file__))
cases = []
for n_fft, hop, length in [(16, 4, 50), (32, 8, 97), (8, 2, 24)]:
    signal = torch.randn(length, dtype=torch.float64)
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(signal, n_fft, hop_length=hop, window=window, center=True,
                      pad_mode="reflect", return_complex=True)
    # A spectrogram that is not the transform of any signal: istft's least-squares answer.
    other = spec + 0.5 * torch.randn(spec.shape, dtype=torch.complex128)
    inverse = torch.istft(other, n_fft, hop_length=hop, window=window, center=True, length=length)
    cases.append({
        "fftSize": n_fft, "hopLength": hop,
        "signal": signal.tolist(),
        "real": spec.real.flatten().tolist(), "imaginary": spec.imag.flatten().tolist(),
        "bins": spec.shape[0], "frames": spec.shape[1],
        "otherReal": other.real.flatten().tolist(), "otherImaginary": other.imag.flatten().tolist(),
        "inverse": inverse.tolist(),
    })
with open(os.path.join(here, "stft.json"), "w") as f:
    json.dump({"torchVersion": torch.__version__, "cases": cases}, f)
