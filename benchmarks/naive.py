"""The naive baseline a user would write: langchain's Chroma vector store with Chroma's stock
ONNX MiniLM embedding function, adding the same texts.

The stock function downloads its model on first use; there is no internet here, so it is
pointed at the very files cxbot uses (the int8 model.onnx, the MiniLM tokenizer files) through
its DOWNLOAD_PATH, and its download method is replaced by one that refuses. Same model, same
texts: what differs is the stock function (one tokenizer call per text, every batch padded to
256 tokens) and langchain's plumbing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

STOCK_FILES = (
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)


def offline_model_dir(root: Path) -> Path:
    """DOWNLOAD_PATH for ONNXMiniLM_L6_V2 with every file it looks for, linked to ours."""
    from ingest.embedder import default_model_path, default_tokenizer_path

    home = root / "all-MiniLM-L6-v2"
    onnx = home / "onnx"
    onnx.mkdir(parents=True, exist_ok=True)
    links = {"model.onnx": default_model_path()}
    tok_dir = default_tokenizer_path().parent
    links.update({name: tok_dir / name for name in STOCK_FILES})
    for name, target in links.items():
        dst = onnx / name
        if not dst.exists():
            os.symlink(target, dst)
    return home


def _refuse(*_: Any, **__: Any) -> None:
    raise RuntimeError("the naive baseline must not download anything")


def stock_embeddings(model_home: Path) -> Any:
    """A langchain Embeddings over Chroma's stock ONNX function (what a user would wrap)."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
    from langchain_core.embeddings import Embeddings

    ONNXMiniLM_L6_V2.DOWNLOAD_PATH = model_home
    ONNXMiniLM_L6_V2._download = _refuse  # type: ignore[method-assign]

    class StockOnnx(Embeddings):
        def __init__(self) -> None:
            self.ef = ONNXMiniLM_L6_V2()

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [v.tolist() for v in self.ef(texts)]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    return StockOnnx()


def run_naive(
    texts: list[str], ids: list[str], metas: list[dict[str, Any]], workdir: Path
) -> dict[str, Any]:
    """Time langchain Chroma.add_texts of the texts into a fresh persistent store."""
    from langchain_chroma import Chroma

    emb = stock_embeddings(offline_model_dir(workdir / "stock-model"))
    t0 = time.perf_counter()
    store = Chroma(
        collection_name="naive",
        embedding_function=emb,
        persist_directory=str(workdir / "naive-chroma"),
        collection_metadata={"hnsw:space": "cosine"},
    )
    store.add_texts(texts, metadatas=metas, ids=ids)
    seconds = time.perf_counter() - t0
    got = store._collection.get(ids=ids, include=["embeddings"])  # noqa: SLF001
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    vectors = np.asarray([by_id[i] for i in ids], dtype=np.float32)
    return {"records": len(texts), "seconds": seconds, "vectors": vectors}
