"""Watches and scheduled questions: what cxbot posts unasked besides the weekly digest.

* `/cx watch <theme|segment|question> [#channel]`: a daily check (`bot.analysis.alerts.spikes`,
  every theme x segment against its own baseline) posts the spikes in the watch's scope, each
  citing the complaints behind it.
* `/cx schedule "question" daily|weekly [#channel]`: the question re-run and its cited answer
  posted, daily at the alert time or weekly at the digest's.

Each post is claimed in a ledger first (the digest's `Ledger`, its own table `alert_posts` in
data_dir/alerts.sqlite or CXBOT_DATABASE_URL), keyed by watch and period, so a post happens
once per watch and period however many processes or restarts try. A spike posted for a watch is
then quiet for that watch for ``cooldown_days`` days of data (the same theme in the same
segment), so a spike that lasts a week is one alert, not seven.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic_settings import BaseSettings, SettingsConfigDict
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import state as st
from bot.analysis.alerts import Spike, SpikeReport, cite_spike, matches, spikes
from bot.citations import Answer, CitationBook, freshness, refs
from bot.digest.post import Ledger
from bot.engine import Engine
from bot.slack import blocks as bk
from bot.slack.feedback import FeedbackStore, now_iso
from bot.slack.reply import api_error
from bot.state import sqlite_store, state_db
from ingest.config import Settings
from ingest.db import Database
from ingest.errors import CxbotError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("cxbot.watch")

MAX_SPIKES = 5  # per alert message
QUOTES_PER_SPIKE = 3
CADENCES = ("daily", "weekly")


class WatchSettings(BaseSettings):
    """CXBOT_ALERT_*: when the daily check runs (in CXBOT_DIGEST_TIMEZONE) and how quiet a
    posted spike stays."""

    model_config = SettingsConfigDict(env_prefix="CXBOT_", extra="ignore")
    alert_cron: str = "0 8 * * *"
    alert_cooldown_days: int = 7


@dataclass
class Watch:
    id: int
    kind: str  # watch | schedule
    channel: str
    user: str | None
    target: str  # what the user typed (the question, for a schedule)
    themes: list[str]
    segments: dict[str, list[str]]
    cadence: str | None
    label: str
    created: str

    def describe(self) -> str:
        where = f"<#{self.channel}>"
        who = f"<@{self.user}>" if self.user else "someone"
        if self.kind == "schedule":
            return (
                f"*#{self.id}* scheduled question ({self.cadence}): "
                f"_{bk.escape(bk.trim(self.target, 200))}_ in {where}, set by {who}"
            )
        return f"*#{self.id}* watch: {bk.escape(self.label)}, alerts in {where}, set by {who}"


class WatchStore:
    """Watches, schedules and the cooldown memory, in the `slack` store beside the answers."""

    def __init__(self, db: Database | Path) -> None:
        self.db = sqlite_store(db, "slack") if isinstance(db, Path) else db
        with self.db.begin():
            pass  # schema created (or refused) now

    def add(
        self,
        kind: str,
        channel: str,
        user: str | None,
        target: str,
        themes: list[str],
        segments: dict[str, list[str]],
        label: str,
        cadence: str | None = None,
    ) -> Watch:
        with self.db.begin() as db:
            wid = db.execute(
                sa.insert(st.watches)
                .values(
                    kind=kind,
                    channel=channel,
                    user=user,
                    target=target,
                    themes_json=json.dumps(themes),
                    segments_json=json.dumps(segments),
                    cadence=cadence,
                    label=label,
                    created=now_iso(),
                )
                .returning(st.watches.c.id)
            ).scalar_one()
        found = self.get(int(wid))
        assert found is not None
        return found

    @staticmethod
    def _watch(r: sa.Row) -> Watch:
        return Watch(
            id=int(r.id),
            kind=r.kind,
            channel=r.channel,
            user=r.user,
            target=r.target,
            themes=json.loads(r.themes_json),
            segments=json.loads(r.segments_json),
            cadence=r.cadence,
            label=r.label,
            created=r.created,
        )

    def get(self, wid: int) -> Watch | None:
        with self.db.begin() as db:
            r = db.execute(sa.select(st.watches).where(st.watches.c.id == wid)).first()
        return self._watch(r) if r else None

    def all(self, kind: str | None = None) -> list[Watch]:
        q = sa.select(st.watches).order_by(st.watches.c.id)
        if kind is not None:
            q = q.where(st.watches.c.kind == kind)
        with self.db.begin() as db:
            rows = db.execute(q).all()
        return [self._watch(r) for r in rows]

    def remove(self, wid: int) -> None:
        with self.db.begin() as db:
            db.execute(sa.delete(st.watches).where(st.watches.c.id == wid))
            db.execute(sa.delete(st.alerts_fired).where(st.alerts_fired.c.watch_id == wid))

    def cooling(self, wid: int, spike: str, until: date, days: int) -> bool:
        """Posted for this watch within ``days`` days of data before ``until``."""
        start = (until - timedelta(days=days - 1)).isoformat()
        c = st.alerts_fired.c
        with self.db.begin() as db:
            r = db.execute(
                sa.select(c.watch_id).where(
                    c.watch_id == wid,
                    c.spike == spike,
                    c.window_until >= start,
                    c.window_until <= until.isoformat(),
                )
            ).first()
        return r is not None

    def fired(self, wid: int, idents: list[str], until: date) -> None:
        if not idents:
            return
        rows = [
            {"watch_id": wid, "spike": i, "window_until": until.isoformat(), "at": now_iso()}
            for i in idents
        ]
        with self.db.begin() as db:
            db.execute(self.db.insert(st.alerts_fired).on_conflict_do_nothing(), rows)


# ---------------------------------------------------------------- what a watch means


def resolve_target(engine: Engine, text: str) -> tuple[list[str], dict[str, list[str]], str]:
    """(themes, segments, label) for `/cx watch TEXT`: a segment value, a theme (its name or
    words of its label), else a question whose themes and segments are the scope."""
    t = text.strip().strip("\"“”'").strip()
    if not t:
        raise CxbotError(
            "Say what to watch: a theme, a segment or a question.",
            "e.g. `/cx watch late deliveries #cx-ops` or `/cx watch North`.",
        )
    corpus = engine.corpus()
    low = t.lower()
    for key, values in corpus.segment_values.items():
        for v in values:
            if v.lower() == low:
                return [], {key: [v]}, f"every theme in {v} ({key})"
    theme = match_theme(engine, low)
    if theme is not None:
        return [theme], {}, f"{engine.label(theme)}, in every segment"
    u = engine.understand(t)
    if "(unknown)" in u.filters.segments:
        raise CxbotError(
            f"I don't know the segment in '{t}'.",
            "Segments: " + ", ".join(v for vs in corpus.segment_values.values() for v in vs)[:500],
        )
    themes = list(u.filters.themes)
    segs = {k: list(v) for k, v in u.filters.segments.items()}
    return themes, segs, scope_label(engine, themes, segs)


def _stems(text: str) -> set[str]:
    return {w[:4] for w in re.findall(r"[a-z]+", text.lower()) if w not in _FILLER}


def match_theme(engine: Engine, low: str) -> str | None:
    """The one theme whose name, label and keywords (else also its description) hold every
    word typed ("late deliveries", "refunds"); None when none or several do."""
    words = _stems(low)
    if not words:
        return None
    themes = engine.assigner.taxonomy.themes
    for name, t in themes.items():
        if low in (name.lower(), t.label.lower()):
            return name
    for fields in (("label", "keywords"), ("label", "keywords", "description")):
        found = []
        for name, t in themes.items():
            text = " ".join(
                [name.replace("_", " ")]
                + [
                    " ".join(v) if isinstance(v, list) else str(v)
                    for v in (getattr(t, f) for f in fields)
                ]
            )
            if words <= _stems(text):
                found.append(name)
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def scope_label(engine: Engine, themes: list[str], segs: dict[str, list[str]]) -> str:
    what = " / ".join(engine.label(x) for x in themes) if themes else "every theme"
    where = "; ".join(f"{', '.join(v)} ({k})" for k, v in segs.items()) or "every segment"
    return f"{what}, in {where}"


_FILLER = {"complaints", "complaint", "about", "the", "and", "of", "issues", "problems", "with"}
_CHANNEL = re.compile(r"\s*(?:<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>|#([a-z0-9][a-z0-9_-]{0,79}))\s*$")
_SCHEDULE = re.compile(
    r'^\s*(?:["“](?P<q1>.+?)["”]|(?P<q2>.+?))\s+(?P<cadence>daily|weekly)\b(?P<rest>.*)$',
    re.I | re.S,
)


def split_channel(text: str) -> tuple[str, str | None, str | None]:
    """(the rest, channel id, channel name) from a trailing `<#C123|name>` or `#name`."""
    m = _CHANNEL.search(text)
    if not m:
        return text.strip(), None, None
    return text[: m.start()].strip(), m[1], m[2]


def parse_schedule(text: str) -> tuple[str, str, str]:
    """`"question" weekly|daily [#channel]` -> (question, cadence, the rest)."""
    m = _SCHEDULE.match(text)
    if not m:
        raise CxbotError(
            "Say the question and how often: "
            '`/cx schedule "What changed this week?" weekly #cx-ops`.'
        )
    return (m["q1"] or m["q2"]).strip(), m["cadence"].lower(), m["rest"].strip()


# ---------------------------------------------------------------- posting


def alert_answer(engine: Engine, report: SpikeReport, w: Watch, found: list[Spike]) -> Answer:
    """The alert as an answer: one line per spike with its counts and quotes."""
    corpus = engine.corpus()
    book = CitationBook(corpus, MAX_SPIKES * QUOTES_PER_SPIKE)
    lines = [
        f":rotating_light: {len(found)} spike(s) in {report.window.label()}, against the "
        f"{report.settings['baseline_weeks']} weeks before ({report.baseline.label()}):"
    ]
    for s in found:
        ns = cite_spike(engine, report, s, book, QUOTES_PER_SPIKE)
        now, before = s.change.now, s.change.before
        lines.append(
            f"- {s.label} in {s.scope}: {now.k:,} of {now.n:,} verbatims "
            f"({100 * now.share:.1f}%) complain about it, vs {100 * before.share:.1f}% "
            f"({before.k:,} of {before.n:,}) before; +{s.change.points:.1f} points, "
            f"z = {s.change.z:.1f} {refs(ns)}."
        )
    st = report.settings
    lines.append(
        f"{bk.METHOD_PREFIX}: shares of each segment's dated verbatims, the window against the "
        f"same segment's own baseline; flagged at z >= {st['z_min']} (two-proportion test, "
        f"stricter than 95% because every theme x segment is tested daily), with at least "
        f"{st['min_complaints']} complaints now and {st['min_baseline_n']} verbatims before."
    )
    return Answer(
        question=f"Watch #{w.id}: {w.label}",
        answer="\n".join(lines),
        citations=book.items,
        filters={},
        timings_ms={},
        freshness=freshness(corpus),
        extra={"spikes": [s.as_dict() for s in found], "window": report.window.as_dict()},
    )


@dataclass
class Posted:
    watch: int
    channel: str
    status: str  # posted | already posted | busy | quiet | failed
    message_ts: str | None = None
    error: str | None = None


class Watcher:
    """Runs the checks and the scheduled questions, posting each at most once per period."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        client: WebClient,
        answers: FeedbackStore,
        watches: WatchStore,
        ledger: Ledger | None = None,
        cooldown_days: int | None = None,
        ask_limit: int = 12,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.answers = answers
        self.watches = watches
        self.ledger = ledger or Ledger(state_db(settings, "alerts"), ledger="alerts")
        self.cooldown_days = (
            WatchSettings().alert_cooldown_days if cooldown_days is None else cooldown_days
        )
        self.ask_limit = ask_limit

    def check(self, until: date | None = None) -> list[Posted]:
        """The daily check: one spike report for every watch."""
        watches = self.watches.all("watch")
        if not watches:
            return []
        try:
            report = spikes(self.engine, until=until)
        except CxbotError as exc:  # e.g. undated verbatims: said in the log, every day
            log.error("alert check not run: %s", exc)
            return [Posted(w.id, w.channel, "failed", error=str(exc)) for w in watches]
        log.info(
            "alert check %s: %d spike(s) in %d tests",
            report.window.key,
            len(report.spikes),
            report.tested,
        )
        return [self._guard(w, lambda w=w: self._alert(w, report)) for w in watches]

    def _guard(self, w: Watch, run: Callable[[], Posted]) -> Posted:
        try:
            return run()
        except Exception as exc:  # noqa: BLE001 - one watch must not stop the others
            log.exception("watch #%s in %s failed", w.id, w.channel)
            return Posted(w.id, w.channel, "failed", error=repr(exc))

    def _alert(self, w: Watch, report: SpikeReport) -> Posted:
        key, period = f"watch-{w.id}:{w.channel}", report.window.key
        if self.ledger.status(key, period) == "done":
            return Posted(w.id, w.channel, "already posted")
        until = report.window.until
        found = [
            s
            for s in report.spikes
            if matches(s, w.themes, w.segments)
            and not self.watches.cooling(w.id, s.ident, until, self.cooldown_days)
        ][:MAX_SPIKES]
        if not found:
            return Posted(w.id, w.channel, "quiet")
        answer = alert_answer(self.engine, report, w, found)
        note = (
            f"Alert for watch #{w.id} ({bk.escape(w.label)})"
            + (f", set by <@{w.user}>" if w.user else "")
            + f". `/cx unwatch {w.id}` stops it."
        )
        posted = self._post(key, period, w, answer, note)
        if posted.status == "posted":
            self.watches.fired(w.id, [s.ident for s in found], until)
        return posted

    def run_schedules(self, cadence: str, today: date | None = None) -> list[Posted]:
        """Re-run every question scheduled at this cadence; the period is the day or the ISO
        week in CXBOT_DIGEST_TIMEZONE."""
        today = today or datetime.now(ZoneInfo(self.settings.digest_timezone)).date()
        year, week, _ = today.isocalendar()
        period = today.isoformat() if cadence == "daily" else f"{year}-W{week:02d}"
        out = []
        for w in self.watches.all("schedule"):
            if w.cadence != cadence:
                continue
            out.append(self._guard(w, lambda w=w: self._scheduled(w, period)))
        return out

    def _scheduled(self, w: Watch, period: str) -> Posted:
        key = f"schedule-{w.id}:{w.channel}"
        if self.ledger.status(key, period) == "done":
            return Posted(w.id, w.channel, "already posted")
        answer = self.engine.ask(w.target, limit=self.ask_limit)
        note = (
            f"Scheduled question #{w.id} ({w.cadence})"
            + (f", set by <@{w.user}>" if w.user else "")
            + f". `/cx unwatch {w.id}` stops it."
        )
        return self._post(key, period, w, answer, note, further=True)

    def _post(
        self, key: str, period: str, w: Watch, answer: Answer, note: str, further: bool = False
    ) -> Posted:
        claim = self.ledger.claim(key, period)
        if claim is None:
            done = self.ledger.status(key, period) == "done"
            return Posted(w.id, w.channel, "already posted" if done else "busy")
        if claim.message_ts:  # a previous run posted it and died before marking it done
            self.ledger.done(claim, None)
            return Posted(w.id, w.channel, "posted", claim.message_ts)
        record = answer.as_dict()
        record["further"] = further
        shown = min(bk.PAGE, len(answer.citations))
        answer_id = self.answers.save_answer(record, w.channel, None, w.user, shown=shown)
        blocks, text = bk.answer_blocks(answer, answer_id, note=note, more_available=further)
        try:
            resp = self.client.chat_postMessage(
                channel=w.channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as exc:
            error = api_error(exc)
            log.error("watch #%s not delivered to %s: %s", w.id, w.channel, error)
            self.ledger.failed(claim, error)
            return Posted(w.id, w.channel, "failed", error=error)
        ts = str(resp["ts"])
        self.ledger.posted(claim, ts)
        self.ledger.done(claim, None)
        log.info("watch #%s posted to %s for %s (ts %s)", w.id, w.channel, period, ts)
        return Posted(w.id, w.channel, "posted", ts)


def start_watch_scheduler(settings: Settings, watcher: Watcher) -> BackgroundScheduler:
    """Inside `cxbot serve`: the daily alert check and daily questions at CXBOT_ALERT_CRON,
    weekly questions at CXBOT_DIGEST_CRON, both in CXBOT_DIGEST_TIMEZONE. Always started:
    watches are added from Slack at any time."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.digest.schedule import crontab_trigger

    ws = WatchSettings()
    daily = crontab_trigger(ws.alert_cron, settings.digest_timezone, "CXBOT_ALERT_CRON")
    weekly = crontab_trigger(settings.digest_cron, settings.digest_timezone)
    scheduler = BackgroundScheduler(
        timezone=daily.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )

    def daily_job() -> None:
        for p in watcher.check() + watcher.run_schedules("daily"):
            log.log(logging.ERROR if p.status == "failed" else logging.INFO, "%s", p)

    def weekly_job() -> None:
        for p in watcher.run_schedules("weekly"):
            log.log(logging.ERROR if p.status == "failed" else logging.INFO, "%s", p)

    scheduler.add_job(daily_job, daily, id="cxbot-alerts", name="alerts and daily questions")
    scheduler.add_job(weekly_job, weekly, id="cxbot-weekly-questions", name="weekly questions")
    scheduler.start()
    log.info("alert check scheduled (%s, %s)", ws.alert_cron, settings.digest_timezone)
    return scheduler
