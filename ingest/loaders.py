"""Read survey verbatims and metric reports into records; bad rows are reported, not fatal."""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ingest.config import SourceSpec
from ingest.dates import ColumnDates, column_dates, looks_like_date, parse_column_date, parse_date
from ingest.errors import ColumnError, SourceError
from ingest.facts import direction_for, extract_facts, unit_for
from ingest.schema import MetricFact, Record, Rejected
from ingest.scores import LABEL, RANGE_TEXT, ScoreKind, bad_value_reason, fits, infer_kind
from ingest.seen import SeenSet
from ingest.textnorm import normalise

TABLE_EXTS = {".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".ndjson"}
DOC_EXTS = {".md", ".markdown", ".txt", ".pdf"}
SURVEY_EXTS = TABLE_EXTS
METRIC_EXTS = {".csv", ".tsv", ".xlsx"} | DOC_EXTS

TEXT_NAMES = (
    "text",
    "comment",
    "comments",
    "verbatim",
    "feedback",
    "review",
    "review text",
    "message",
    "body",
    "response",
    "answer",
    "content",
)
ID_NAMES = ("id", "record_id", "response_id", "tweet_id", "review_id", "ticket_id")
DATE_NAMES = (
    "date",
    "created",
    "created_at",
    "timestamp",
    "submitted",
    "submitted_at",
    "tweet_created",
    "time",
    "datetime",
    "responded_at",
)
SCORE_NAMES = ("score", "nps", "csat", "rating", "stars", "ces")
URL_NAMES = ("url", "link", "permalink")
SEGMENT_NAMES = (
    "segment",
    "region",
    "channel",
    "airline",
    "country",
    "store",
    "product",
    "category",
    "plan",
    "tier",
    "team",
    "market",
    "carrier",
    "brand",
)
PERIOD_NAMES = ("period", "month", "quarter", "week", "date", "year")

MAX_UNCOMPRESSED_XLSX = 200 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
csv.field_size_limit(256 * 1024 * 1024)  # oversized fields get our own clear error instead


@dataclass
class Table:
    """Rows of a tabular file as dicts, with the spreadsheet row number (header is row 1).

    ``head`` holds the first rows (enough to infer columns); ``rest`` streams the others, so a
    100 MB export is never held in memory. Rows rejected while streaming land in ``rejected``.
    """

    columns: list[str]
    head: list[tuple[int, dict[str, object]]]
    rest: Iterator[tuple[int, dict[str, object]]] | None = None
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)

    def iter_rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        yield from self.head
        if self.rest is not None:
            yield from self.rest


@dataclass
class LoadResult:
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)


def _check_file(path: Path, allowed: set[str], kind: str) -> None:
    if not path.exists():
        raise SourceError(str(path), "no such file.", "Check the path.")
    if not path.is_file():
        raise SourceError(str(path), "is not a file.")
    ext = path.suffix.lower()
    if ext not in allowed:
        raise SourceError(
            str(path),
            f"unknown file type '{ext or '(none)'}' for --kind {kind}.",
            f"Supported: {', '.join(sorted(allowed))}.",
        )
    if path.stat().st_size == 0:
        raise SourceError(str(path), "the file is empty.", "Export it again with its rows.")
    if ext in {".xlsx", ".pdf"}:
        return
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise SourceError(
            str(path),
            f"looks like a binary file, not {ext[1:].upper()} text.",
            "Export the data as UTF-8 text.",
        )
    if not head.strip() and path.stat().st_size <= SNIFF_BYTES:
        raise SourceError(str(path), "the file is empty.", "Export it again with its rows.")


def decode(path: Path, data: bytes) -> tuple[str, Rejected | None]:
    """UTF-8 (with or without BOM) first; otherwise Windows-1252 with a warning naming the line."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = data.decode("cp1252", errors="replace")
        warn = Rejected(
            source=path.name,
            row=f"line {line}",
            reason=(
                f"not UTF-8 (byte 0x{data[exc.start]:02x}); read as Windows-1252/Latin-1. "
                "Re-export as UTF-8 if accented characters look wrong."
            ),
        )
        return text, warn


def _unique_columns(raw: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(raw):
        name = (c or "").strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


HEAD_ROWS = 2000


def sniff_encoding(path: Path) -> tuple[str, Rejected | None]:
    """UTF-8 (BOM or not) when every byte decodes, else Windows-1252 with a warning naming the
    line of the first bad byte. Reads in 1 MB chunks: memory stays flat on big files."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk[: exc.start].count(b"\n") + 1
                return "cp1252", _encoding_warning(path, line, chunk[exc.start])
            lines += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252", _encoding_warning(path, lines + 1, None)
    return "utf-8-sig", None


