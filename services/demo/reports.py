"""Fetching the year's reports over HTTP into ./out, and the index page that links them.

Each report is ``GET /api/v1/reports/{kind}/{period}?format=...`` (API.md),
saved as ``out/{kind}-{period}.{ext}``. JSON must work; another format that
answers an error is reported as a one-line warning and skipped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from services.demo.client import Client, Role

FORMATS = ("json", "html", "xlsx", "pdf")
CONTENT_TYPES = {
    "json": ("application/json",),
    "html": ("text/html",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"),
    "pdf": ("application/pdf",),
}
KIND_LABELS = {
    "monthly": "每月一调度 Monthly dispatch",
    "quarterly": "每季一小结 Quarterly summary",
    "half-yearly": "每半年报告 Half-yearly report",
    "annual": "年度报告 Annual report (service year)",
}
QUARTER_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四"}


@dataclass
class Written:
    kind: str
    period: str
    files: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def report_periods(first: dt.date, last: dt.date) -> list[tuple[str, str]]:
    """The year's reports whose period starts by ``last`` (the end of what was played)."""
    out: list[tuple[str, str]] = []
    month = first.replace(day=1)
    while month <= last and month <= dt.date(2022, 5, 1):
        out.append(("monthly", f"{month:%Y-%m}"))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for period, starts in (("2021-Q3", dt.date(2021, 7, 1)), ("2021-Q4", dt.date(2021, 10, 1)),
                           ("2022-Q1", dt.date(2022, 1, 1)), ("2022-Q2", dt.date(2022, 4, 1))):
        if starts <= last:
            out.append(("quarterly", period))
    for period, starts in (("2021-H2", dt.date(2021, 7, 1)), ("2022-H1", dt.date(2022, 1, 1))):
        if starts <= last:
            out.append(("half-yearly", period))
    out.append(("annual", "2021"))
    return out


def period_label(kind: str, period: str) -> str:
    if kind == "monthly":
        year, month = period.split("-")
        return f"{year}年{int(month)}月"
    if kind == "quarterly":
        year, quarter = period.split("-Q")
        return f"{year}年第{QUARTER_NAMES[quarter]}季度"
    if kind == "half-yearly":
        year, half = period.split("-H")
        return f"{year}年{'上' if half == '1' else '下'}半年"
    return f"{period} 服务年度（{period}-06-01 至 {int(period) + 1}-05-31）"


def fetch_all(client: Client, who: Role, out: Path, periods: list[tuple[str, str]], formats: tuple[str, ...],
              say: Callable[[str], None]) -> list[Written]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (kind, period) in enumerate(periods, 1):
        item = Written(kind, period)
        started = time.monotonic()
        for fmt in formats:
            path = out / f"{kind}-{period}.{fmt}"
            problem = _fetch(client, who, kind, period, fmt, path)
            if problem:
                item.problems[fmt] = problem
                level = "error" if fmt == "json" else "warning"
                say(f"  {level}: {kind} {period} as {fmt}: {problem}")
            else:
                item.files[fmt] = path
        # Issue 16: rendering takes half a minute; say where it is.
        say(f"  report {number}/{len(periods)}: {kind} {period} ({', '.join(item.files) or 'none'},"
            f" {time.monotonic() - started:.1f} s)")
        written.append(item)
    return written


def _fetch(client: Client, who: Role, kind: str, period: str, fmt: str, path: Path) -> str | None:
    """Save one report; the problem in one line, or None."""
    try:
        status, content_type, body = client.raw("GET", f"/api/v1/reports/{kind}/{period}?format={fmt}", who=who)
    except OSError as exc:
        return f"no answer ({type(exc).__name__}: {exc})"
    mime = content_type.split(";")[0].strip().lower()
    if status != 200:
        return f"HTTP {status} {_error_line(body)}"
    if fmt == "json":
        try:
            document = json.loads(body)
        except ValueError:
            return f"HTTP 200 but the body is not JSON ({mime or 'no content type'})"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return None
    if mime not in CONTENT_TYPES[fmt]:
        return f"HTTP 200 answered {mime or 'no content type'}, not {CONTENT_TYPES[fmt][0]} ({_error_line(body)})"
    if not body:
        return "HTTP 200 with an empty body"
    path.write_bytes(body)
    return None


def _error_line(body: bytes) -> str:
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        extra = "".join(f" {k}={error[k]}" for k in ("field", "rule") if error.get(k))
        return f"{error.get('code', 'error')}{extra}: {error.get('message', '')}"
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text[:160]


