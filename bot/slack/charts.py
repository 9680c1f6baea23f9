"""Charts uploaded into an answer's thread: volume against impact for a drivers answer, and
complaint shares now against before for a trend answer (the digest's bars).

Each takes the answer's own figures (``answer.extra["drivers"]``, ``answer.extra["trend"]``),
so the chart shows exactly what the text says. Matplotlib's object API on the Agg canvas: no
pyplot global state, safe in bolt's listener threads.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bot.analysis.drivers import UNIT
from bot.citations import Answer
from bot.digest.chart import DPI, Bar, bars_png

FIX_COLOUR = "#c0392b"
OTHER_COLOUR = "#6b7280"
MAX_TREND_THEMES = 6


def drivers_png(report: dict[str, Any]) -> bytes | None:
    """Every estimated theme: x = scored verbatims raising it, y = its impact on the score with
    its bootstrap 95% interval; fix-first themes red and labelled with their rank."""
    rows = [d for d in report.get("drivers") or [] if d.get("impact") is not None]
    if not rows:
        return None
    label, kind = report.get("label", "score"), report.get("kind", "nps")
    fig = Figure(figsize=(6.4, 6.4), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.14, 0.13, 0.8, 0.7))
    fig.text(0.04, 0.94, f"What costs the {label}", fontsize=20, fontweight="bold")
    fig.text(
        0.04,
        0.89,
        f"Impact ({UNIT.get(kind, 'points')}) against volume; bars: 95% bootstrap intervals",
        fontsize=11,
        color="#333333",
    )
    ax.axhline(0, color="#999999", linewidth=1)
    for d in rows:
        fix = bool(d.get("fix_first"))
        colour = FIX_COLOUR if fix else OTHER_COLOUR
        y, lo, hi = d["impact"], d.get("ci_low"), d.get("ci_high")
        err = [[y - lo], [hi - y]] if lo is not None and hi is not None else None
        ax.errorbar(
            d["n"], y, yerr=err, fmt="o", color=colour, markersize=9 if fix else 7, capsize=4
        )
        name = f"{d['fix_first']}. {d['label']}" if fix else d["label"]
        ax.annotate(
            name,
            (d["n"], y),
            xytext=(8, 4),
            textcoords="offset points",
            fontsize=11,
            fontweight="bold" if fix else "normal",
            color=colour,
        )
    ax.set_xlabel("Scored verbatims raising the theme", fontsize=12)
    ax.set_ylabel(f"Impact on the {label}", fontsize=12)
    ax.set_xlim(0, max(d["n"] for d in rows) * 1.45)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color=FIX_COLOUR, label="fix first"),
            Line2D([], [], marker="o", linestyle="", color=OTHER_COLOUR, label="other themes"),
        ],
        loc="lower right",
        frameon=False,
        fontsize=11,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def trend_png(trend: dict[str, Any]) -> bytes | None:
    """The themes a trend answer shows, this period against the previous, as the digest draws
    them; None when it shows none."""
    themes = (trend.get("themes") or [])[:MAX_TREND_THEMES]
    if not themes:
        return None
    bars = [
        Bar(
            t["label"],
            t["now"]["share"],
            t["before"]["share"],
            t["change_points"],
            t["significant"],
        )
        for t in themes
    ]
    n = trend.get("verbatims") or {}
    return bars_png(
        bars,
        f"{trend['period']['label']} (n={n.get('now', 0):,})",
        f"{trend['previous']['label']} (n={n.get('before', 0):,})",
    )


def answer_chart(answer: Answer) -> tuple[bytes, str, str, str] | None:
    """(png, filename, title, alt text) for an answer that has a chart, else None."""
    report = answer.extra.get("drivers")
    if report:
        png = drivers_png(report)
        if png is None:
            return None
        label = report.get("label", "score")
        return (
            png,
            f"cx-drivers-{report.get('kind', 'score')}.png",
            f"What costs the {label}: impact against volume",
            f"Scatter chart: each theme's impact on the {label} (points, with 95% intervals) "
            "against the number of scored verbatims raising it; fix-first themes in red.",
        )
    trend = answer.extra.get("trend")
    if answer.extra.get("intent") == "trend" and trend:
        png = trend_png(trend)
        if png is None:
            return None
        p, q = trend["period"], trend["previous"]
        return (
            png,
            f"cx-trend-{p['since']}-{p['until']}.png",
            f"Complaints by theme, {p['label']} vs {q['label']}",
            "Bar chart: share of verbatims complaining about each theme the answer names, "
            "this period against the previous one.",
        )
    return None
