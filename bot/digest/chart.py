"""The digest's one chart: complaint share by theme, this period against the previous.

Drawn for a phone: a tall image, a handful of themes, big type, the theme name above its bars
(so the bars get the full width), the value at the end of each bar and the change in points on
the right, coloured only when it is beyond noise. Matplotlib's object API on the Agg canvas:
no pyplot global state, so it is safe in the scheduler's thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.digest.build import Digest, ThemeChange

MAX_THEMES = 5
NOW_COLOUR = "#1f5fae"
BEFORE_COLOUR = "#b9c2cc"
UP_COLOUR = "#c0392b"  # more complaints: bad
DOWN_COLOUR = "#1e8449"
FLAT_COLOUR = "#6b7280"
DPI = 150


def chart_themes(d: Digest) -> list[ThemeChange]:
    """New, rising and falling themes first, then the most raised; largest share on top."""
    picked: dict[str, ThemeChange] = {}
    for t in d.new + d.rising + d.falling + d.most_raised + d.themes:
        if len(picked) >= MAX_THEMES:
            break
        if t.now.k or t.before.k:
            picked.setdefault(t.theme, t)
    return sorted(picked.values(), key=lambda t: -t.now.share)


@dataclass
class Bar:
    """One theme's pair of bars: shares (0-1) this period and the previous one."""

    label: str
    now: float
    before: float
    points: float
    significant: bool


def chart_png(d: Digest) -> bytes | None:
    """The PNG, or None when there is too little data to show a trend."""
    themes = chart_themes(d)
    if not d.enough or not themes:
        return None
    bars = [Bar(t.label, t.now.share, t.before.share, t.points, t.significant) for t in themes]
    return bars_png(
        bars,
        f"{d.period.label()} (n={d.volume.now:,})",
        f"{d.previous.label()} (n={d.volume.before:,})",
    )


def bars_png(
    bars: list[Bar],
    now_label: str,
    before_label: str,
    title: str = "Complaints by theme",
    subtitle: str = "% of the period's verbatims complaining about it",
) -> bytes:
    """Two bars per theme (first on top), the value at each bar's end and the change on the
    right; the digest's chart and a trend answer's share it."""
    rows = len(bars)
    fig = Figure(figsize=(6.4, 2.3 + 1.35 * rows), dpi=DPI)
    FigureCanvasAgg(fig)
    top_in = 1.1  # room for the title and subtitle, in inches
    bottom_in = 0.95  # legend and note
    height = fig.get_figheight()
    ax = fig.add_axes((0.04, bottom_in / height, 0.74, 1 - (top_in + bottom_in) / height))
    fig.text(0.04, 1 - 0.38 / height, title, fontsize=22, fontweight="bold")
    fig.text(0.04, 1 - 0.8 / height, subtitle, fontsize=14, color="#333333")
    xmax = max(max(t.now, t.before) for t in bars) * 100
    xmax = xmax * 1.28 if xmax else 1.0
    bar, gap = 0.26, 0.04
    for i, t in enumerate(bars):
        y = rows - 1 - i  # first theme on top
        ax.text(0, y + bar + 0.06, t.label, fontsize=16, fontweight="bold", va="bottom")
        now, before = 100 * t.now, 100 * t.before
        ax.barh(y, now, height=bar, color=NOW_COLOUR, align="edge")
        ax.barh(y - bar - gap, before, height=bar, color=BEFORE_COLOUR, align="edge")
        ax.text(now + xmax * 0.015, y + bar / 2, f"{now:.1f}%", fontsize=15, va="center")
        ax.text(
            before + xmax * 0.015,
            y - gap - bar / 2,
            f"{before:.1f}%",
            fontsize=13,
            va="center",
            color="#444444",
        )
        colour = FLAT_COLOUR
        if t.significant:
            colour = UP_COLOUR if t.points > 0 else DOWN_COLOUR
        change = f"{t.points:+.1f} pts" if t.significant else f"{t.points:+.1f}\n(noise)"
        ax.text(
            1.03,
            y - gap / 2,
            change,
            transform=ax.get_yaxis_transform(),
            fontsize=15,
            fontweight="bold" if t.significant else "normal",
            color=colour,
            va="center",
            ha="left",
        )
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.4, rows - 1 + bar + 0.3)
    ax.axis("off")
    fig.legend(
        handles=[
            Patch(color=NOW_COLOUR, label=now_label),
            Patch(color=BEFORE_COLOUR, label=before_label),
        ],
        loc="lower left",
        bbox_to_anchor=(0.02, 0.3 / height),
        fontsize=13,
        frameon=False,
        ncol=1,
        handlelength=1.2,
    )
    fig.text(
        0.04,
        0.12 / height,
        "Change in points: coloured when beyond noise (95%)",
        fontsize=11,
        color="#555555",
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()
