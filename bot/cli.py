"""`cxbot`: ingest, ask, gaps, drivers, stats, serve. Library errors become one clear line and an
exit code: 0 ok, 1 finished but some rows/files were rejected (or not enough evidence), 2 nothing
done."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from ingest.config import ColumnMap, Settings, SourceSpec, load_sources_config
from ingest.errors import ConfigError, CxbotError, QuestionError
from ingest.scores import KINDS

T = TypeVar("T")

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="cxbot: where do customers disagree with our numbers? Cited answers.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def settings() -> Settings:
    return Settings()


def fail(exc: CxbotError, code: int = 2) -> NoReturn:
    err.print(f"[bold red]Error:[/] {exc}", markup=True)
    raise typer.Exit(code)


def guarded(fn: Callable[..., T], *args: Any) -> T:
    """A library call whose typed error becomes the CLI's one clear line (exit 2)."""
    try:
        return fn(*args)
    except CxbotError as exc:
        fail(exc)


@app.command()
def ingest(
    files: Annotated[list[Path] | None, typer.Argument(help="Files to ingest.")] = None,
    kind: Annotated[str | None, typer.Option(help="survey or metrics")] = None,
    config: Annotated[Path | None, typer.Option(help="sources.yaml listing the sources.")] = None,
    id_column: Annotated[str | None, typer.Option()] = None,
    text_column: Annotated[str | None, typer.Option()] = None,
    date_column: Annotated[str | None, typer.Option()] = None,
    score_column: Annotated[str | None, typer.Option()] = None,
    score_kind: Annotated[
        str | None,
        typer.Option(
            help="What the score column holds: nps (0-10), csat (1-5, share of 4-5) or stars "
            "(1-5, mean). Default: from the column's name and values."
        ),
    ] = None,
    segment_column: Annotated[list[str] | None, typer.Option()] = None,
    period_column: Annotated[str | None, typer.Option()] = None,
    metric_column: Annotated[list[str] | None, typer.Option()] = None,
    name: Annotated[str | None, typer.Option(help="Source name (default: file name).")] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            help="How the date column is written: dmy (27/04/2023), mdy (04/27/2023) or a "
            "strptime format. Default: decided from the column's values."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Rebuild the whole index into a new generation; the current one answers until "
            "it is complete. Give every source (e.g. --config).",
        ),
    ] = False,
) -> None:
    """Load, clean, enrich and index survey verbatims or metric reports (incremental)."""
    from ingest.pipeline import Job, run_ingest

    try:
        s = settings()
        jobs: list[Job] = []
        gap_cfg = None
        if config:
            cfg = load_sources_config(config)
            jobs = [Job(spec, config.parent) for spec in cfg.sources]
            gap_cfg = cfg.model_dump(include={"metric_themes", "metric_directions", "aliases"})
        if files:
            if kind not in ("survey", "metrics"):
                raise ConfigError("--kind must be 'survey' or 'metrics' when files are given.")
            if score_kind is not None and score_kind not in KINDS:
                raise ConfigError(
                    f"--score-kind '{score_kind}' is not one of {', '.join(KINDS)}.",
                    "nps: 0-10; csat: 1-5, the share of 4-5; stars: 1-5, the mean.",
                )
            cols = ColumnMap(
                id=id_column,
                text=text_column,
                date=date_column,
                score=score_column,
                score_kind=score_kind,  # type: ignore[arg-type]
                segments=segment_column or [],
                period=period_column,
                metrics=metric_column or [],
            )
            for f in files:
                spec = SourceSpec(
                    kind=kind,  # type: ignore[arg-type]
                    path=str(f),
                    name=name,
                    columns=cols,
                    date_format=date_format,
                )
                jobs.append(Job(spec))
        if not jobs:
            raise ConfigError(
                "Nothing to ingest.",
                "Give FILE... --kind survey|metrics, or --config sources.yaml.",
            )
        summary = _run_with_progress(run_ingest, jobs, s, gap_cfg, rebuild)
        if summary.added or summary.updated or summary.removed:
            from bot.warm import warm

            warm(s)  # best effort: the first question after this ingest finds caches ready
    except CxbotError as exc:
        fail(exc)
    if as_json:
        out.print_json(summary.model_dump_json())
    else:
        _print_summary(summary)
        if rebuild and summary.files:
            out.print(f"Rebuilt: index generation {summary.generation} now answers.")
    if not summary.files:
        raise typer.Exit(2)
    if not summary.ok:
        raise typer.Exit(1)


