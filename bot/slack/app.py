"""The Slack app (slack-bolt): @mentions, DMs, `/cx`, and the answer buttons.

Every request is acknowledged at once (Slack's 3-second rule); the work happens after the ack,
in bolt's listener threads: a "Looking into it…" placeholder is posted, then updated in place
with the answer. Deliveries Slack retries (same event_id, or the same message seen as both a
mention and a DM) are answered once. Library errors become one clear message, never a trace.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from slack_bolt import App, Assistant, BoltResponse
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.citations import Answer, Citation, CitationBook, Hit, freshness
from bot.engine import Engine
from bot.filters import Filters
from bot.slack import blocks as bk
from bot.slack.charts import answer_chart
from bot.slack.dedupe import Deduper
from bot.slack.feedback import FeedbackStore, context_filters
from bot.slack.highlights import assistant_prompts, highlights, segment_for_channel
from bot.slack.home import HOME_ASK_ACTION, error_view, home_view
from bot.slack.reindex import Reindexer
from bot.slack.reply import Reply, api_error, guarded, make_client, secret, upload_png
from bot.slack.watch import (
    Watcher,
    WatchSettings,
    WatchStore,
    parse_schedule,
    resolve_target,
    split_channel,
)
from bot.state import state_db
from ingest.config import Settings
from ingest.errors import ConfigError, CxbotError, DatabaseError

log = logging.getLogger("cxbot.slack")

COMMAND = "/cx"
ANSWER_CONCURRENCY = 2  # CPU-bound work on 2 cores: more threads only fight over the GIL
ASK_LIMIT = 12  # citations kept per answer; the first PAGE are shown, the rest on request
MAX_EVIDENCE = 40
STATUS = "Looking into it..."  # the assistant thread's status while an answer is computed
CHANNEL_NAME_TTL_S = 3600.0
HOME_REFRESH_DAYS = 30  # after a re-index, the Home tab is republished for who opened it since
SUBCOMMANDS = {
    "ask",
    "gaps",
    "reindex",
    "digest",
    "status",
    "help",
    "feedback",
    "watch",
    "watches",
    "unwatch",
    "schedule",
    "themes",
}
# message subtypes that still carry a person's question: a file with a comment, a thread
# reply also sent to the channel
PASSED_SUBTYPES = {None, "file_share", "thread_broadcast"}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_BROADCAST = re.compile(r"<!(?:here|channel|everyone|subteam\^[A-Z0-9]+)[^>]*>")
_ACK = re.compile(
    r"(?:(?:ok(?:ay)?|thanks?(?: you)?|thx|ty|cheers|great|cool|nice|perfect|got it|"
    r"makes sense|awesome|:[a-z0-9_+-]+:)[\s!.,]*)+"
)


def as_citation(d: dict[str, Any]) -> Citation:
    """A stored citation dict back into a Citation (keys it does not know are ignored)."""
    names = {f.name for f in dataclasses.fields(Citation)}
    return Citation(**{k: v for k, v in d.items() if k in names})


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def gaps_answer(engine: Engine, metric: str | None, rows: int = 8) -> Answer:
    """`/cx gaps [metric]`: the same analysis and sentences as `cxbot gaps`, as an Answer."""
    from bot.analysis.gaps import analyse, cite_gaps, gap_line

    report = analyse(engine, metric=metric)
    corpus = engine.corpus()
    book = CitationBook(corpus, 60)
    shown = report.gaps[:rows]
    cite_gaps(engine, report, book, None, max_gaps=len(shown))
    lines = []
    if shown:
        lines.append(
            "Perception gaps: the internal metric looks good, yet that segment's customers "
            "complain about it more than elsewhere (biggest first):"
        )
        lines += [gap_line(engine, report, v, i) for i, v in enumerate(shown, 1)]
        if len(report.gaps) > rows:
            lines.append(f"{len(report.gaps) - rows} more gap(s) not shown.")
    else:
        lines.append("No perception gaps found" + (f" for '{metric}'." if metric else "."))
    if report.not_ranked:
        small = sorted({f"{v.segment} (n={v.n})" for v in report.not_ranked})
        lines.append(
            f"Not ranked (fewer than {engine.settings.min_segment_n} verbatims): "
            + ", ".join(small)
            + "."
        )
    lines += [f"Note: {p}" for p in report.problems[:5]]
    return Answer(
        question=f"{COMMAND} gaps {metric or ''}".strip(),
        answer="\n".join(lines),
        citations=book.items,
        filters={},
        timings_ms={},
        freshness=freshness(corpus),
        gaps=[report.gap_dict(engine, v) for v in shown],
        enough_evidence=bool(shown),
    )


class StoredThreadContexts(AssistantThreadContextStore):
    """Each assistant thread's context (the channel the user is viewing) in slack.sqlite.
    Bolt's default keeps it in the metadata of the bot's first reply, which does not exist yet
    when the thread starts and costs a conversations.replies call per message."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.store.set_assistant_context(channel_id, thread_ts, dict(context))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        d = self.store.assistant_context(channel_id, thread_ts)
        return AssistantThreadContext(d) if d and d.get("channel_id") else None


