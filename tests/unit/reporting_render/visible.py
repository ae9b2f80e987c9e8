"""What a person sees in a rendered report, read back from the file (R-RPT-6).

HTML: the text between the tags; XLSX: the sheet names and every cell's value; PDF: each
glyph with its box (pdfplumber), to check that nothing is cut at the page's edge and that
no header wraps one character to a line. The checks return readable problems, not booleans,
so a failing test names the text and the page.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from typing import Any, Iterable

import openpyxl
import pdfplumber

MM = 72 / 25.4
# Paper A4 less a margin no printer prints into: every glyph must lie inside.
PRINTABLE_MARGIN_MM = 8
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_ATTR = re.compile(r'\b(?:alt|title|aria-label)="([^"]*)"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")


def html_text(body: bytes) -> str:
    """The page's text and the texts read aloud (alt, title, aria-label), tags stripped."""
    page = body.decode("utf-8")
    said = " ".join(_ATTR.findall(page))
    return html.unescape(_TAG.sub(" ", page) + " " + said)


def xlsx_text(body: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    parts: list[str] = []
    for sheet in workbook.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(v) for v in row if v is not None)
    return "\n".join(parts)


@dataclass
class PdfPage:
    number: int
    width: float
    height: float
    chars: list[dict]

    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)


def pdf_pages(body: bytes) -> list[PdfPage]:
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        return [PdfPage(i, float(p.width), float(p.height), list(p.chars)) for i, p in enumerate(pdf.pages, 1)]


def pdf_text(body: bytes) -> str:
    return "\n".join(page.text() for page in pdf_pages(body))


def outside_printable_area(pages: Iterable[PdfPage]) -> list[str]:
    """Glyphs whose box is not wholly inside the page less PRINTABLE_MARGIN_MM on every side."""
    margin = PRINTABLE_MARGIN_MM * MM
    problems = []
    for page in pages:
        for c in page.chars:
            if c["x0"] < margin or c["x1"] > page.width - margin or c["top"] < margin or c["bottom"] > page.height - margin:
                problems.append(f"page {page.number}: {c['text']!r} at x {c['x0']:.0f}–{c['x1']:.0f}, "
                                f"y {c['top']:.0f}–{c['bottom']:.0f} (page {page.width:.0f}×{page.height:.0f})")
    return problems


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Glyphs in runs on one baseline with no gap wider than a character between them."""
    rows: dict[tuple[int, int], list[dict]] = {}
    for c in chars:
        if c["text"].strip():
            rows.setdefault((round(c["top"]), round(c["size"])), []).append(c)
    runs = []
    for row in rows.values():
        row.sort(key=lambda c: c["x0"])
        run = [row[0]]
        for c in row[1:]:
            if c["x0"] - run[-1]["x1"] > c["size"] * 0.6:
                runs.append(run)
                run = []
            run.append(c)
        runs.append(run)
    return runs


def one_character_stacks(pages: Iterable[PdfPage], length: int = 3) -> list[str]:
    """Headers printed one character to a line: `length` or more single bold glyphs stacked at one x,
    a line apart, not all the same character (a column of red 否 in successive rows is not a header)."""
    problems = []
    for page in pages:
        singles = [run[0] for run in _lines(page.chars)
                   if len(run) == 1 and ord(run[0]["text"]) > 0x2E80 and "Bold" in run[0]["fontname"]]
        singles.sort(key=lambda c: (round(c["x0"]), c["top"]))
        stacks: list[list[dict]] = []
        for c in singles:
            last = stacks[-1][-1] if stacks else None
            # One word is one colour: a header's black glyphs never run on into a column of red 否.
            if (last and abs(c["x0"] - last["x0"]) < 1 and 0 < c["top"] - last["top"] < c["size"] * 2
                    and c.get("non_stroking_color") == last.get("non_stroking_color")):
                stacks[-1].append(c)
            else:
                stacks.append([c])
        for stack in stacks:
            word = "".join(s["text"] for s in stack)
            if len(stack) >= length and len(set(word)) > 1:
                problems.append(f"page {page.number}: {word!r} one character a line")
    return problems


def lone_header_characters(pages: Iterable[PdfPage]) -> list[str]:
    """A header's last character on a line of its own ("是否面见主要负责" over "人"): a single bold
    glyph under a line of two or more bold glyphs of its size and colour that spans it (issue 14:
    headers never wrap one character per line; a red 否 under a header is another colour)."""
    problems = []
    for page in pages:
        runs = [run for run in _lines(page.chars) if "Bold" in run[0]["fontname"]]
        for lone in (run[0] for run in runs if len(run) == 1 and ord(run[0]["text"]) > 0x2E80):
            middle = (lone["x0"] + lone["x1"]) / 2
            for above in runs:
                if (len(above) > 1 and above[0]["x0"] <= middle <= above[-1]["x1"]
                        and 0 < lone["top"] - above[0]["top"] < lone["size"] * 2
                        and round(above[0]["size"]) == round(lone["size"])
                        and above[0].get("non_stroking_color") == lone.get("non_stroking_color")):
                    word = "".join(c["text"] for c in above)
                    problems.append(f"page {page.number}: {word!r} over {lone['text']!r} alone on its line")
                    break
    return problems


def headings_at_page_foot(pages: Iterable[PdfPage], running_mm: float = 18) -> list[str]:
    """A table's header or band heading (a line all bold, in the tables' 8 pt or a caption's 10 pt)
    as the last line of a page's body, its rows on the next page (issue 14, R-RPT-6). The running
    header and the page number (within ``running_mm`` of the paper's edge) are not the body."""
    problems = []
    for page in pages:
        lines: dict[int, list[dict]] = {}
        for c in page.chars:
            if c["text"].strip() and running_mm * MM < c["top"] and c["bottom"] < page.height - running_mm * MM:
                lines.setdefault(round(c["top"]), []).append(c)
        if not lines:
            continue
        last = lines[max(lines)]
        if round(last[0]["size"]) in (8, 10) and all("Bold" in c["fontname"] for c in last):
            problems.append(f"page {page.number}: {''.join(c['text'] for c in last)!r} at the page's foot")
    return problems


def report_words(report: Any) -> tuple[set[str], set[str]]:
    """(every key of the report JSON, every organisation code it gives a name for): none may be seen raw."""
    keys: set[str] = set()
    codes: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                keys.add(key)
                walk(child)
            for key, name_key in (("group", "district_name"), ("district", "district_name"),
                                  ("government", "government_name")):
                if isinstance(value.get(key), str) and value.get(name_key):
                    codes.add(value[key])
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(report)
    return keys, codes


def internal_identifiers(text: str, report: Any, enumerated: dict[str, set[str]] | None = None) -> list[str]:
    """Internal identifiers in visible text: snake_case words, UUIDs, the report's own keys and
    organisation codes, and raw enumerated values (`max`) — each as a whole ASCII word.

    Business references (opinion references, letter numbers, rule ids) are not such words.
    """
    found = {m.group(0) for m in SNAKE.finditer(text)} | {m.group(0) for m in UUID.finditer(text)}
    keys, codes = report_words(report)
    # Cells of a PDF page run together: a word may follow a digit ("2022-06-10g-gulou").
    words = set(re.findall(r"(?<![A-Za-z_-])[A-Za-z][A-Za-z0-9_-]*(?![A-Za-z0-9_-])", text))
    raw_values = set().union(*(enumerated or {}).values()) if enumerated else set()
    found |= {w for w in words if w in keys or w in codes or w in raw_values}
    return sorted(found)
