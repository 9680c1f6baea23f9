"""The weekly digest on a schedule, inside `cxbot serve`: an APScheduler BackgroundScheduler with
a CronTrigger from CXBOT_DIGEST_CRON in CXBOT_DIGEST_TIMEZONE.

The cron expression is read the standard way: APScheduler 3 numbers weekdays from Monday = 0,
crontab from Sunday = 0, so "0 9 * * 1" would fire on Tuesdays if passed through as is. Weekday
numbers are translated to names first. The job store is in memory; a run missed while the bot
was down is caught up at start-up when it was due within CXBOT_DIGEST_CATCH_UP_HOURS, for the
channels that had digests before (a new channel waits for its first scheduled run). The ledger
in digest_post makes any overlap between replicas or restarts harmless.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.digest.post import DigestPoster, Ledger
from bot.engine import Engine
from ingest.config import Settings
from ingest.errors import ConfigError

log = logging.getLogger("cxbot.digest")

JOB_ID = "cxbot-weekly-digest"
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # crontab order: 0 (and 7) = Sunday
_ITEM = re.compile(r"^(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


def _day(token: str, expr: str) -> int:
    t = token.lower()
    if t.isdigit() and 0 <= int(t) <= 7:
        return int(t) % 7
    if t[:3] in DAYS:
        return DAYS.index(t[:3])
    raise ConfigError(
        f"CXBOT_DIGEST_CRON '{expr}': '{token}' is not a weekday.", "Use 0-7 or sun-sat."
    )


def weekdays(field: str, expr: str) -> str:
    """A crontab day-of-week field as APScheduler weekday names ("1-5" -> "mon,...,fri")."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        m = _ITEM.match(item)
        if not m:
            raise ConfigError(f"CXBOT_DIGEST_CRON '{expr}': cannot read the weekday '{item}'.")
        step = int(m[4] or 1)
        if m[1] == "*":
            lo, hi = 0, 6
        else:
            lo = _day(m[2], expr)
            hi = _day(m[3], expr) if m[3] else (6 if m[4] else lo)
            if m[3] and m[3] == "7":
                hi = 7  # "5-7": Friday to Sunday
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(DAYS[d] for d in sorted(days))


def cron_trigger(settings: Settings) -> CronTrigger:
    """CXBOT_DIGEST_CRON in CXBOT_DIGEST_TIMEZONE; a bad value is a start-up error naming it."""
    return crontab_trigger(settings.digest_cron, settings.digest_timezone)


def crontab_trigger(
    expr: str, timezone_name: str, variable: str = "CXBOT_DIGEST_CRON"
) -> CronTrigger:
    """A standard crontab expression (Sunday = 0) in a time zone, for the digest and for the
    other scheduled posts (alerts, scheduled questions); errors name ``variable``."""
    expr = expr.strip()
    try:
        tz = ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"CXBOT_DIGEST_TIMEZONE '{timezone_name}' is not a known time zone.",
            "Use an IANA name such as Europe/Paris or UTC.",
        ) from None
    fields = expr.split()
    if len(fields) != 5:
        raise ConfigError(
            f"{variable} '{expr}' has {len(fields)} fields; a cron expression has 5.",
            'Minute hour day month weekday, e.g. "0 9 * * mon" (Mondays 09:00).',
        )
    fields[4] = weekdays(fields[4], expr)
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"{variable} '{expr}' is not valid: {exc}.") from None


def run_digest_job(poster: DigestPoster, channels: list[str] | None = None) -> None:
    """The scheduled job: post, and say in the log what happened in each channel."""
    try:
        outcomes = poster.run(channels)
    except Exception:
        log.exception("weekly digest could not be built")
        return
    for o in outcomes:
        if o.status == "failed":
            log.error("weekly digest to %s failed: %s", o.channel, o.error)
        else:
            log.info("weekly digest to %s: %s", o.channel, o.status)


def last_fire_time(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The latest time the schedule fired in (now - window, now], or None."""
    last = None
    t = trigger.get_next_fire_time(None, now - window)
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    return last


def missed(
    settings: Settings, trigger: CronTrigger, ledger: Ledger, now: datetime
) -> tuple[datetime | None, list[str]]:
    """A scheduled run that passed while no process was up, and the channels it owes: those
    with a digest history whose last run is older than that time."""
    hours = settings.digest_catch_up_hours
    due = last_fire_time(trigger, now, timedelta(hours=hours)) if hours > 0 else None
    if due is None:
        return None, []
    late = []
    for channel in dict.fromkeys(settings.digest_channels):
        last = ledger.last_run(channel)
        if last is not None and last < due.timestamp():
            late.append(channel)
    return due, late


def start_digest_scheduler(
    settings: Settings, engine: Engine | None = None, poster: DigestPoster | None = None
) -> BackgroundScheduler | None:
    """Started by `cxbot serve` when CXBOT_DIGEST_CHANNELS is set; None otherwise."""
    if not settings.digest_channels:
        log.info("no CXBOT_DIGEST_CHANNELS: the weekly digest is not scheduled")
        return None
    trigger = cron_trigger(settings)
    poster = poster or DigestPoster(settings, engine=engine)
    scheduler = BackgroundScheduler(
        timezone=trigger.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_job(
        run_digest_job,
        trigger,
        args=[poster],
        id=JOB_ID,
        name="weekly digest",
        replace_existing=True,
    )
    scheduler.start()
    due, late = missed(settings, trigger, poster.ledger, datetime.now(timezone.utc))
    if late:
        log.warning(
            "the weekly digest due %s was missed while the bot was down; posting it now to %s",
            due,
            ", ".join(late),
        )
        scheduler.add_job(
            run_digest_job, args=[poster, late], id=JOB_ID + "-catch-up", name="missed digest"
        )
    job = scheduler.get_job(JOB_ID)
    log.info(
        "weekly digest scheduled (%s, %s) for %s; next run %s",
        settings.digest_cron,
        settings.digest_timezone,
        ", ".join(settings.digest_channels),
        job.next_run_time if job else "?",
    )
    return scheduler
