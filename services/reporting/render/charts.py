"""Charts of a report as SVG, drawn with matplotlib (R-RPT-6).

Two charts say more than their tables: service days against the requirement
per group (bars, with the requirement as a marker), and the implementation
rates per government (bars). They are laid out on the Agg canvas with a
CJK font found on the machine (fonts-noto-cjk, see `make system-deps`).
Text stays text in the SVG (with CJK fallbacks for the reader's viewer):
the files stay small, and in the PDF WeasyPrint sets it with the same
embedded font, so it can be searched. Names are never read as mathtext ($).
The SVG carries no date and salts its ids with the chart's name, so the same
report always gives the same picture (an issued copy renders the same).
"""

from __future__ import annotations

import io
import logging
import math
import subprocess
import threading
from functools import lru_cache

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from services.reporting.render.document import Chart

# Fonts with the Simplified Chinese glyphs, preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
VIEWER_FALLBACKS = ("Microsoft YaHei", "PingFang SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "DejaVu Sans")
COLOURS = {"ok": "#2f6db5", "short": "#d9822b", "required": "#b3261e", "series": ("#2f6db5", "#6aa84f")}
LOG = logging.getLogger(__name__)
# rcParams are process-wide: charts are drawn one at a time.
_LOCK = threading.Lock()


def _fontconfig_cjk_files() -> list[str]:
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in listing.splitlines() if line.strip()})


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first installed CJK family, None if there is none (charts then lack Chinese glyphs).

    matplotlib keeps its font list in a cache made on first use; a font
    installed after that (make system-deps on a used machine) is added from
    fontconfig's list.
    """
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    family = next((f for f in CJK_FAMILIES if f in names), None)
    if family:
        return family
    added = []
    for path in _fontconfig_cjk_files():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        added.append(font_manager.fontManager.ttflist[-1].name)
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    family = next((f for f in CJK_FAMILIES if f in names), None) or (added[0] if added else None)
    if family is None:
        LOG.warning("no CJK font found (fc-list :lang=zh): charts will miss Chinese glyphs; run make system-deps")
    return family


def _style(salt: str) -> dict:
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        # The family found first; the others name what a reader's viewer may have instead.
        "font.sans-serif": ([family] if family else []) + [f for f in VIEWER_FALLBACKS if f != family],
        "font.size": 9,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "text.parse_math": False,
        "svg.hashsalt": f"rps-{salt}",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _height(count: int, per_row: float) -> float:
    return max(2.0, 1.0 + per_row * count)


def _number_text(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.1f}%"
    return f"{value:g}"


def _service_days(fig: Figure, chart: Chart) -> None:
    """Bars: days served; marker: the days required (R-VIS-4)."""
    ax = fig.add_subplot()
    bars = next(s for s in chart.series if s.style == "bar")
    marks = next((s for s in chart.series if s.style == "marker"), None)
    positions = list(range(len(chart.categories)))
    required = marks.values if marks else [None] * len(positions)
    served = [v if v is not None else math.nan for v in bars.values]
    short = [r is not None and v is not None and v < r for v, r in zip(bars.values, required)]
    ok_label, short_label = f"{bars.label}（达到要求）", f"{bars.label}（低于要求）"
    for flag, colour, label in ((False, COLOURS["ok"], ok_label), (True, COLOURS["short"], short_label)):
        ys = [p for p, s in zip(positions, short) if s is flag]
        if ys:
            ax.barh(ys, [served[p] for p in ys], height=0.6, color=colour, label=label)
    highest = max([v for v in bars.values + list(required) if v is not None] or [1])
    for p, value in zip(positions, bars.values):
        if value is not None:
            _value_label(ax, value, p, f"{value:g}", highest)
    if marks:
        ys = [p for p, r in zip(positions, required) if r is not None]
        ax.plot(
            [required[p] for p in ys], ys, linestyle="none", marker="|", markersize=16, markeredgewidth=2.5,
            color=COLOURS["required"], label=marks.label,
        )
    ax.set_yticks(positions, chart.categories)
    ax.invert_yaxis()
    ax.set_xlabel(f"服务天数（{chart.value_label}）")
    ax.set_xlim(0, highest * 1.15 + 0.5)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside upper center", ncols=3, frameon=False, fontsize=8)


def _rates(fig: Figure, chart: Chart) -> None:
    """Clustered bars of completion and on-time rates per government (R-RPT-2)."""
    ax = fig.add_subplot()
    count, width = len(chart.series), 0.8 / max(1, len(chart.series))
    positions = list(range(len(chart.categories)))
    for index, series in enumerate(chart.series):
        offset = (index - (count - 1) / 2) * width
        ys = [p + offset for p in positions]
        values = [v * 100 if v is not None else math.nan for v in series.values]
        colour = COLOURS["series"][index % len(COLOURS["series"])]
        ax.barh(ys, values, height=width * 0.9, color=colour, label=series.label)
        for y, value in zip(ys, series.values):
            if value is not None:
                _value_label(ax, value * 100, y, _number_text(value * 100, True), 100)
    for p in positions:
        if all(series.values[p] is None for series in chart.series):
            ax.annotate("无到期事项", (0, p), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(positions, chart.categories)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 20, 40, 60, 80, 100], ["0", "20%", "40%", "60%", "80%", "100%"])
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside upper center", ncols=2, frameon=False, fontsize=8)


def _value_label(ax, value: float, y: float, text: str, scale: float) -> None:
    """The figure at the bar's end: inside a long bar (clear of the marker), outside a short one."""
    if value >= scale * 0.2:
        ax.annotate(text, (value, y), xytext=(-3, 0), textcoords="offset points", va="center", ha="right",
                    fontsize=8, color="white")
    else:
        ax.annotate(text, (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)


# Inches per category: compact enough that a chart and its table share a page.
DRAWERS = {"service_days": (_service_days, 0.22), "rates": (_rates, 0.36)}


def svg(chart: Chart) -> str:
    """The chart as an SVG document (text as outlines, no external references)."""
    draw, per_row = DRAWERS[chart.key]
    with _LOCK, matplotlib.rc_context(_style(chart.key)):
        fig = Figure(figsize=(6.6, _height(len(chart.categories), per_row)), layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig, chart)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
