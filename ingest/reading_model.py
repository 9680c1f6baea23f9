"""The learned half of the reading: logistic regressions over the MiniLM vector of a verbatim
(plus a few rule features), fitted once by `python -m ingest.reading_train` and shipped as
package data (`ingest/models/reading.npz`), so ingest never trains and needs no scikit-learn.

Only numpy at run time: the standardisation is folded into the weights, so a chunk of 4,096
vectors is one matrix product per head.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.errors import ModelError

POLARITIES = ("negative", "neutral", "positive")
INTENTS = ("complaint", "request", "praise", "question", "other")


def default_path() -> Path:
    return Path(__file__).parent / "models" / "reading.npz"


@dataclass(frozen=True)
class Head:
    classes: tuple[str, ...]
    weights: np.ndarray  # (classes, features)
    bias: np.ndarray  # (classes,)

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = x @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class ReadingModel:
    """Which vectors it reads (``model_id``, ``dim``) and the two heads, over the features
    [vector, rule features] (the rule features' weight and the scaling are in the weights)."""

    model_id: str
    dim: int
    polarity: Head
    intent: Head
    meta: str = "{}"  # JSON: the chosen settings, their CV figures, the training set's sha256

    def fits(self, model_id: str, dim: int) -> bool:
        """Vectors from another embedder (OpenAI) mean nothing to these weights."""
        return model_id == self.model_id and dim == self.dim

    def features(self, vectors: np.ndarray, rules: np.ndarray) -> np.ndarray:
        return np.hstack([vectors.astype(np.float32), rules.astype(np.float32)])

    def save(self, path: Path) -> None:
        """Byte for byte the same file for the same weights (fixed zip timestamps)."""
        arrays = dict(
            model_id=np.array(self.model_id),
            dim=np.array(self.dim),
            meta=np.array(self.meta),
            pol_classes=np.array(self.polarity.classes),
            pol_w=self.polarity.weights.astype(np.float32),
            pol_b=self.polarity.bias.astype(np.float32),
            int_classes=np.array(self.intent.classes),
            int_w=self.intent.weights.astype(np.float32),
            int_b=self.intent.bias.astype(np.float32),
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, buf.getvalue())


def load(path: Path) -> ReadingModel:
    try:
        z = np.load(path, allow_pickle=False)
        return ReadingModel(
            model_id=str(z["model_id"]),
            dim=int(z["dim"]),
            polarity=Head(tuple(str(c) for c in z["pol_classes"]), z["pol_w"], z["pol_b"]),
            intent=Head(tuple(str(c) for c in z["int_classes"]), z["int_w"], z["int_b"]),
            meta=str(z["meta"]) if "meta" in z.files else "{}",
        )
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(
            f"The reading model {path} could not be read ({exc}).",
            "Reinstall cxbot, or regenerate it with `python -m ingest.reading_train`.",
        ) from None


@lru_cache(maxsize=1)
def bundled() -> ReadingModel:
    return load(default_path())
