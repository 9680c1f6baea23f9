"""`/cx reindex` from Slack: who may run it, one run at a time, progress in the thread, and the
ingest summary at the end. The ingest itself is `ingest.pipeline.run_ingest`, as for the CLI."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as bk
from bot.slack.reply import Reply, api_error
from ingest.config import Settings, SourcesConfig, load_sources_config
from ingest.embedder import Embedder
from ingest.errors import ConfigError, CxbotError, StoreBusyError
from ingest.locks import lock_holder
from ingest.schema import IngestSummary

log = logging.getLogger("cxbot.slack")

PROGRESS_EVERY_S = 2.0


def fmt_time(iso: object) -> str:
    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def who_text(who: object) -> str:
    s = str(who or "another process")
    return f"<@{s}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", s) else bk.escape(s)


def source_name(spec: Any) -> str:
    return str(spec.name or Path(spec.path).name)


def ingest_summary_text(summary: IngestSummary, rebuild: bool = False) -> str:
    """The end of a re-index, in the words of `cxbot ingest`."""
    processed = summary.added + summary.updated + summary.unchanged
    icon = ":white_check_mark:" if summary.ok else ":warning:"
    if not summary.files:
        icon = ":x: Nothing was re-indexed."
    what = (
        f"Full rebuild finished (index generation {summary.generation} now answers)"
        if rebuild
        else "Re-index finished"
    )
    lines = [
        f"{icon} {what} in {summary.seconds:.1f} s: {len(summary.files)} file(s), "
        f"{processed:,} records processed ({summary.added:,} new, {summary.updated:,} changed, "
        f"{summary.unchanged:,} unchanged), {summary.removed:,} removed, "
        f"{summary.duplicates:,} duplicates dropped, {len(summary.rejected):,} rejected."
    ]
    if summary.failed_files:
        lines.append("*Files not ingested:*")
        lines += [f"• {bk.escape(bk.trim(str(f), 300))}" for f in summary.failed_files[:10]]
    if summary.rejected:
        lines.append(f"*Rejected rows* (first {min(10, len(summary.rejected))}):")
        lines += [f"• {bk.escape(bk.trim(str(r), 300))}" for r in summary.rejected[:10]]
    if summary.warnings:
        lines.append(f"*Warnings:* {len(summary.warnings):,}, e.g.")
        lines += [f"• {bk.escape(bk.trim(str(w), 300))}" for w in summary.warnings[:3]]
    return "\n".join(lines)


class ReindexProgress:
    """`run_ingest`'s progress callback: one message in the thread, updated at most every 2 s."""

    def __init__(self, reply: Reply, every_s: float = PROGRESS_EVERY_S) -> None:
        self.reply = reply
        self.every_s = every_s
        self.files = 0
        self.embedded = 0
        self.stage: str | None = None
        self.ts: str | None = None
        self._posted = False
        self._last = 0.0

    def text(self) -> str:
        if self.stage == "write":
            return f":floppy_disk: Writing the index ({self.embedded:,} records processed)…"
        if self.stage == "embed":
            return f":gear: {self.embedded:,} records processed so far ({self.files} file(s) read)…"
        return f":open_file_folder: Reading sources: {self.files} file(s) read…"

    def __call__(self, stage: str, advance: int, total: int) -> None:
        if stage == "load":
            self.files += advance
        elif stage == "embed":
            self.embedded += advance
        changed = stage != self.stage
        self.stage = stage
        if changed or time.monotonic() - self._last >= self.every_s:
            self.show()

    def show(self, text: str | None = None) -> None:
        self._last = time.monotonic()
        text = text or self.text()
        try:
            if self.ts is None and not self._posted:
                self._posted = True
                self.ts = self.reply.post(text, bk.message_blocks(text))
            elif self.ts is not None:
                self.reply.update(self.ts, text, bk.message_blocks(text))
            # else: the bot cannot post here and progress would spend the response_url's
            # few uses: only the start and the summary are shown
        except SlackApiError as exc:  # progress is best effort; the ingest goes on
            log.warning("progress message failed: %s", api_error(exc))


@dataclass
class Reindexing:
    user: str
    since: str


