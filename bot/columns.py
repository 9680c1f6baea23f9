"""Compact per-record columns read from the catalog (SQLite or PostgreSQL) with a few grouped
queries.

The bot counts over arrays, never over row dicts: a text column becomes small int codes
(``Labels``), a JSON list column a bool mask per value, a JSON object column codes per key.
Each is read with one ``GROUP BY`` query whose row ids come back as one comma-joined string,
so no per-record Python object is made at any size.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from ingest.pgcatalog import dialect


class Labels:
    """A text column as int codes into ``names``; compares like a numpy array of str.

    ``labels == "verbatim"`` is a bool mask, ``labels[i]`` the value, ``labels[mask]`` an
    object array of values, ``labels.isin([...])`` a mask.
    """

    __slots__ = ("codes", "names", "_lookup", "_names_arr")

    def __init__(self, codes: np.ndarray, names: list[str]) -> None:
        self.codes = codes
        self.names = names
        self._lookup = {n: c for c, n in enumerate(names)}
        self._names_arr = np.array(names, dtype=object)

    def __len__(self) -> int:
        return len(self.codes)

    def code(self, value: object) -> int | None:
        return self._lookup.get(value)  # type: ignore[arg-type]

    def __eq__(self, value: object) -> np.ndarray:  # type: ignore[override]
        code = self._lookup.get(value)  # type: ignore[arg-type]
        if code is None:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == code

    def __ne__(self, value: object) -> np.ndarray:  # type: ignore[override]
        return ~(self == value)

    __hash__ = None  # type: ignore[assignment]

    def isin(self, values: Iterable[object]) -> np.ndarray:
        table = np.zeros(len(self.names), dtype=bool)
        for v in values:
            if (c := self._lookup.get(v)) is not None:  # type: ignore[arg-type]
                table[c] = True
        return table[self.codes]

    @overload
    def __getitem__(self, i: int | np.integer[Any]) -> str: ...
    @overload
    def __getitem__(self, i: slice | np.ndarray | list[int]) -> np.ndarray: ...
    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, (int, np.integer)):
            return self.names[int(self.codes[i])]
        return self._names_arr[self.codes[i]]

    def __iter__(self) -> Iterator[str]:
        names = self.names
        return (names[c] for c in self.codes.tolist())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self._names_arr[self.codes]
        return out if dtype is None else out.astype(dtype)

    def astype(self, dtype: Any) -> np.ndarray:
        return self.__array__(dtype)

    def tolist(self) -> list[str]:
        return list(self)


def rowid_list(joined: str | None) -> np.ndarray:
    """'3,1,2' (a group_concat of row ids) as an int64 array."""
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.array(joined.split(","), dtype=np.int64)


def all_rowids(db: Any) -> np.ndarray:
    key = dialect(db).key
    cur = db.execute(f"SELECT {key} FROM records ORDER BY {key}")
    return np.fromiter((r[0] for r in cur), dtype=np.int64)


def _positions(rowids: np.ndarray, joined: str | None) -> np.ndarray:
    return np.searchsorted(rowids, rowid_list(joined))


def text_column(db: Any, rowids: np.ndarray, column: str) -> Labels:
    """A TEXT column as ``Labels`` (names sorted; every record has a value)."""
    d = dialect(db)
    groups = db.execute(
        f"SELECT {column}, {d.ids(d.key)} FROM records GROUP BY {column} "
        f"ORDER BY {column}{d.collate}"
    ).fetchall()
    names = [str(v) if v is not None else "" for v, _ in groups]
    codes = np.zeros(len(rowids), dtype=np.int16 if len(names) > 127 else np.int8)
    for c, (_, joined) in enumerate(groups):
        codes[_positions(rowids, joined)] = c
    return Labels(codes, names)


def numeric_column(
    db: Any, rowids: np.ndarray, expr: str, dtype: Any, missing: float
) -> np.ndarray:
    """A numeric column (or SQL expression) per record, ``missing`` where it is NULL."""
    out = np.full(len(rowids), missing, dtype=dtype)
    d = dialect(db)
    groups = db.execute(
        f"SELECT {expr} AS v, {d.ids(d.key)} FROM records WHERE ({expr}) IS NOT NULL GROUP BY 1"
    )
    for v, joined in groups:
        out[_positions(rowids, joined)] = v
    return out


def list_masks(db: Any, rowids: np.ndarray, column: str) -> dict[str, np.ndarray]:
    """A JSON list column (themes, complaints): value -> bool mask of the records holding it."""
    out: dict[str, np.ndarray] = {}
    d = dialect(db)
    groups = db.execute(
        f"SELECT j.value, {d.ids('r.' + d.key)} FROM records r, {d.list_items(column, 'j')} "
        "GROUP BY j.value"
    )
    for value, joined in groups:
        m = np.zeros(len(rowids), dtype=bool)
        m[_positions(rowids, joined)] = True
        out[str(value)] = m
    return out


def object_codes(
    db: Any, rowids: np.ndarray, column: str
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, int]]]:
    """A JSON object column (segments): key -> int32 codes per record (0: absent or empty),
    and key -> value -> code, codes numbered in order of first appearance."""
    d = dialect(db)
    groups = db.execute(
        f"SELECT j.key, j.value, MIN(r.{d.key}) AS first, {d.ids('r.' + d.key)} "
        f"FROM records r, {d.object_items(column, 'j')} GROUP BY j.key, j.value "
        f"ORDER BY j.key{d.collate}, first"
    ).fetchall()
    codes: dict[str, np.ndarray] = {}
    index: dict[str, dict[str, int]] = {}
    for key, value, _, joined in groups:
        key = str(key)
        if key not in codes:
            codes[key] = np.zeros(len(rowids), dtype=np.int32)
            index[key] = {}
        if value is None or value == "":
            continue
        v = str(value)
        code = index[key].setdefault(v, len(index[key]) + 1)
        codes[key][_positions(rowids, joined)] = code
    return codes, index


def nonempty_list(db: Any, rowids: np.ndarray, column: str) -> np.ndarray:
    m = np.zeros(len(rowids), dtype=bool)
    d = dialect(db)
    (joined,) = db.execute(
        f"SELECT {d.ids(d.key)} FROM records WHERE {d.list_length(column)} > 0"
    ).fetchone()
    m[_positions(rowids, joined)] = True
    return m


@dataclass
class Columns:
    """Every per-record array the corpus counts over, in catalog (rowid) order."""

    rowids: np.ndarray
    ids: np.ndarray  # utf-8 bytes
    kind: Labels
    source: Labels
    intent: Labels
    polarity: np.ndarray
    score: np.ndarray
    dayn: np.ndarray
    themes: dict[str, np.ndarray]
    complaints: dict[str, np.ndarray]
    seg_codes: dict[str, np.ndarray]
    seg_index: dict[str, dict[str, int]]
    any_complaint: np.ndarray


def read_columns(db: Any) -> Columns:
    rowids = all_rowids(db)
    cur = db.execute(f"SELECT id FROM records ORDER BY {dialect(db).key}")
    ids = np.array([str(r[0]).encode("utf-8") for r in cur], dtype="S")
    seg_codes, seg_index = object_codes(db, rowids, "segments")
    return Columns(
        rowids=rowids,
        ids=ids,
        kind=text_column(db, rowids, "kind"),
        source=text_column(db, rowids, "source"),
        intent=text_column(db, rowids, "intent"),
        polarity=numeric_column(db, rowids, "polarity", np.int8, 0),
        score=numeric_column(db, rowids, "score", np.float64, np.nan),
        dayn=numeric_column(db, rowids, "CAST(replace(day, '-', '') AS INTEGER)", np.int32, 0),
        themes=list_masks(db, rowids, "themes"),
        complaints=list_masks(db, rowids, "complaints"),
        seg_codes=seg_codes,
        seg_index=seg_index,
        any_complaint=nonempty_list(db, rowids, "complaints"),
    )


def save_columns(path: Path, cols: Columns) -> None:
    """One .npz per index version, so a restart skips the column queries. Best effort."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"labels": {}, "themes": [], "complaints": [], "segments": []}
    for name in ("rowids", "ids", "polarity", "score", "dayn", "any_complaint"):
        arrays[name] = getattr(cols, name)
    for name in ("kind", "source", "intent"):
        lab: Labels = getattr(cols, name)
        arrays[f"{name}.codes"] = lab.codes
        meta["labels"][name] = lab.names
    for group in ("themes", "complaints", "seg_codes"):
        for n, (k, a) in enumerate(getattr(cols, group).items()):
            arrays[f"{group}.{n}"] = a
            meta.setdefault(f"{group}.keys", []).append(k)
    meta["seg_index"] = cols.seg_index
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("columns-*.npz"):
            old.unlink(missing_ok=True)
        with tmp.open("wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def load_columns(path: Path) -> Columns | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            a = {k: z[k] for k in z.files if k != "meta"}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # unreadable (a crash mid-write, another numpy): read the catalog again

    def group(name: str) -> dict[str, np.ndarray]:
        return {k: a[f"{name}.{n}"] for n, k in enumerate(meta.get(f"{name}.keys", []))}

    labels = {n: Labels(a[f"{n}.codes"], meta["labels"][n]) for n in ("kind", "source", "intent")}
    return Columns(
        rowids=a["rowids"],
        ids=a["ids"],
        polarity=a["polarity"],
        score=a["score"],
        dayn=a["dayn"],
        any_complaint=a["any_complaint"],
        themes=group("themes"),
        complaints=group("complaints"),
        seg_codes=group("seg_codes"),
        seg_index=meta["seg_index"],
        **labels,
    )