class CxBot:
    """The bolt App plus what its handlers share: engine, answer store, dedupe, re-index state."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        client: WebClient | None = None,
        concurrency: int = 2,
    ) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.engine = engine or Engine(settings)
        db = state_db(settings, "slack")  # slack.sqlite, or CXBOT_DATABASE_URL
        self.store = FeedbackStore(db)
        self.watches = WatchStore(db)
        self.seen = Deduper(db)
        self._channel_names: dict[str, tuple[float, str | None]] = {}
        self._busy = threading.BoundedSemaphore(concurrency)  # answers computed at once
        self._more_lock = threading.Lock()
        self.reindexer = Reindexer(
            settings, self.client, self.engine.embedder, on_done=self.refresh_homes
        )
        self.work = ThreadPoolExecutor(ANSWER_CONCURRENCY, thread_name_prefix="cxbot-answer")
        self.watcher = Watcher(settings, self.engine, self.client, self.store, self.watches)
        signing_secret = secret(settings.slack_signing_secret)
        try:
            self.app = App(
                client=self.client,
                # no secret (Socket Mode): a random one, so no HTTP request can ever verify
                signing_secret=signing_secret or secrets.token_hex(32),
                request_verification_enabled=True,
                token_verification_enabled=True,
                process_before_response=False,
                # many listener threads, so a request is acknowledged even while answers are
                # being computed (each listener acks first, then works)
                listener_executor=ThreadPoolExecutor(64, thread_name_prefix="cxbot-slack"),
                logger=logging.getLogger("cxbot.bolt"),
                name="cxbot",
            )
        except BoltError as exc:
            raise ConfigError(
                f"Slack did not accept SLACK_BOT_TOKEN: {exc}",
                "Check the token (xoxb-...) and that the app is installed in the workspace.",
            ) from None
        except Exception as exc:  # network: the auth.test call at start-up
            raise ConfigError(
                f"Cannot reach the Slack API at {self.client.base_url}: {exc}",
                "Check the network (and CXBOT_SLACK_API_URL if set).",
            ) from None
        self._register()

    # ---------------------------------------------------------------- wiring

    def _register(self) -> None:
        app = self.app
        app.use(self._drop_retries)
        app.error(self._on_error)
        assistant = Assistant(
            thread_context_store=StoredThreadContexts(self.store),
            logger=logging.getLogger("cxbot.bolt"),
        )
        assistant.thread_started(self._on_assistant_started)
        assistant.user_message(self._on_assistant_message)
        app.assistant(assistant)
        app.event("app_home_opened")(self._on_home_opened)
        app.action(HOME_ASK_ACTION)(self._on_home_ask)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.command(COMMAND)(self._on_command)
        app.action(bk.MORE_ACTION)(self._on_more)
        app.action(bk.VOTE_UP_ACTION)(self._on_vote)
        app.action(bk.VOTE_DOWN_ACTION)(self._on_vote)

    def _drop_retries(self, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        """Slack redelivers an event it thinks we missed (X-Slack-Retry-Num, or retry_attempt in
        Socket Mode) with the same event_id: acknowledge it and do nothing more."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.seen.first(f"event:{event_id}"):
            log.info("duplicate delivery of %s dropped", event_id)
            return BoltResponse(status=200, body="")
        return next()

    def allowed(self, channel: str | None) -> bool:
        """Empty allowlist: everywhere. DMs with the bot are always allowed."""
        allow = self.settings.allowed_channels
        return not allow or channel in allow or bool(channel and channel.startswith("D"))

    def _allowed_text(self) -> str:
        chans = ", ".join(f"<#{c}>" for c in self.settings.allowed_channels[:10])
        return f"cxbot is not enabled in this channel. Ask me in {chans} or in a direct message."

    # ---------------------------------------------------------------- events

    def _on_mention(self, event: dict[str, Any], context: Any) -> None:
        self._handle_message(event, context.get("bot_user_id"))

    def _on_message(self, event: dict[str, Any], context: Any) -> None:
        """DMs, and replies in channel threads cxbot answered (message.channels/.groups):
        those are follow-ups without a new mention, when they are addressed to the bot."""
        bot = context.get("bot_user_id")
        if event.get("bot_id") or event.get("subtype") not in PASSED_SUBTYPES:
            return  # edits, deletions, joins, bot posts (ours included): nothing was asked
        if event.get("channel_type") == "im":
            self._handle_message(event, bot)
            return
        why = self.not_for_us(event, bot)
        if why is not None:
            log.debug(
                "message %s in %s not answered: %s", event.get("ts"), event.get("channel"), why
            )
            return
        self._handle_message(event, bot)

    def not_for_us(self, event: dict[str, Any], bot: str | None) -> str | None:
        """Why a channel message is not a follow-up to answer (None: it is one). Only a human
        reply in a thread cxbot answered, not addressed to someone else, and not just thanks."""
        channel, ts, root = event.get("channel"), event.get("ts"), event.get("thread_ts")
        if not channel or not root or root == ts:
            return "not a thread reply"
        try:
            known = self.store.thread(channel, root)
        except DatabaseError as exc:  # a reply without a mention: not worth an error message
            log.warning("thread context of %s in %s unavailable: %s", root, channel, exc)
            return "thread context unavailable"
        if known is None:
            return "not a thread cxbot answered"
        if not self.allowed(channel):
            return "channel not on the allowlist"
        text = event.get("text") or ""
        if not strip_mentions(text, bot):
            return "no text (a file or an emoji alone)"
        others = {m for m in _MENTION.findall(text) if m != bot}
        if others or _BROADCAST.search(text):
            return "addressed to someone else"
        if _ACK.fullmatch(strip_mentions(text, bot).lower()):
            return "an acknowledgement, not a question"
        return None

    def _handle_message(self, event: dict[str, Any], bot_user_id: str | None) -> None:
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts:
            log.warning("a message event without channel or ts was dropped: %s", event)
            return
        if not self.seen.first(f"msg:{channel}:{ts}"):
            log.debug("message %s in %s already answered (mention and message)", ts, channel)
            return  # the same message as a mention and as a DM/thread reply: answer once
        root = event.get("thread_ts") or ts
        reply = Reply(self.client, channel, root, user=user)
        if not self.allowed(channel):
            reply.ephemeral(self._allowed_text())
            return
        question = strip_mentions(event.get("text") or "", bot_user_id)
        if not question or question.lower() in ("help", "?", "hi", "hello"):
            reply.post("How to use cxbot", bk.help_blocks())
            return
        followup = bool(event.get("thread_ts")) and event.get("thread_ts") != ts
        with guarded(reply, "answering"):
            self.answer(reply, question, user, followup=followup, react_ts=ts, bot=bot_user_id)

    def _on_error(self, error: Exception, body: dict[str, Any]) -> BoltResponse:
        """What escapes a listener: logged with a reference, and the user told that reference
        (when the request says who and where), so no request vanishes without a word."""
        ref = secrets.token_hex(4)
        log.error("unhandled error (ref %s): %r", ref, error, exc_info=error)
        event = body.get("event") or {}
        user = event.get("user") or (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (
            event.get("channel") or (body.get("channel") or {}).get("id") or body.get("channel_id")
        )
        if user and channel:
            Reply(self.client, channel, event.get("thread_ts"), user=user).ephemeral(
                f":warning: Sorry, something went wrong (ref {ref}; details are logged)."
            )
        return BoltResponse(status=200, body="")

    # ---------------------------------------------------------------- assistant panel

    def _on_assistant_started(self, event: dict[str, Any], set_suggested_prompts: Any) -> None:
        """The panel opens: a greeting that says what is indexed, and prompts from the data."""
        thread = event.get("assistant_thread") or {}
        channel, ts, user = thread.get("channel_id"), thread.get("thread_ts"), thread.get("user_id")
        if not channel or not ts:
            log.warning("assistant_thread_started without channel or thread: %s", event)
            return
        viewed = dict(thread.get("context") or {})
        self.store.set_assistant_context(channel, ts, viewed, user)
        reply = Reply(self.client, channel, ts, user=user)
        with guarded(reply, "opening the assistant"):
            h = highlights(self.engine)
            viewing = self.viewing_segment(viewed.get("channel_id"))
            lines = [
                "Hi! Ask me what customers say and where they disagree with the internal "
                "metrics. Every figure is counted over all matching records, with citations."
            ]
            if viewing:
                key, value, name = viewing
                lines.append(
                    f"You are viewing #{bk.escape(name)}: I will narrow answers to "
                    f"*{bk.escape(value)}* ({bk.escape(key)}) unless you name another segment."
                )
            reply.post(
                bk.fallback_text(lines[0]),
                bk.message_blocks("\n".join(lines), bk.escape(h.freshness)),
            )
            try:
                set_suggested_prompts(
                    prompts=assistant_prompts(h, viewing[1] if viewing else None),
                    title="Where things stand:",
                )
            except SlackApiError as exc:  # the greeting already says how to ask
                log.warning("setSuggestedPrompts failed: %s", api_error(exc))

    def _on_assistant_message(
        self, event: dict[str, Any], context: Any, set_status: Any, set_title: Any
    ) -> None:
        """A question in an assistant thread (or any DM thread: bolt routes both here): the
        thread's status while answering instead of a placeholder, its first question as its
        title, and the viewed channel's segment as the first answer's scope."""
        channel, ts, root = event.get("channel"), event.get("ts"), event.get("thread_ts")
        user = event.get("user")
        if not channel or not ts or not root:
            log.warning("an assistant message without channel, ts or thread was dropped")
            return
        if not self.seen.first(f"msg:{channel}:{ts}"):
            return
        reply = Reply(self.client, channel, root, user=user)
        question = strip_mentions(event.get("text") or "", context.get("bot_user_id"))
        if not question or question.lower() in ("help", "?", "hi", "hello"):
            reply.post("How to use cxbot", bk.help_blocks())
            return
        if self.store.first_title(channel, root):
            self._assistant_call("setTitle", lambda: set_title(bk.trim(question, 60)))
        status = self._assistant_call("setStatus", lambda: set_status(STATUS))
        base = self.store.thread(channel, root)
        note: Callable[[Answer], str | None] | None = None
        if base is None:  # the thread's first question: narrowed to the channel being viewed
            viewed = self.store.assistant_context(channel, root) or {}
            viewing = self.viewing_segment(viewed.get("channel_id"))
            if viewing:
                key, value, name = viewing
                base = Filters(segments={key: [value]})

                def note(a: Answer) -> str | None:
                    if (a.filters.get("segments") or {}).get(key) != [value]:
                        return None  # the question named another segment
                    return (
                        f"Narrowed to *{bk.escape(value)}* ({bk.escape(key)}), the channel "
                        f"you are viewing (#{bk.escape(name)}). Name another segment to change it."
                    )

        try:
            with guarded(reply, "answering"):
                self.answer(reply, question, user, base=base, placeholder=not status, note=note)
        finally:
            if status:  # Slack clears it when we reply; an error path must clear it too
                self._assistant_call("setStatus", lambda: set_status(""))

    @staticmethod
    def _assistant_call(what: str, call: Callable[[], Any]) -> bool:
        """An assistant.threads.* nicety; False (logged) where Slack refuses it, e.g. in a DM
        thread that was not opened in the assistant panel."""
        try:
            call()
            return True
        except SlackApiError as exc:
            log.info("assistant.threads.%s refused: %s", what, api_error(exc))
            return False

    def viewing_segment(self, channel_id: str | None) -> tuple[str, str, str] | None:
        """(segment key, value, channel name) when the viewed channel's name names a segment
        value (#cx-north -> region North); names are cached for an hour."""
        if not channel_id or channel_id.startswith("D"):
            return None
        now = time.monotonic()
        cached = self._channel_names.get(channel_id)
        if cached is not None and now - cached[0] < CHANNEL_NAME_TTL_S:
            name = cached[1]
        else:
            try:
                info = self.client.conversations_info(channel=channel_id)
                name = (info.get("channel") or {}).get("name")
            except SlackApiError as exc:  # missing channels:read, a channel we cannot see
                log.info("conversations.info %s failed: %s", channel_id, api_error(exc))
                name = None
            self._channel_names[channel_id] = (now, name)
        found = segment_for_channel(self.engine.corpus(), name)
        return (found[0], found[1], str(name)) if found else None

    # ---------------------------------------------------------------- App Home

    def _on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return  # the Messages tab: nothing to publish
        self.store.home_opened(event["user"])
        self.publish_home(event["user"])

    def publish_home(self, user: str) -> bool:
        """views.publish of the user's Home tab; a failure shows a reference on the tab."""
        try:
            with self._busy:
                h = highlights(self.engine)
            view = home_view(h, user, self.reindexer.running_text(), self.home_extra(user))
        except CxbotError as exc:  # e.g. nothing indexed yet
            view = error_view(user, str(exc))
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("Home tab for %s failed (ref %s)", user, ref)
            view = error_view(user, f"Sorry, the figures could not be computed (ref {ref}).")
        try:
            self.client.views_publish(user_id=user, view=view)
            return True
        except SlackApiError as exc:
            log.error("views.publish for %s failed: %s", user, api_error(exc))
            return False

    def home_extra(self, user: str) -> list[dict[str, Any]]:
        """The user's own watches and scheduled questions, at the end of their Home."""
        mine = [w for w in self.watches.all() if w.user == user]
        if not mine:
            return []
        lines = ["*Your watches and scheduled questions*"] + [f"• {w.describe()}" for w in mine]
        return bk.message_blocks("\n".join(lines[:30]))

    def refresh_homes(self) -> int:
        """After a re-index: republish the Home of everyone who opened it lately."""
        since = datetime.now(timezone.utc) - timedelta(days=HOME_REFRESH_DAYS)
        users = self.store.home_users(since.isoformat(timespec="seconds"))
        done = sum(self.publish_home(u) for u in users)
        log.info("Home tab refreshed for %d of %d user(s) after the re-index", done, len(users))
        return done

    def _on_home_ask(self, ack: Any, body: dict[str, Any]) -> None:
        """A Home button: the full answer, posted in the user's DM with the bot."""
        ack()
        user = (body.get("user") or {}).get("id")
        question = str((body.get("actions") or [{}])[0].get("value") or "")
        if not user or not question:
            log.warning("a Home button without user or question was dropped: %s", body)
            return
        try:
            dm = self.client.conversations_open(users=user)["channel"]["id"]
        except SlackApiError as exc:
            ref = secrets.token_hex(4)
            log.error("conversations.open for %s failed: %s (ref %s)", user, api_error(exc), ref)
            self.client.views_publish(
                user_id=user,
                view=error_view(
                    user,
                    f"I could not open our DM to post the answer ({api_error(exc)}; ref {ref}).",
                ),
            )
            return
        reply = Reply(self.client, dm, None, user=user)
        with guarded(reply, "answering from the Home tab"):
            self.answer(reply, question, user, asked_by=user)

    # ---------------------------------------------------------------- answers

    def answer(
        self,
        reply: Reply,
        question: str,
        user: str | None,
        followup: bool = False,
        react_ts: str | None = None,
        asked_by: str | None = None,
        bot: str | None = None,
        base: Filters | None = None,
        placeholder: bool = True,
        note: Callable[[Answer], str | None] | None = None,
    ) -> str | None:
        """Placeholder, answer, update in place; remembers the thread's filters. ``base``
        scopes a first question (a follow-up takes its thread's); ``note`` may add a line."""
        if react_ts:
            self._react("add", reply.channel, react_ts)
        try:
            if placeholder:
                reply.start(bk.fallback_text(question), bk.looking_blocks(question, asked_by))
            thread = reply.thread_ts or reply.placeholder
            if followup:
                base = self.thread_filters(reply.channel, reply.thread_ts, bot)
            with self._busy:
                # at most two answers compute at once, first come first served: acks stay fast
                answer = self.work.submit(
                    self.engine.ask, question, base=base, limit=ASK_LIMIT
                ).result()
            record = answer.as_dict()
            record["further"] = True
            answer_id = self.store.save_answer(
                record, reply.channel, thread, user, shown=min(bk.PAGE, len(answer.citations))
            )
            if thread:
                context = {**answer.filters, "intent": answer.extra.get("intent")}
                self.store.set_thread(reply.channel, thread, context_filters(context))
            extra = note(answer) if note else None
            blocks, text = bk.answer_blocks(answer, answer_id, asked_by=asked_by, note=extra)
            ts = reply.finish(text, blocks)
            if ts is not None:
                self.answer_chart(reply.channel, reply.thread_ts or ts, answer)
            return ts
        finally:
            if react_ts:
                self._react("remove", reply.channel, react_ts)

    def answer_chart(self, channel: str, thread_ts: str, answer: Answer) -> str | None:
        """A drivers or trend answer's chart, uploaded into its thread; the file id. A chart
        that fails is logged: the answer is already there."""
        try:
            chart = answer_chart(answer)
            if chart is None:
                return None
            png, filename, title, alt = chart
            return upload_png(self.client, channel, thread_ts, png, filename, title, alt)
        except Exception as exc:  # noqa: BLE001 - never lose the answer over its chart
            why = api_error(exc) if isinstance(exc, SlackApiError) else repr(exc)
            log.warning("answer chart not uploaded in %s: %s", channel, why)
            return None

    def thread_filters(
        self, channel: str, thread_ts: str | None, bot: str | None
    ) -> Filters | None:
        """The first question's context: from the store, else (unknown thread, e.g. a fresh
        data dir) from the thread's first message, understood again."""
        if not thread_ts:
            return None
        known = self.store.thread(channel, thread_ts)
        if known is not None:
            return known
        try:
            resp = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
        except SlackApiError as exc:
            log.info("conversations.replies failed (%s); no thread context", api_error(exc))
            return None
        messages = resp.get("messages") or []
        if not messages or messages[0].get("bot_id"):
            return None
        text = strip_mentions(messages[0].get("text") or "", bot)
        if not text:
            return None
        try:
            u = self.engine.understand(text)
            f = context_filters({**u.filters.as_dict(), "intent": u.intent})
        except CxbotError:
            return None
        self.store.set_thread(channel, thread_ts, f)
        return f

    def _react(self, op: str, channel: str, ts: str) -> None:
        """The :eyes: reaction while working: a nicety, so failures are only logged."""
        try:
            if op == "add":
                self.client.reactions_add(channel=channel, timestamp=ts, name="eyes")
            else:
                self.client.reactions_remove(channel=channel, timestamp=ts, name="eyes")
        except SlackApiError as exc:
            log.debug("reactions.%s failed: %s", op, api_error(exc))

    # ---------------------------------------------------------------- /cx

    def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        text = " ".join((command.get("text") or "").split())
        sub, _, rest = text.partition(" ")
        sub = sub.lower()
        if sub in ("", "help"):
            ack(text="cxbot help", blocks=bk.help_blocks(), response_type="ephemeral")
            return
        ack()
        channel, user = command["channel_id"], command["user_id"]
        reply = Reply(self.client, channel, None, respond=respond, user=user)
        if not self.allowed(channel):
            reply.ephemeral(self._allowed_text())
            return
        if sub not in SUBCOMMANDS:
            if len(text.split()) < 3:
                reply.ephemeral(
                    f"I don't know `{bk.escape(sub)}`.",
                    bk.help_blocks(f"I don't know `{bk.escape(sub)}`."),
                )
                return
            sub, rest = "ask", text  # "/cx what do North customers say?" is a question too
        with guarded(reply, f"running /cx {sub}"):
            if sub == "ask":
                if not rest:
                    reply.ephemeral("Ask a question: `/cx ask what do customers complain about?`")
                    return
                self.answer(reply, rest, user, asked_by=user)
            elif sub == "gaps":
                self.gaps(reply, rest or None, user)
            elif sub == "status":
                self.status(reply)
            elif sub == "reindex":
                self.reindexer.run(reply, user, rest or None)
            elif sub == "digest":
                self.digest(reply, user)
            elif sub == "feedback":
                self.export_feedback(reply, user)
            elif sub == "watch":
                self.watch(reply, rest, user)
            elif sub == "schedule":
                self.schedule(reply, rest, user)
            elif sub == "watches":
                self.list_watches(reply)
            elif sub == "unwatch":
                self.unwatch(reply, rest, user)
            elif sub == "themes":
                self.themes(reply)

    def gaps(self, reply: Reply, metric: str | None, user: str) -> None:
        label = f"perception gaps{' for ' + metric if metric else ''}"
        reply.start(bk.fallback_text(label), bk.looking_blocks(f"/cx gaps {metric or ''}", user))
        with self._busy:
            answer = gaps_answer(self.engine, metric)
        record = answer.as_dict()
        record["further"] = False
        thread = reply.placeholder
        answer_id = self.store.save_answer(
            record, reply.channel, thread, user, shown=min(bk.PAGE, len(answer.citations))
        )
        if thread:  # "and for the South?" in its thread: the gaps of that segment
            self.store.set_thread(reply.channel, thread, Filters(intent="gap"))
        blocks, text = bk.answer_blocks(answer, answer_id, asked_by=user, more_available=False)
        reply.finish(text, blocks)

    def themes(self, reply: Reply) -> None:
        """The themes answers count, largest first; renaming stays with the CX team's CLI."""
        from ingest.theme_edits import coverage_line, theme_rows

        rows = theme_rows(self.settings)
        reply.ephemeral("cxbot themes", bk.themes_blocks(rows, coverage_line(self.settings)))

    def status(self, reply: Reply) -> None:
        from bot.analysis.overview import index_stats

        stats = index_stats(self.settings)
        reply.ephemeral("cxbot status", bk.status_blocks(stats, self.reindexer.running_text()))

    def digest(self, reply: Reply, user: str) -> None:
        """A preview of the weekly digest, for the people who run the bot (the re-index
        allowlist): it computes over the whole index and is not meant as a second channel."""
        from bot.digest.build import preview_blocks

        if not self.reindexer.allowed(user):
            reply.ephemeral(
                "Sorry, previewing the digest is limited to the re-index allowlist; the digest "
                "itself is posted weekly to its channels."
            )
            return
        with self._busy:
            digest_blocks = list(preview_blocks(self.engine, self.settings))
        reply.ephemeral("Weekly digest preview", digest_blocks[: bk.MAX_BLOCKS])

    # ---------------------------------------------------------------- watches

    def target_channel(self, reply: Reply, cid: str | None, name: str | None) -> str:
        """Where a watch posts: the channel named (`<#C..|x>` or `#x`), else this one."""
        if cid:
            channel = cid
        elif name:
            channel = self.channel_id(name)
        else:
            channel = reply.channel
        if not self.allowed(channel):
            raise CxbotError(f"cxbot is not enabled in <#{channel}>.", self._allowed_text())
        return channel

    def channel_id(self, name: str) -> str:
        """A `#name` typed as text (the command does not escape channels): its id."""
        cursor = None
        for _ in range(50):  # 50 pages of 200: 10,000 channels
            resp = self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for c in resp.get("channels") or []:
                if c.get("name") == name:
                    return str(c["id"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise CxbotError(
            f"I can't find #{name}.", "Pick the channel from Slack's list, or invite me there."
        )

    def watch(self, reply: Reply, text: str, user: str) -> None:
        what, cid, name = split_channel(text)
        channel = self.target_channel(reply, cid, name)
        themes, segments, label = resolve_target(self.engine, what)
        w = self.watches.add("watch", channel, user, what, themes, segments, label)
        cron = WatchSettings().alert_cron
        reply.ephemeral(
            f"Watching *{bk.escape(label)}* (#{w.id}): a daily check (`{cron}`, "
            f"{bk.escape(self.settings.digest_timezone)}) posts spikes in <#{channel}>, each "
            "against its own baseline of the previous weeks, with the complaints behind it. "
            f"`/cx watches` lists them, `/cx unwatch {w.id}` stops this one."
        )

    def schedule(self, reply: Reply, text: str, user: str) -> None:
        question, cadence, rest = parse_schedule(text)
        _, cid, name = split_channel(rest)
        if rest and not (cid or name):
            raise CxbotError(f"I don't understand '{rest}' after {cadence}: name a #channel.")
        channel = self.target_channel(reply, cid, name)
        self.engine.understand(question)  # a question with no words is refused now, not weekly
        w = self.watches.add("schedule", channel, user, question, [], {}, question, cadence)
        when = (
            f"daily at `{WatchSettings().alert_cron}`"
            if cadence == "daily"
            else f"weekly at `{self.settings.digest_cron}`"
        )
        reply.ephemeral(
            f"Scheduled (#{w.id}): _{bk.escape(question)}_, re-run and posted in <#{channel}> "
            f"{when} ({bk.escape(self.settings.digest_timezone)}). `/cx unwatch {w.id}` stops it."
        )

    def list_watches(self, reply: Reply) -> None:
        items = self.watches.all()
        if not items:
            reply.ephemeral(
                "No watches or scheduled questions yet. `/cx watch late deliveries` or "
                '`/cx schedule "What changed this week?" weekly`.'
            )
            return
        lines = [f"{len(items)} watch(es) and scheduled question(s):"]
        lines += [f"• {w.describe()}" for w in items[:40]]
        reply.ephemeral(bk.fallback_text(lines[0]), bk.message_blocks("\n".join(lines)))

    def unwatch(self, reply: Reply, text: str, user: str) -> None:
        raw = text.strip().lstrip("#")
        w = self.watches.get(int(raw)) if raw.isdigit() else None
        if w is None:
            reply.ephemeral(f"There is no watch `{bk.escape(raw)}`; `/cx watches` lists them.")
            return
        if w.user != user and not self.reindexer.allowed(user):
            reply.ephemeral(
                f"Only <@{w.user}> (who set it) or the re-index allowlist can stop #{w.id}."
            )
            return
        self.watches.remove(w.id)
        reply.ephemeral(f"Stopped #{w.id}: {w.describe()}.")

    # ---------------------------------------------------------------- re-index
    def export_feedback(self, reply: Reply, user: str) -> None:
        """Allowed users, in a DM (the file holds other people's questions)."""
        if not self.reindexer.allowed(user):
            reply.ephemeral("Sorry, exporting feedback is limited to the re-index allowlist.")
            return
        if not reply.channel.startswith("D"):
            reply.ephemeral(
                "Run `/cx feedback` in a direct message with me: the export holds "
                "other people's questions."
            )
            return
        buf = io.StringIO()
        n = self.store.export(buf)
        if n == 0:
            reply.ephemeral("No feedback has been recorded yet.")
            return
        self.client.files_upload_v2(
            channel=reply.channel,
            content=buf.getvalue(),
            filename="cxbot-feedback.jsonl",
            title="cxbot feedback",
            initial_comment=f"{n} feedback row(s), one JSON object per line.",
            request_file_info=False,
        )

    # ---------------------------------------------------------------- buttons

    @staticmethod
    def _action_reply(client: WebClient, body: dict[str, Any], respond: Any) -> Reply:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread = (
            message.get("thread_ts")
            or container.get("thread_ts")
            or message.get("ts")
            or container.get("message_ts")
        )
        user = (body.get("user") or {}).get("id")
        return Reply(client, channel, thread, respond=respond, user=user)

    def _on_more(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        reply = self._action_reply(self.client, body, respond)
        answer_id = str(body["actions"][0].get("value") or "")
        with guarded(reply, "finding more evidence"):
            self.more_evidence(reply, answer_id)

    def more_evidence(self, reply: Reply, answer_id: str) -> None:
        """The answer's next citations; past those, further records matching the question."""
        with self._more_lock:
            stored = self.store.answer(answer_id)
            if stored is None:
                reply.ephemeral("That answer is no longer stored; please ask again.")
                return
            shown = int(stored["shown"])
            page = [as_citation(c) for c in stored["citations"][shown : shown + bk.PAGE]]
            note = ""
            if not page and stored.get("further") and shown < MAX_EVIDENCE:
                page = self._further(stored, bk.PAGE)
                stored["citations"] += [c.as_dict() for c in page]
                note = (
                    "Beyond the sources of the answer: further records matching the question, "
                    "best match first (the answer's figures already count them)."
                )
            shown += len(page)
            more = shown < len(stored["citations"]) or (
                bool(stored.get("further")) and bool(page) and shown < MAX_EVIDENCE
            )
            self.store.update_answer(answer_id, stored, shown)
        blocks, text = bk.evidence_blocks(stored["question"], page, answer_id, more, note)
        reply.post(text, blocks)

    def _further(self, stored: dict[str, Any], k: int) -> list[Citation]:
        corpus = self.engine.corpus()
        fd = stored.get("filters") or {}
        f = context_filters(fd)
        f.polarity = {"negative": -1, "positive": 1}.get(fd.get("sentiment") or "")
        names = {self.engine.label(n): n for n in self.engine.assigner.names}
        themes = [names[t] for t in fd.get("themes") or [] if t in names]
        known = [
            Hit(idx=corpus.index[c["id"]], id=c["id"], score=0.0)
            for c in stored["citations"]
            if c["id"] in corpus.index
        ]
        book = CitationBook(corpus, len(known) + k)
        book.cite(known, len(known))
        before = len(book.items)
        with self._busy:
            hits = self.engine.search(
                stored["question"], f, k=len(known) + 3 * k, theme_filter=themes or None
            )
        book.cite(hits, k)
        new = book.items[before:]
        for i, c in enumerate(new):
            c.n = len(stored["citations"]) + 1 + i
        return new

    def _on_vote(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        reply = self._action_reply(self.client, body, respond)
        action = body["actions"][0]
        vote = 1 if action.get("action_id") == bk.VOTE_UP_ACTION else -1
        with guarded(reply, "recording feedback"):
            if self.store.vote(str(action.get("value") or ""), reply.user or "?", vote):
                icon = ":thumbsup:" if vote > 0 else ":thumbsdown:"
                reply.ephemeral(f"Thanks, your {icon} is recorded with this answer.")
            else:
                reply.ephemeral("That answer is no longer stored, so the vote was not recorded.")
