"""Compact per-record columns read from the SQLite catalog with a few grouped queries.

The bot counts over arrays, never over row dicts: a text column becomes small int codes
(``Labels``), a JSON list column a bool mask per value, a JSON object column codes per key.
Each is read with one ``GROUP BY`` query whose row ids come back as one comma-joined string,
so no per-record Python object is made at any size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, overload

import numpy as np


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


def all_rowids(db: sqlite3.Connection) -> np.ndarray:
    cur = db.execute("SELECT rowid FROM records ORDER BY rowid")
    return np.fromiter((r[0] for r in cur), dtype=np.int64)


def _positions(rowids: np.ndarray, joined: str | None) -> np.ndarray:
    return np.searchsorted(rowids, rowid_list(joined))


def text_column(db: sqlite3.Connection, rowids: np.ndarray, column: str) -> Labels:
    """A TEXT column as ``Labels`` (names sorted; every record has a value)."""
    groups = db.execute(
        f"SELECT {column}, group_concat(rowid) FROM records GROUP BY {column} ORDER BY {column}"
    ).fetchall()
    names = [str(v) if v is not None else "" for v, _ in groups]
    codes = np.zeros(len(rowids), dtype=np.int16 if len(names) > 127 else np.int8)
    for c, (_, joined) in enumerate(groups):
        codes[_positions(rowids, joined)] = c
    return Labels(codes, names)


def numeric_column(
    db: sqlite3.Connection, rowids: np.ndarray, expr: str, dtype: Any, missing: float
) -> np.ndarray:
    """A numeric column (or SQL expression) per record, ``missing`` where it is NULL."""
    out = np.full(len(rowids), missing, dtype=dtype)
    groups = db.execute(
        f"SELECT {expr} AS v, group_concat(rowid) FROM records WHERE v IS NOT NULL GROUP BY v"
    )
    for v, joined in groups:
        out[_positions(rowids, joined)] = v
    return out


def list_masks(db: sqlite3.Connection, rowids: np.ndarray, column: str) -> dict[str, np.ndarray]:
    """A JSON list column (themes, complaints): value -> bool mask of the records holding it."""
    out: dict[str, np.ndarray] = {}
    groups = db.execute(
        f"SELECT j.value, group_concat(r.rowid) FROM records r, json_each(r.{column}) j "
        "GROUP BY j.value"
    )
    for value, joined in groups:
        m = np.zeros(len(rowids), dtype=bool)
        m[_positions(rowids, joined)] = True
        out[str(value)] = m
    return out


def object_codes(
    db: sqlite3.Connection, rowids: np.ndarray, column: str
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, int]]]:
    """A JSON object column (segments): key -> int32 codes per record (0: absent or empty),
    and key -> value -> code, codes numbered in order of first appearance."""
    groups = db.execute(
        f"SELECT j.key, j.value, MIN(r.rowid) AS first, group_concat(r.rowid) "
        f"FROM records r, json_each(r.{column}) j GROUP BY j.key, j.value ORDER BY j.key, first"
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


def nonempty_list(db: sqlite3.Connection, rowids: np.ndarray, column: str) -> np.ndarray:
    m = np.zeros(len(rowids), dtype=bool)
    (joined,) = db.execute(
        f"SELECT group_concat(rowid) FROM records WHERE json_array_length({column}) > 0"
    ).fetchone()
    m[_positions(rowids, joined)] = True
    return m