class Reindexer:
    """Re-indexing for one bot: the allowlist, the one-at-a-time rule, the run."""

    def __init__(
        self,
        settings: Settings,
        client: WebClient,
        embedder: Embedder,
        on_done: Callable[[], object] | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.embedder = embedder
        self.on_done = on_done  # after a re-index that read files (the Home tab is refreshed)
        self._lock = threading.Lock()
        self._current: Reindexing | None = None

    def allowed(self, user: str) -> bool:
        """On the user list, or in the user group (asked of Slack each time: membership moves)."""
        if user in self.settings.reindex_users:
            return True
        group = self.settings.reindex_usergroup
        if not group:
            return False
        try:
            members = self.client.usergroups_users_list(usergroup=group).get("users") or []
        except SlackApiError as exc:
            log.warning("usergroups.users.list %s failed: %s", group, api_error(exc))
            return False
        return user in members

    def running_text(self) -> str | None:
        """The "started by <who> at <when>" of a running re-index (here or in another process)."""
        current = self._current
        if current is not None:
            return f"started by {who_text(current.user)} at {fmt_time(current.since)}"
        holder = lock_holder(self.settings)
        if holder is not None:
            return f"started by {who_text(holder.get('who'))} at {fmt_time(holder.get('since'))}"
        return None

    def jobs(self, name: str | None) -> tuple[list[Any], SourcesConfig]:
        """The sources.yaml jobs, all of them or the one named."""
        from ingest.pipeline import Job

        path = self.settings.sources_path
        if path is None:
            raise ConfigError(
                "Re-indexing from Slack is not set up: no sources file is configured.",
                "Set CXBOT_SOURCES_PATH to your sources.yaml.",
            )
        cfg = load_sources_config(Path(path))
        specs = cfg.sources
        if name:
            wanted = name.strip().lower()
            specs = [
                s
                for s in cfg.sources
                if wanted in (source_name(s).lower(), Path(source_name(s)).stem.lower())
            ]
            if not specs:
                known = ", ".join(f"`{bk.escape(source_name(s))}`" for s in cfg.sources)
                raise ConfigError(f"No source is called '{name}'.", f"Sources: {known}.")
        return [Job(spec, Path(path).parent) for spec in specs], cfg

    def run(self, reply: Reply, user: str, name: str | None) -> None:
        """Allowed users only; one at a time; progress and the summary go to a thread.

        ``name`` "full" (or "--rebuild") rebuilds every source into a new index generation.
        """
        rebuild = (name or "").strip().lower() in ("full", "--rebuild", "rebuild")
        if rebuild:
            name = None
        if not self.allowed(user):
            reply.ephemeral(
                "Sorry, you are not allowed to re-index. Re-indexing is limited to the people "
                "(or the user group) in the bot's configuration; ask your CX operations admin."
            )
            return
        jobs, cfg = self.jobs(name)
        with self._lock:
            busy = self.running_text()
            if busy is None:
                self._current = Reindexing(user, datetime.now(timezone.utc).isoformat())
        if busy is not None:
            reply.ephemeral(f"A re-index is already running, {busy}. Try again when it is done.")
            return
        try:
            self._run(reply, user, jobs, cfg, rebuild)
        finally:
            with self._lock:
                self._current = None

    def _run(
        self, reply: Reply, user: str, jobs: list[Any], cfg: SourcesConfig, rebuild: bool
    ) -> None:
        from ingest.pipeline import run_ingest

        names = ", ".join(bk.escape(source_name(j.spec)) for j in jobs)
        what = "a full rebuild" if rebuild else "a re-index"
        start = f"<@{user}> started {what} of {len(jobs)} source(s): {names}."
        root = reply.post(bk.fallback_text(start), bk.message_blocks(start + " Progress below."))
        thread = Reply(self.client, reply.channel, root, respond=reply.respond, user=user)
        progress = ReindexProgress(thread)
        progress.show()
        try:
            summary = run_ingest(
                jobs,
                self.settings,
                progress=progress,
                embedder=self.embedder,
                who=f"<@{user}> (Slack)",
                rebuild=rebuild,
                gap_config=cfg.model_dump(
                    include={"metric_themes", "metric_directions", "aliases"}
                ),
            )
        except StoreBusyError as exc:
            progress.show(f":hourglass: {bk.escape(str(exc))}")
            return
        except CxbotError as exc:  # full disk, Chroma down, a rebuild missing a source
            progress.show(f":x: {bk.escape(str(exc))}")
            return
        progress.show(":white_check_mark: Done." if summary.files else ":x: Nothing re-indexed.")
        text = ingest_summary_text(summary, rebuild)
        thread.post(bk.fallback_text(text), bk.message_blocks(text))
        if summary.files and self.on_done is not None:
            try:
                self.on_done()
            except Exception:  # noqa: BLE001 - the re-index itself succeeded and said so
                log.exception("after-re-index refresh failed")