# -- the index page ----------------------------------------------------------------------------


def money(fen: int) -> str:
    """Integer fen as the reports print yuan (¥ 1,234.50). The demo is a client: it reads the
    reports' JSON over HTTP and imports nothing of the reporting service."""
    return f"{'-' if fen < 0 else ''}¥ {Decimal(abs(fen)) / 100:,.2f}"


def _fen(value: Any) -> str:
    """Money as people read it: yuan with two decimals (the JSON keeps integer fen)."""
    return money(value) if isinstance(value, int) else "—"


def write_index(out: Path, written: list[Written], facts: dict[str, Any]) -> Path:
    """out/index.html: the summary of the year and a link to every report file."""
    e = html.escape
    rows = []
    for kind in KIND_LABELS:
        items = [w for w in written if w.kind == kind]
        if not items:
            continue
        rows.append(f'<tr class="kind"><th colspan="{1 + len(facts["formats"])}">{e(KIND_LABELS[kind])}</th></tr>')
        for w in items:
            cells = []
            for fmt in facts["formats"]:
                if fmt in w.files:
                    cells.append(f'<td><a href="{e(w.files[fmt].name)}">{fmt.upper()}</a></td>')
                else:
                    cells.append(f'<td class="missing" title="{e(w.problems.get(fmt, ""))}">—</td>')
            rows.append(f"<tr><td>{e(period_label(w.kind, w.period))} <small>{e(w.period)}</small></td>"
                        f"{''.join(cells)}</tr>")
    settled = facts.get("settlements") or []
    settlement_rows = "".join(
        f"<tr><td>{e(s['district_name'])}小组 <small>{e(s['group'])}</small></td><td>{e(s['district_name'])}</td>"
        f"<td>{s['duty_months']}</td>"
        f"<td>{s['months_with_visit']}</td><td>{s['days']:g}</td><td>{_fen(s['fee_fen'])}</td>"
        f"<td>{_fen(s['deduction_fen'])}</td><td>{_fen(s['payable_fen'])}</td>"
        f"<td>{e(s['check'])}</td></tr>"
        for s in settled
    )
    problems = [f"{w.kind} {w.period} {fmt}: {p}" for w in written for fmt, p in w.problems.items()]
    counts = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts["counts"])
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>聊城市责任规划师制度 · 2021 服务年度演示报告</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto;
       max-width: 60em; color: #222; line-height: 1.5; }}
h1 {{ font-size: 1.5em; border-bottom: 2px solid #b22; padding-bottom: .3em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: .3em .7em; text-align: left; }}
tr.kind th {{ background: #f3ece4; }}
td.missing {{ color: #999; }}
small {{ color: #777; }}
.note {{ color: #555; font-size: .9em; }}
</style>
</head>
<body>
<h1>聊城市责任规划师制度 · 2021 服务年度（2021-06-01 至 2022-05-31）演示报告</h1>
<p>Responsible Planner System — a demo year for Liaocheng's ten sub-districts, played through the public
HTTP API with business dates ({e(facts['played'])}), generated {e(facts['generated'])}.</p>
<h2>报告 Reports</h2>
<table>
<tr><th>期间 Period</th>{''.join(f'<th>{f.upper()}</th>' for f in facts['formats'])}</tr>
{''.join(rows)}
</table>
<h2>本年度概况 The year in figures</h2>
<table>{counts}</table>
<h2>服务费结算 Fee settlements (R-FEE-1)</h2>
{'<table><tr><th>小组 Group</th><th>镇街 District</th><th>派驻月 Duty months</th><th>有服务的月 Months with visit</th>'
 '<th>服务天数 Days</th><th>服务费 Fee (元)</th><th>扣减 Deduction</th><th>应付 Payable</th><th>核对 Check</th></tr>'
 + settlement_rows + '</table>' if settled else '<p class="note">本次演示未播放到服务年度结束，未结算。'
 'The year was not played to its end: no settlement.</p>'}
{'<h2>未生成的文件 Files not produced</h2><ul>' + ''.join(f'<li>{e(p)}</li>' for p in problems) + '</ul>'
 if problems else ''}
<p class="note">数据目录 Data: {e(facts['data_dir'])} · 由 <code>rps demo</code> 生成 (<code>make demo</code>).</p>
</body>
</html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
