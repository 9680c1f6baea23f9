"""The weekly digest on a schedule, inside `cxbot serve`: an APScheduler BackgroundScheduler with
a CronTrigger from CXBOT_DIGEST_CRON in CXBOT_DIGEST_TIMEZONE.

The cron expression is read the standard way: APScheduler 3 numbers weekdays from Monday = 0,
crontab from Sunday = 0, so "0 9 * * 1" would fire on Tuesdays if passed through as is. Weekday
numbers are translated to names first. The job store is in memory: a run missed while the bot
was down is not caught up (the next one is), and the ledger in digest_post makes any overlap
between replicas or restarts harmless.
"""

from __future__ import annotations

import logging
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.answer import Engine
from bot.digest_post import DigestPoster
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
    expr = settings.digest_cron.strip()
    try:
        tz = ZoneInfo(settings.digest_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"CXBOT_DIGEST_TIMEZONE '{settings.digest_timezone}' is not a known time zone.",
            "Use an IANA name such as Europe/Paris or UTC.",
        ) from None
    fields = expr.split()
    if len(fields) != 5:
        raise ConfigError(
            f"CXBOT_DIGEST_CRON '{expr}' has {len(fields)} fields; a cron expression has 5.",
            'Minute hour day month weekday, e.g. "0 9 * * mon" (Mondays 09:00).',
        )
    fields[4] = weekdays(fields[4], expr)
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"CXBOT_DIGEST_CRON '{expr}' is not valid: {exc}.") from None


def run_digest_job(poster: DigestPoster) -> None:
    """The scheduled job: post, and say in the log what happened in each channel."""
    try:
        outcomes = poster.run()
    except Exception:
        log.exception("weekly digest could not be built")
        return
    for o in outcomes:
        if o.status == "failed":
            log.error("weekly digest to %s failed: %s", o.channel, o.error)
        else:
            log.info("weekly digest to %s: %s", o.channel, o.status)


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
    job = scheduler.get_job(JOB_ID)
    log.info(
        "weekly digest scheduled (%s, %s) for %s; next run %s",
        settings.digest_cron,
        settings.digest_timezone,
        ", ".join(settings.digest_channels),
        job.next_run_time if job else "?",
    )
    return scheduler