def _encoding_warning(path: Path, line: int, byte: int | None) -> Rejected:
    what = f" (byte 0x{byte:02x})" if byte is not None else ""
    return Rejected(
        source=path.name,
        row=f"line {line}",
        reason=(
            f"not UTF-8{what}; read as Windows-1252/Latin-1. "
            "Re-export as UTF-8 if accented characters look wrong."
        ),
    )


def read_table(path: Path, allowed: set[str], kind: str, sheet: str | None = None) -> Table:
    _check_file(path, allowed, kind)
    ext = path.suffix.lower()
    if ext == ".xlsx":
        return _read_xlsx(path, sheet)
    encoding, warn = sniff_encoding(path)
    if ext in {".json"}:
        data = path.read_bytes()
        table = _read_json(path, data.decode(encoding, errors="replace"))
    elif ext in {".jsonl", ".ndjson"}:
        table = _read_jsonl(path, encoding)
    else:
        table = _read_csv(path, encoding, "\t" if ext == ".tsv" else None)
    if warn:
        table.warnings.insert(0, warn)
    return table


def _open_text(path: Path, encoding: str) -> TextIO:
    errors = "replace" if encoding == "cp1252" else "strict"
    return path.open(encoding=encoding, errors=errors, newline="")


def _read_csv(path: Path, encoding: str, delimiter: str | None) -> Table:
    fh = _open_text(path, encoding)
    if delimiter is None:
        first = fh.readline()
        fh.seek(0)
        try:
            delimiter = csv.Sniffer().sniff(first, ",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise SourceError(str(path), "the file is empty.") from None
    except csv.Error as exc:
        fh.close()
        raise SourceError(str(path), f"the header row is not valid CSV ({exc}).") from None
    columns = _unique_columns(header)
    table = Table(columns=columns, head=[])
    rows = _csv_rows(path, fh, reader, columns, table.rejected)
    table.head = list(itertools.islice(rows, HEAD_ROWS))
    table.rest = rows
    if not table.head and not table.rejected:
        raise SourceError(str(path), "has a header but no data rows.")
    return table


def _csv_rows(
    path: Path, fh: TextIO, reader: Any, columns: list[str], rejected: list[Rejected]
) -> Iterator[tuple[int, dict[str, object]]]:
    rownum = 1
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                rownum += 1
                rejected.append(
                    Rejected(source=path.name, row=str(rownum), reason=f"not valid CSV ({exc}).")
                )
                continue
            rownum += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                rejected.append(
                    Rejected(
                        source=path.name,
                        row=str(rownum),
                        reason=(
                            f"expected {len(columns)} fields, found {len(row)}. "
                            "Quote values that contain the delimiter or line breaks."
                        ),
                    )
                )
                continue
            yield rownum, dict(zip(columns, row, strict=True))
    finally:
        fh.close()


def _flatten(obj: dict[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v, ensure_ascii=False)
        else:
            out[key] = v
    return out


def _objects(
    path: Path, items: Iterable[tuple[int, object]], unit: str, rejected: list[Rejected]
) -> Iterator[tuple[int, dict[str, object]]]:
    for n, obj in items:
        if not isinstance(obj, dict):
            rejected.append(
                Rejected(source=path.name, row=f"{unit} {n}", reason="expected a JSON object.")
            )
            continue
        yield n, _flatten(obj)


def _table_from_stream(
    path: Path, rows: Iterator[tuple[int, dict[str, object]]], table: Table
) -> Table:
    table.head = list(itertools.islice(rows, HEAD_ROWS))
    table.rest = rows
    seen: dict[str, None] = {}
    for _, flat in table.head:
        for k in flat:
            seen.setdefault(k, None)
    table.columns = list(seen)  # keys first seen after the head are not columns
    return table


def _read_json(path: Path, text: str) -> Table:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            str(path), f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise SourceError(
                str(path), "expected a JSON list of objects, or an object holding one such list."
            )
        data = lists[0]
    if not isinstance(data, list) or not data:
        raise SourceError(str(path), "expected a non-empty JSON list of objects.")
    table = Table(columns=[], head=[])
    rows = _objects(path, enumerate(data, start=1), "item", table.rejected)
    table.head = list(rows)
    return _table_from_stream(path, iter(table.head), table)


def _jsonl_items(
    path: Path, encoding: str, rejected: list[Rejected]
) -> Iterator[tuple[int, object]]:
    with _open_text(path, encoding) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                rejected.append(
                    Rejected(
                        source=path.name, row=f"line {n}", reason=f"not valid JSON ({exc.msg})."
                    )
                )


def _read_jsonl(path: Path, encoding: str) -> Table:
    table = Table(columns=[], head=[])
    items = _jsonl_items(path, encoding, table.rejected)
    _table_from_stream(path, _objects(path, items, "line", table.rejected), table)
    if not table.head and not table.rejected:
        raise SourceError(str(path), "the file is empty.")
    return table


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise SourceError(
            str(path),
            "is not a readable XLSX file (truncated or corrupt?).",
            "Open it in Excel and save it again, or export CSV.",
        ) from None
    if total > MAX_UNCOMPRESSED_XLSX:
        raise SourceError(
            str(path),
            f"expands to {total / 1e6:,.0f} MB uncompressed (limit "
            f"{MAX_UNCOMPRESSED_XLSX / 1e6:,.0f} MB); refusing to open it.",
            "Export the sheet as CSV instead.",
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(
            str(path),
            f"is not a readable XLSX file ({type(exc).__name__}).",
            "Open it in Excel and save it again, or export CSV.",
        ) from None
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise SourceError(
                    str(path), f"has no sheet '{sheet}'.", f"Sheets: {', '.join(wb.sheetnames)}."
                )
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        columns: list[str] | None = None
        table = Table(columns=[], head=[])
        for n, row in enumerate(rows, start=1):
            values = list(row)
            if columns is None:
                if any(v not in (None, "") for v in values):
                    columns = _unique_columns([str(v) if v is not None else "" for v in values])
                    table.columns = columns
                continue
            if not any(v not in (None, "") for v in values):
                continue
            values = (values + [None] * len(columns))[: len(columns)]
            table.head.append(
                (n, {c: ("" if v is None else v) for c, v in zip(columns, values, strict=True)})
            )
    except zipfile.BadZipFile:
        raise SourceError(str(path), "is truncated or corrupt.", "Save it again.") from None
    finally:
        wb.close()
    if not table.head:
        raise SourceError(str(path), "has no data rows.")
    return table


# ---------------------------------------------------------------- column inference


def _str(v: object) -> str:
    return "" if v is None else str(v).strip()


def _is_number(s: str) -> bool:
    try:
        float(s.replace(",", "").rstrip("%"))
        return True
    except ValueError:
        return False


def _sample(table: Table, col: str, n: int = 500) -> list[str]:
    return [_str(r.get(col)) for _, r in table.head[:n] if _str(r.get(col))]


def _by_name(columns: list[str], names: tuple[str, ...]) -> list[str]:
    lowered = {c.lower().strip(): c for c in columns}
    return [lowered[n] for n in names if n in lowered]


def _require(table: Table, path: Path, col: str | None, what: str) -> str | None:
    if col is None:
        return None
    if col not in table.columns:
        raise ColumnError(
            str(path),
            f"has no column '{col}' (given as the {what} column).",
            f"Columns: {', '.join(table.columns)}.",
        )
    return col


def infer_text_column(table: Table, path: Path) -> str:
    candidates = []
    for c in table.columns:
        vals = _sample(table, c)
        if not vals:
            continue
        numeric = sum(_is_number(v) for v in vals) / len(vals)
        avg = sum(len(v) for v in vals) / len(vals)
        if numeric < 0.5 and avg >= 15:
            candidates.append(c)
    if len(candidates) == 1:
        return candidates[0]
    named = [c for c in _by_name(table.columns, TEXT_NAMES) if c in candidates or not candidates]
    if len(named) == 1:
        return named[0]
    if not candidates:
        raise ColumnError(
            str(path),
            "has no column that looks like free text.",
            f"Pass --text-column. Columns: {', '.join(table.columns)}.",
        )
    raise ColumnError(
        str(path),
        f"has several text-like columns ({', '.join(candidates)}); which one holds the verbatim?",
        "Pass --text-column NAME.",
    )


def infer_id_column(table: Table) -> str | None:
    named = _by_name(table.columns, ID_NAMES)
    for c in named + [c for c in table.columns if c.lower().endswith("_id") and c not in named]:
        vals = [_str(r.get(c)) for _, r in table.head]
        # a well-known id name is trusted (repeats are reported as duplicate ids); another
        # *_id column must be mostly unique to count as the record id
        if all(vals) and (c in named or len(set(vals)) >= 0.95 * len(vals)):
            return c
    return None


def infer_named(table: Table, names: tuple[str, ...], check) -> str | None:  # type: ignore[no-untyped-def]
    for c in _by_name(table.columns, names):
        vals = _sample(table, c, 200)
        if vals and sum(bool(check(v)) for v in vals) / len(vals) >= 0.8:
            return c
    return None


def infer_segment_columns(table: Table, exclude: set[str]) -> list[str]:
    out = []
    for c in table.columns:
        if c in exclude:
            continue
        lc = c.lower()
        if not any(
            lc == n or lc.endswith("_" + n) or lc.startswith(n + "_") for n in SEGMENT_NAMES
        ):
            continue
        vals = [_str(r.get(c)) for _, r in table.head if _str(r.get(c))]
        if vals and len(set(vals)) <= max(50, len(vals) // 20) and not all(map(_is_number, vals)):
            out.append(c)
    return out


# ---------------------------------------------------------------- surveys


@dataclass
class SurveyStream:
    """Records of one survey file, produced lazily; rejects and warnings fill in as it runs."""

    source: str
    records: Iterator[Record]
    rejected: list[Rejected]
    warnings: list[Rejected]
    score_kind: ScoreKind | None = None  # what the score column holds (ingest.scores)


def load_survey(path: Path, spec: SourceSpec, max_text_chars: int = 20_000) -> LoadResult:
    stream = iter_survey(path, spec, max_text_chars)
    records = list(stream.records)
    return LoadResult(records=records, rejected=stream.rejected, warnings=stream.warnings)


def iter_survey(path: Path, spec: SourceSpec, max_text_chars: int = 20_000) -> SurveyStream:
    """Validate the columns now (errors before any work), then stream the rows."""
    table = read_table(path, SURVEY_EXTS, "survey", spec.sheet)
    source = spec.name or path.name
    cols = spec.columns
    text_col = _require(table, path, cols.text, "text") or infer_text_column(table, path)
    id_col = _require(table, path, cols.id, "id") or infer_id_column(table)
    date_col = _require(table, path, cols.date, "date") or infer_named(
        table, DATE_NAMES, looks_like_date
    )
    score_col = _require(table, path, cols.score, "score") or infer_named(
        table, SCORE_NAMES, _is_number
    )
    url_col = _require(table, path, cols.url, "url") or infer_named(
        table, URL_NAMES, lambda v: v.startswith("http")
    )
    seg_cols = [_require(table, path, c, "segment") or c for c in cols.segments] or (
        infer_segment_columns(table, {text_col, id_col or "", date_col or ""})
    )

    dates = ColumnDates(order=None)
    if date_col:
        try:
            dates, warning = column_dates(
                date_col, _sample(table, date_col, HEAD_ROWS), spec.date_format
            )
        except ValueError as exc:
            raise SourceError(str(path), str(exc)) from None
        if warning:
            table.warnings.append(Rejected(source=source, field=date_col, reason=warning))
    score_kind = _score_kind(table, path, source, cols.score_kind, score_col)
    result = SurveyStream(source, iter(()), table.rejected, table.warnings, score_kind)
    result.records = _survey_records(
        table,
        result,
        source,
        spec,
        max_text_chars,
        (text_col, id_col, date_col, score_col, url_col, seg_cols),
        dates,
    )
    return result


def _score_kind(
    table: Table, path: Path, source: str, given: ScoreKind | None, score_col: str | None
) -> ScoreKind | None:
    """The kind set in the spec, else inferred from the column's name and first values; a
    column that fits no known scale is kept, with one warning saying how to set the kind."""
    if score_col is None:
        if given is not None:
            raise ColumnError(
                str(path),
                f"score_kind is {given} but there is no score column.",
                "Name it with --score-column (columns.score). "
                f"Columns: {', '.join(table.columns)}.",
            )
        return None
    if given is not None:
        return given
    values = []
    for v in _sample(table, score_col, HEAD_ROWS):
        try:
            values.append(float(v.replace(",", ".")))
        except ValueError:
            continue
    kind = infer_kind(score_col, values)
    if kind is None and values:
        scales = "; ".join(f"{LABEL[k]} {RANGE_TEXT[k]}" for k in ("nps", "csat", "stars"))
        table.warnings.append(
            Rejected(
                source=source,
                field=score_col,
                reason=f"the scores (from {min(values):g} to {max(values):g}) fit no known "
                f"scale ({scales}); they are kept, but key drivers need to know what they mean. "
                "Set columns.score_kind in sources.yaml or --score-kind (nps, csat, stars).",
            )
        )
    return kind


def _survey_records(
    table: Table,
    result: SurveyStream,
    source: str,
    spec: SourceSpec,
    max_text_chars: int,
    cols: tuple[Any, ...],
    dates: ColumnDates,
) -> Iterator[Record]:
    text_col, id_col, date_col, score_col, url_col, seg_cols = cols
    seen_ids = SeenSet()
    for rownum, row in table.iter_rows():
        raw_text = _str(row.get(text_col))
        text = normalise(raw_text)
        if not text:
            result.rejected.append(
                Rejected(source=source, row=str(rownum), field=text_col, reason="empty text.")
            )
            continue
        if len(text) > max_text_chars:
            result.rejected.append(
                Rejected(
                    source=source,
                    row=str(rownum),
                    field=text_col,
                    reason=(
                        f"text is {len(text):,} characters; the limit is {max_text_chars:,}. "
                        "Split it, or raise CXBOT_MAX_TEXT_CHARS."
                    ),
                )
            )
            continue
        if id_col:
            own = _str(row.get(id_col))
            if not own:
                result.rejected.append(
                    Rejected(source=source, row=str(rownum), field=id_col, reason="empty id.")
                )
                continue
            first = seen_ids.get(own)
            if first is not None:
                result.rejected.append(
                    Rejected(
                        source=source,
                        row=str(rownum),
                        field=id_col,
                        reason=f"duplicate id '{own}' (first seen at row {first}); "
                        "the first one is kept.",
                    )
                )
                continue
            seen_ids.add(own, rownum)
            rid = f"{source}:{own}"
        else:
            rid = f"{source}:row-{rownum}"
        date = None
        if date_col and _str(row.get(date_col)):
            date = parse_column_date(row.get(date_col), dates)
            if date is None:
                result.warnings.append(
                    Rejected(
                        source=source,
                        row=str(rownum),
                        field=date_col,
                        reason=f"'{_str(row.get(date_col))}' is not a date; kept without a date.",
                    )
                )
        score = None
        if score_col and _str(row.get(score_col)):
            raw = _str(row.get(score_col))
            try:
                score = float(raw.replace(",", "."))
            except ValueError:
                result.warnings.append(
                    Rejected(
                        source=source,
                        row=str(rownum),
                        field=score_col,
                        reason=f"'{raw}' is not a number; kept without a score. Fix the value "
                        "or leave it empty.",
                    )
                )
            if score is not None and result.score_kind and not fits(result.score_kind, score):
                result.warnings.append(
                    Rejected(
                        source=source,
                        row=str(rownum),
                        field=score_col,
                        reason=bad_value_reason(result.score_kind, raw),
                    )
                )
                score = None
        segments = dict(spec.segments)
        for c in seg_cols:
            v = normalise(_str(row.get(c)))
            if v:
                segments[c] = v
        url = _str(row.get(url_col)) if url_col else ""
        yield (
            Record(
                id=rid,
                kind="verbatim",
                source=source,
                text=text,
                location=f"row {rownum}",
                date=date,
                segments=segments,
                score=score,
                url=url if url.startswith(("http://", "https://")) else None,
            )
        )


# ---------------------------------------------------------------- metric reports


def _parse_value(s: str) -> tuple[float, str] | None:
    s = s.strip().replace(",", "")
    unit = ""
    if s.endswith("%"):
        unit, s = "%", s[:-1]
    try:
        return float(s), unit
    except ValueError:
        return None


def _fact_text(f: MetricFact) -> str:
    unit = f.unit if f.unit == "%" else (f" {f.unit}" if f.unit else "")
    where = ", ".join(x for x in (f.segment, f.period) if x)
    line = f"{f.metric}{f' ({where})' if where else ''}: {f.value:g}{unit}"
    if f.target is not None:
        line += f" (target {f.target:g}{unit})"
    return line


def load_metrics(path: Path, spec: SourceSpec, max_text_chars: int = 20_000) -> LoadResult:
    ext = path.suffix.lower()
    if ext in DOC_EXTS:
        _check_file(path, METRIC_EXTS, "metrics")
        return load_document(path, spec, max_text_chars)
    table = read_table(path, METRIC_EXTS, "metrics", spec.sheet)
    lower = {c.lower(): c for c in table.columns}
    if "metric" in lower and "value" in lower:
        return _load_long_metrics(path, spec, table, lower)
    return _load_wide_metrics(path, spec, table)


def _load_long_metrics(
    path: Path, spec: SourceSpec, table: Table, lower: dict[str, str]
) -> LoadResult:
    source = spec.name or path.name
    result = LoadResult(rejected=table.rejected, warnings=table.warnings)
    seg_col = spec.columns.segments[0] if spec.columns.segments else lower.get("segment")
    period_col = spec.columns.period or lower.get("period")
    for rownum, row in table.iter_rows():
        metric = normalise(_str(row.get(lower["metric"])))
        parsed = _parse_value(_str(row.get(lower["value"])))
        if not metric:
            result.rejected.append(
                Rejected(
                    source=source,
                    row=str(rownum),
                    field=lower["metric"],
                    reason="empty metric name.",
                )
            )
            continue
        if parsed is None:
            result.rejected.append(
                Rejected(
                    source=source,
                    row=str(rownum),
                    field=lower["value"],
                    reason=f"'{_str(row.get(lower['value']))}' is not a number.",
                )
            )
            continue
        value, unit = parsed
        unit = _str(row.get(lower.get("unit", ""), "")) or unit or unit_for(metric)
        target = None
        if "target" in lower and _str(row.get(lower["target"])):
            t = _parse_value(_str(row.get(lower["target"])))
            if t is None:
                result.warnings.append(
                    Rejected(
                        source=source,
                        row=str(rownum),
                        field=lower["target"],
                        reason="target is not a number; ignored.",
                    )
                )
            else:
                target = t[0]
        segment = normalise(_str(row.get(seg_col))) if seg_col else ""
        fixed_seg = next(iter(spec.segments.values()), None)
        fact = MetricFact(
            metric=metric,
            value=value,
            unit=unit,
            period=_str(row.get(period_col)) or None if period_col else None,
            segment=segment or fixed_seg,
            segment_key=seg_col if segment else None,
            target=target,
            direction=direction_for(metric),
        )
        result.records.append(
            Record(
                id=f"{source}:row-{rownum}",
                kind="metric",
                source=source,
                text=_fact_text(fact),
                location=f"row {rownum}",
                facts=[fact],
                date=parse_date(fact.period) if fact.period else None,
                segments={seg_col or "segment": fact.segment} if fact.segment else {},
            )
        )
    return result


def _load_wide_metrics(path: Path, spec: SourceSpec, table: Table) -> LoadResult:
    source = spec.name or path.name
    numeric = []
    for c in table.columns:
        vals = _sample(table, c)
        if vals and all(_parse_value(v) is not None for v in vals):
            numeric.append(c)
    metric_cols = spec.columns.metrics or [
        c
        for c in numeric
        if not c.lower().endswith(("_target", "target")) and not c.lower().startswith("target_")
    ]
    for c in metric_cols:
        _require(table, path, c, "metric")
    if not metric_cols:
        raise ColumnError(
            str(path),
            "has no numeric column to read as a metric.",
            f"Columns: {', '.join(table.columns)}. A long-form file needs 'metric' and 'value' "
            "columns; a wide one needs one numeric column per metric.",
        )
    text_cols = [c for c in table.columns if c not in numeric]
    period_col = _require(table, path, spec.columns.period, "period") or next(
        iter(_by_name(text_cols, PERIOD_NAMES)), None
    )
    if spec.columns.segments:
        seg_col = _require(table, path, spec.columns.segments[0], "segment")
    else:
        cands = [c for c in text_cols if c != period_col and c.lower() != "source"]
        named = [c for c in cands if any(n in c.lower() for n in SEGMENT_NAMES)]
        if len(cands) == 1:
            seg_col = cands[0]
        elif len(named) == 1:
            seg_col = named[0]
        elif not cands:
            seg_col = None
        else:
            raise ColumnError(
                str(path),
                f"which column names the segment? Candidates: {', '.join(cands)}.",
                "Pass --segment-column NAME.",
            )
    targets = {}
    for c in metric_cols:
        for t in (f"{c}_target", f"target_{c}"):
            if t in table.columns:
                targets[c] = t
    result = LoadResult(rejected=table.rejected, warnings=table.warnings)
    fixed_seg = next(iter(spec.segments.values()), None)
    for rownum, row in table.iter_rows():
        segment = normalise(_str(row.get(seg_col))) if seg_col else ""
        period = _str(row.get(period_col)) if period_col else ""
        for c in metric_cols:
            raw = _str(row.get(c))
            if not raw:
                continue
            parsed = _parse_value(raw)
            if parsed is None:
                result.rejected.append(
                    Rejected(
                        source=source, row=str(rownum), field=c, reason=f"'{raw}' is not a number."
                    )
                )
                continue
            target = None
            if c in targets and _str(row.get(targets[c])):
                t = _parse_value(_str(row.get(targets[c])))
                target = t[0] if t else None
            fact = MetricFact(
                metric=c,
                value=parsed[0],
                unit=parsed[1] or unit_for(c),
                period=period or None,
                segment=segment or fixed_seg,
                segment_key=seg_col,  # blank: no segment, not company-wide
                target=target,
                direction=direction_for(c),
            )
            result.records.append(
                Record(
                    id=f"{source}:row-{rownum}:{c}",
                    kind="metric",
                    source=source,
                    text=_fact_text(fact),
                    location=f"row {rownum}, column {c}",
                    facts=[fact],
                    date=parse_date(period) if period else None,
                    segments={seg_col or "segment": fact.segment} if fact.segment else {},
                )
            )
    return result


# ---------------------------------------------------------------- narrative documents


def _paragraphs(lines: list[str]) -> Iterator[tuple[int, int, str, str]]:
    """(first line, last line, heading in force, paragraph text) for each paragraph."""
    heading = ""
    buf: list[str] = []
    start = 0
    for n, line in enumerate(lines + [""], start=1):
        stripped = line.strip()
        is_heading = bool(re.match(r"^#{1,6}\s", stripped))
        is_item = bool(re.match(r"^([-*+]|\d+[.)])\s", stripped))
        if buf and (not stripped or is_heading or is_item):
            yield start, n - 1, heading, " ".join(buf)
            buf = []
        if is_heading:
            heading = stripped.lstrip("#").strip()
            continue
        if stripped:
            if not buf:
                start = n
            buf.append(re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped))


def load_document(path: Path, spec: SourceSpec, max_text_chars: int = 20_000) -> LoadResult:
    source = spec.name or path.name
    result = LoadResult()
    pages: list[tuple[str, list[str]]] = []
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(str(path))
            for i, page in enumerate(reader.pages, start=1):
                pages.append((f"page {i}", (page.extract_text() or "").splitlines()))
        except (PdfReadError, ValueError, KeyError, OSError) as exc:
            raise SourceError(str(path), f"is not a readable PDF ({exc}).") from None
    else:
        data = path.read_bytes()
        text, warn = decode(path, data)
        if warn:
            result.warnings.append(warn)
        pages.append(("", text.splitlines()))
    fixed_seg = next(iter(spec.segments.values()), None)
    for page_label, lines in pages:
        for first, last, heading, para in _paragraphs(lines):
            text = normalise(para)
            if not text:
                continue
            lines_label = f"line {first}" if first == last else f"lines {first}-{last}"
            location = f"{page_label}" if page_label else lines_label
            if len(text) > max_text_chars:
                text = text[:max_text_chars]
                result.warnings.append(
                    Rejected(
                        source=source, row=location, reason="paragraph truncated to the limit."
                    )
                )
            facts = extract_facts(text, heading=heading, default_segment=fixed_seg)
            rid = f"{source}:{(page_label + ':' if page_label else '')}L{first}"
            result.records.append(
                Record(
                    id=rid,
                    kind="metric",
                    source=source,
                    text=text,
                    location=location,
                    facts=facts,
                    segments=dict(spec.segments),
                )
            )
    if not result.records:
        raise SourceError(
            str(path), "contains no text.", "Is it a scanned PDF without a text layer?"
        )
    return result
