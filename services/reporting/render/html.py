"""The report as an HTML page (Jinja2, autoescaped, everything inline).

The page fetches nothing at run time: the stylesheet is inlined and the
charts are SVG documents in data: URIs, so the file can be mailed, archived
with an issued report (R-RPT-7) or printed to PDF as it is.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from services.reporting.render import charts as chart_svg
from services.reporting.render.document import Document

TEMPLATES = Path(__file__).parent / "templates"
DIGITS = "零一二三四五六七八九"


def numeral(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十 (section numbers as an official writes them)."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals["numeral"] = numeral
    return env


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    # Our own file, inlined verbatim into <style>.
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def chart_uris(doc: Document) -> dict[str, str]:
    uris = {}
    for chart in doc.charts():
        data = base64.b64encode(chart_svg.svg(chart).encode("utf-8")).decode("ascii")
        uris[chart.key] = f"data:image/svg+xml;base64,{data}"
    return uris


def render_html(doc: Document) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(doc=doc, css=stylesheet(), charts=chart_uris(doc))