def _run_with_progress(run: Any, jobs: Any, s: Settings, gap_cfg: Any, rebuild: bool) -> Any:
    if not sys.stderr.isatty():
        return run(jobs, s, gap_config=gap_cfg, rebuild=rebuild)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = None

        def progress(stage: str, advance: int, total: int) -> None:
            nonlocal task
            if stage != "embed":
                return
            if task is None:
                task = bar.add_task("Records processed", total=None)
            bar.update(task, completed=total)

        return run(jobs, s, progress, gap_config=gap_cfg, rebuild=rebuild)


def _print_summary(summary: Any) -> None:
    out.print(
        f"Ingested {len(summary.files)} file(s) in {summary.seconds:.1f}s: "
        f"{summary.added:,} added, {summary.updated:,} updated, {summary.unchanged:,} unchanged, "
        f"{summary.removed:,} removed, {summary.duplicates:,} duplicates dropped, "
        f"{len(summary.rejected):,} rejected."
    )
    if summary.skipped:
        out.print(
            f"Not re-read, their files unchanged since the last ingest: "
            f"{', '.join(summary.skipped)} (`--rebuild` reads everything).",
            markup=False,
        )
    if summary.themes:
        out.print(f"Themes: {summary.themes} (`cxbot themes list` to review and rename).")
    if summary.reading:
        out.print(f"Reading: {summary.reading}.")
    for f in summary.failed_files:
        err.print(f"[red]File not ingested:[/] {f}")
    for r in summary.rejected[:20]:
        err.print(f"[yellow]Rejected:[/] {r}")
    if len(summary.rejected) > 20:
        err.print(f"... and {len(summary.rejected) - 20:,} more rejected rows (use --json).")
    for w in summary.warnings[:10]:
        err.print(f"[yellow]Warning:[/] {w}")
    if len(summary.warnings) > 10:
        err.print(f"... and {len(summary.warnings) - 10:,} more warnings (use --json).")


def render_answer(a: Any) -> None:
    out.print(a.answer)
    for c in a.caveats:
        out.print(f"Caveat: {c}", markup=False)
    if a.citations:
        out.print("\nSources:")
        for c in a.citations:
            meta = ", ".join(x for x in (c.segment, c.date or "", f"{c.source} {c.location}") if x)
            text = c.text if len(c.text) <= 300 else c.text[:297] + "..."
            out.print(f'  [{c.n}] "{text}" ({meta})', markup=False)
    out.print(f"\n{a.freshness}", style="dim")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    segment: Annotated[list[str] | None, typer.Option(help="Only this segment value.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Citations at most.")] = 8,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer a question with figures and numbered citations."""
    from bot.engine import Engine

    try:
        a = Engine(settings()).ask(question, segment=segment, limit=limit)
    except QuestionError as exc:
        fail(exc)
    except CxbotError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(a.as_dict(), ensure_ascii=False, indent=2))
    else:
        render_answer(a)
    if not a.enough_evidence:
        raise typer.Exit(1)


@app.command()
def gaps(
    metric: Annotated[
        str | None, typer.Option(help="Only metrics whose name contains this.")
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    explain: Annotated[
        bool, typer.Option(help="Show metric-theme links and segment matches.")
    ] = False,
) -> None:
    """Perception gaps: where customers disagree with the internal metrics."""
    from bot.analysis.gaps import analyse, render_gaps_text
    from bot.engine import Engine

    try:
        engine = Engine(settings())
        report = analyse(engine, metric=metric, segment=segment)
    except CxbotError as exc:
        fail(exc)
    if as_json:
        from bot.analysis.gaps import cite_gaps, cite_score_gaps
        from bot.citations import CitationBook

        book = CitationBook(engine.corpus(), 50)  # both sides of each gap, as the text cites
        cite_gaps(engine, report, book, None, max_gaps=len(report.gaps))
        cite_score_gaps(engine, report, book, max_items=len(report.scores))
        print(json.dumps(report.as_dict(engine, explain), ensure_ascii=False, indent=2))
    else:
        out.print(render_gaps_text(engine, report, explain), markup=False)
    if not report.gaps and not report.score_disagreements:
        raise typer.Exit(1)


@app.command()
def drivers(
    score: Annotated[
        str | None,
        typer.Option(help="Which score, when several exist: nps, csat, stars or a source name."),
    ] = None,
    segment: Annotated[list[str] | None, typer.Option(help="Only this segment value.")] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Key drivers: which themes cost the score (NPS, CSAT, stars) most, with n, intervals and
    low-score verbatims quoted."""
    from bot.analysis.drivers import NoScore, cite_drivers, render_drivers_text
    from bot.analysis.drivers import drivers as key_drivers
    from bot.citations import CitationBook, freshness
    from bot.engine import Engine
    from bot.filters import Filters

    try:
        engine = Engine(settings())
        corpus = engine.corpus()
        f = Filters(
            segments=_segments(corpus, segment or []),
            since=_day(since, "--since"),
            until=_day(until, "--until"),
        )
        report = key_drivers(engine, f, score=score)
    except NoScore as exc:
        fail(exc, 1)
        return
    except CxbotError as exc:
        fail(exc)
    enough = report.score.n >= engine.settings.min_segment_n
    if as_json:
        book = CitationBook(corpus, 40)
        if enough:
            cite_drivers(engine, report, book, top=len(report.drivers))
        doc = report.as_dict()
        doc["citations"] = [c.as_dict() for c in book.items]
        doc["freshness"] = freshness(corpus)
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        out.print(render_drivers_text(engine, report), markup=False)
        out.print(f"\n{freshness(corpus)}", style="dim")
    if not enough:
        raise typer.Exit(1)


