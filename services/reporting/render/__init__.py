"""Reports for people: HTML, XLSX and PDF from the report JSON (R-RPT-6).

    from services.reporting.render import render
    rendered = render(report, "pdf")   # Rendered(body, content_type, filename)

`report` is the JSON of API.md "Report JSON" (monthly, quarterly,
half-yearly, annual), optionally with `issue` (R-RPT-7) and further
sections; every format shows the same document (`document.build`) in
Simplified Chinese. Rendering reads nothing but the report: the same report
gives the same page, so an issued copy can be rendered once and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FORMATS = ("html", "xlsx", "pdf")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    filename: str


def filename(report: dict[str, Any], fmt: str) -> str:
    """ASCII only, so it fits a Content-Disposition header as it is."""
    parts = [str(report.get("kind") or "report"), str(report.get("period") or "")]
    issue = report.get("issue")
    if isinstance(issue, dict) and issue.get("number") is not None and not issue.get("changed_since_issue"):
        parts.append(f"no{issue['number']}")
    stem = "-".join(_UNSAFE_NAME.sub("_", p).strip("._-") for p in parts if p) or "report"
    return f"{stem}.{fmt}"


def render(report: dict[str, Any], fmt: str) -> Rendered:
    """The report in one of FORMATS; ValueError for any other format."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt：不支持的格式 {fmt!r}，可选 {'、'.join(FORMATS)}")
    from services.reporting.render.document import build

    doc = build(report)
    if fmt == "html":
        from services.reporting.render.html import render_html

        body = render_html(doc).encode("utf-8")
    elif fmt == "xlsx":
        from services.reporting.render.xlsx import render_xlsx

        body = render_xlsx(doc, report)
    else:
        from services.reporting.render.pdf import render_pdf

        body = render_pdf(doc)
    return Rendered(body=body, content_type=CONTENT_TYPES[fmt], filename=filename(report, fmt))


__all__ = ["FORMATS", "Rendered", "render"]