def _segments(corpus: Any, values: list[str]) -> dict[str, list[str]]:
    """--segment VALUE -> {key: [values]}, matched case-insensitively to the verbatims' own."""
    out: dict[str, list[str]] = {}
    for v in values:
        hits = [
            (key, known)
            for key, vals in corpus.segment_values.items()
            for known in vals
            if known.casefold() == v.strip().casefold()
        ]
        if not hits:
            sample = ", ".join(x for vals in corpus.segment_values.values() for x in vals[:5])
            raise ConfigError(
                f"No verbatims have the segment value '{v}'.",
                f"Some values: {sample or '(no segments indexed)'}.",
            )
        for key, known in hits[:1]:
            out.setdefault(key, []).append(known)
    return out


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What is indexed: counts by kind, source, segment and theme."""
    from bot.analysis.overview import index_stats

    try:
        data = index_stats(settings())
    except CxbotError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(
        f"{data['records']:,} records ({data['verbatims']:,} verbatims, "
        f"{data['metric_lines']:,} metric lines), index version {data['version']}"
        f"{' of generation ' + str(data['generation']) if data['generation'] else ''}, "
        f"last indexed {data['last_indexed']}."
    )
    out.print(f"Verbatims dated {data['date_from']} to {data['date_to']}.")
    for s in data["sources"]:
        out.print(
            f"  source {s['source']} ({s['kind']}): {s['records']:,} records, "
            f"indexed {s['indexed_at']}"
        )
    for key, counts in data["segments"].items():
        top = ", ".join(f"{v} {n:,}" for v, n in list(counts.items())[:10])
        out.print(f"  {key}: {top}")
    out.print("  themes: " + ", ".join(f"{t} {n:,}" for t, n in data["themes"].items()))


@app.command()
def remove(
    source: Annotated[str, typer.Argument(help="Source name, as `cxbot stats` lists it.")],
) -> None:
    """Delete every record of one source from the index (and nothing else)."""
    from ingest.pipeline import remove_source

    try:
        n = remove_source(settings(), source)
    except CxbotError as exc:
        fail(exc)
    out.print(f"Removed {n:,} records of '{source}'.")


@app.command()
def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Events API over HTTP, not Socket Mode.")
    ] = False,
    port: Annotated[int, typer.Option(help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option(help="HTTP bind address.")] = "0.0.0.0",
) -> None:
    """Run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, else --http)."""
    from bot.slack.serve import run

    try:
        run(settings(), http=http, host=host, port=port)
    except CxbotError as exc:
        fail(exc)


def _day(value: str | None, flag: str) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} '{value}' is not a date.", "Use YYYY-MM-DD.") from None


@app.command()
def digest(
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="Post here (default: CXBOT_DIGEST_CHANNELS).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print it; post nothing.")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="With --dry-run: write blocks and chart here.")
    ] = None,
) -> None:
    """The weekly digest: this period against the previous one (default: the last 7 days of
    data), with the biggest gaps and cited evidence; posted to Slack or, with --dry-run, shown."""
    from bot.digest.build import build_digest, digest_blocks, render_text
    from bot.engine import Engine

    try:
        s = settings()
        first, last = _day(since, "--since"), _day(until, "--until")
        if not dry_run:
            from bot.digest.post import DigestPoster

            targets = channel or s.digest_channels
            if not targets:
                raise ConfigError(
                    "No channel to post the digest to.",
                    "Give --channel C0123ABC, set CXBOT_DIGEST_CHANNELS='[\"C0123ABC\"]', "
                    "or use --dry-run.",
                )
            outcomes = DigestPoster(s).run(targets, first, last)
            for o in outcomes:
                detail = f" (ts {o.message_ts})" if o.message_ts and o.status == "posted" else ""
                error = f": {o.error}" if o.error else ""
                out.print(f"{o.channel}: {o.status}{detail}{error}", markup=False)
            if any(o.status == "failed" for o in outcomes):
                raise typer.Exit(1)
            return
        d = build_digest(Engine(s), first, last)
        out.print(render_text(d), markup=False)
        if out_dir is not None:
            from bot.digest.chart import chart_png

            out_dir.mkdir(parents=True, exist_ok=True)
            blocks, text = digest_blocks(d)
            (out_dir / "digest.json").write_text(
                json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
            (out_dir / "digest-figures.json").write_text(
                json.dumps(d.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            written = ["digest.json", "digest-figures.json"]
            png = chart_png(d)
            if png:
                (out_dir / "digest.png").write_bytes(png)
                written.append("digest.png")
            err.print(f"Wrote {', '.join(written)} to {out_dir}.", markup=False)
        if not d.enough:
            raise typer.Exit(1)
    except OSError as exc:
        fail(ConfigError(f"Cannot write to {out_dir}: {exc.strerror or exc}."))
    except CxbotError as exc:
        fail(exc)


@app.command()
def examples(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write them.")] = Path("examples"),
) -> None:
    """(Re)write the bundled fictional example data set."""
    from bot.examples import write_examples

    for p in write_examples(out_dir):
        out.print(f"wrote {p}")


themes_app = typer.Typer(
    no_args_is_help=True,
    help="The themes answers count: list, show, discover, rename, merge, split, export, apply.",
)
app.add_typer(themes_app, name="themes")
JsonOpt = Annotated[bool, typer.Option("--json")]


def _change(change: Any, as_json: bool, **extra: Any) -> None:
    if as_json:
        data = {
            "records_rethemed": change.records,
            "added": change.added,
            "coverage_before": change.before.share if change.before else None,
            "coverage_after": change.after.share if change.after else None,
            **extra,
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    line = change.line()
    out.print(f"Re-themed {change.records:,} records from their stored vectors. {line}".strip())


@themes_app.command("list")
def themes_list(as_json: JsonOpt = False) -> None:
    """Every theme: complaints, verbatims, parent, and whether it was discovered."""
    from ingest.theme_edits import coverage_line, theme_rows

    rows, cov = guarded(theme_rows, settings()), guarded(coverage_line, settings())
    if as_json:
        print(json.dumps({"themes": rows, "coverage": cov}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        tag = " (discovered)" if r["discovered"] else ""
        under = f" under {r['parent']}" if r["parent"] and r["parent"] != r["label"] else ""
        out.print(
            f"{r['id']:<28} {r['label']}{tag}{under}: {r['complaints']:,} complaints "
            f"({100 * r['share_of_complaints']:.1f}%), {r['verbatims']:,} verbatims"
        )
    out.print(cov)


@themes_app.command("show")
def themes_show(theme: str, as_json: JsonOpt = False) -> None:
    """One theme: its description, keywords and example verbatims."""
    from ingest.theme_edits import describe

    d = guarded(describe, settings(), theme)
    if as_json:
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return
    out.print(f"{d['id']}: {d['label']}{' (discovered)' if d['discovered'] else ''}")
    out.print(f"  {d['description']}")
    out.print(f"  {d['complaints']:,} complaints, {d['verbatims']:,} verbatims")
    for e in d["examples"][:6]:
        out.print(f"  - {e}")


@themes_app.command("discover")
def themes_discover(as_json: JsonOpt = False) -> None:
    """Cluster the complaints no theme covers into new themes and re-theme every record."""
    from ingest.theme_edits import discover

    change = guarded(discover, settings())
    _change(change, as_json)


@themes_app.command("rename")
def themes_rename(theme: str, label: str, as_json: JsonOpt = False) -> None:
    """Give a theme a new name (its id stays)."""
    from ingest.theme_edits import rename

    tid, change = guarded(rename, settings(), theme, label)
    _change(change, as_json, theme=tid, label=label)


@themes_app.command("merge")
def themes_merge(
    themes: Annotated[list[str], typer.Argument(help="Two or more; the first one absorbs.")],
    label: Annotated[str | None, typer.Option("--label", help="Name of the merged theme.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge themes into the first one named."""
    from ingest.theme_edits import merge

    tid, change = guarded(merge, settings(), themes, label)
    _change(change, as_json, theme=tid)


@themes_app.command("split")
def themes_split(
    theme: str,
    parts: Annotated[int, typer.Option("--parts")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Cluster one theme's verbatims into --parts themes under it."""
    from ingest.theme_edits import split

    ids, change = guarded(split, settings(), theme, parts)
    _change(change, as_json, themes=ids)


@themes_app.command("export")
def themes_export(
    path: Annotated[
        Path, typer.Argument(help="YAML file to write (CXBOT_TAXONOMY_PATH reads it).")
    ],
) -> None:
    """Write the active taxonomy as YAML, to edit by hand and `apply`."""
    from ingest.theme_edits import export

    n = guarded(export, settings(), path)
    out.print(f"wrote {n} themes to {path}")


@themes_app.command("apply")
def themes_apply(path: Path, as_json: JsonOpt = False) -> None:
    """Make a taxonomy file the active one and re-theme every record (no re-embedding)."""
    from ingest.theme_edits import apply

    change = guarded(apply, settings(), path)
    _change(change, as_json)


db_app = typer.Typer(
    no_args_is_help=True,
    help="The state database (CXBOT_DATABASE_URL, else the SQLite files in the data dir).",
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the state schema (once per deployment, before starting new bots)."""
    from bot.state import upgrade

    try:
        done = upgrade(settings())
    except CxbotError as exc:
        fail(exc)
    for db, found, now in done:
        was = "created" if found is None else f"version {found}"
        verb = "up to date" if found == now else f"{was} -> version {now}"
        out.print(f"{db.shown}: {verb}", markup=False)


@db_app.command("copy")
def db_copy(
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", help="Data dir holding the SQLite files (default: CXBOT_DATA_DIR)."),
    ] = None,
) -> None:
    """Copy the SQLite state (answers, votes, threads, watches, ledgers) and the catalog into
    CXBOT_DATABASE_URL."""
    from bot.state import copy_catalog, copy_sqlite

    s = settings()
    try:
        done = copy_sqlite(s, from_dir)
        index = copy_catalog(s, from_dir)
    except CxbotError as exc:
        fail(exc)
    if not done and index is None:
        out.print("No SQLite state files or catalog found: nothing to copy.", markup=False)
    for table, copied, kept in done:
        extra = f", {kept:,} already there" if kept else ""
        out.print(f"{table}: {copied:,} row(s) copied{extra}", markup=False)
    if index is not None:
        collection, n, copied = index
        if not copied:
            out.print(
                f"catalog: the database already holds {n:,} records for '{s.collection}': "
                "left as it is",
                markup=False,
            )
        else:
            out.print(
                f"catalog: {n:,} records copied (Chroma collection {collection})", markup=False
            )
            if s.chroma_url is None:
                out.print(
                    "The vectors stay in this data dir's embedded store: for bots on other "
                    "machines set CXBOT_CHROMA_URL and run `cxbot ingest --rebuild` once.",
                    markup=False,
                )


@db_app.command("status")
def db_status() -> None:
    """Where the state lives and its schema version."""
    from bot.state import databases

    try:
        for db in databases(settings()):
            found = db.current()
            want = db.schema.version if db.schema else 0
            if found is None:
                state = "empty (the schema is created at start or by `cxbot db upgrade`)"
            elif found == want:
                state = f"schema version {found}, up to date"
            else:
                state = f"schema version {found}, this cxbot needs {want}: `cxbot db upgrade`"
            out.print(f"{db.shown}: {state}", markup=False)
    except CxbotError as exc:
        fail(exc)


def main() -> None:
    try:
        app()
    except CxbotError as exc:  # anything a command did not translate itself
        err.print(f"Error: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
