"""The demo year's reports as documents (issue 14 "Documents", R-RPT-6): every report `rps demo` writes
(12 monthly, 4 quarterly, 2 half-yearly, the annual one), rendered in every format.

The year is played once for the module by a real `rps demo` process (JSON only); each report is then
rendered here under `labels.strict()`, so a key another change adds to the report JSON without a
Chinese label fails with its name. Checked: no internal identifier in the visible text of HTML, XLSX
and PDF; every PDF glyph inside A4's printable area, no header one character a line (nor its last
character alone), no table heading alone at a page's foot; and the page
counts of the ten-group year: monthly ≤ 4, quarterly ≤ 6, half-yearly ≤ 12, annual ≤ 14.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from services.reporting.render import labels, render
from tests.processes import RPS
from tests.unit.reporting_render import visible as V

pytestmark = pytest.mark.e2e

MAX_PAGES = {"monthly": 4, "quarterly": 6, "half-yearly": 12, "annual": 14}
ENUMERATED = {key: set(values) for key, values in labels.VALUE_LABELS.items()}
TEXT = {"html": V.html_text, "xlsx": V.xlsx_text}


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> dict[str, dict]:
    """The demo year's report JSONs by file stem ("quarterly-2022-Q1")."""
    root = tmp_path_factory.mktemp("demo-documents")
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    done = subprocess.run([RPS, "demo", "--data-dir", str(root / "var"), "--out", str(root / "out"),
                           "--formats", "json"], env=env, capture_output=True, text=True, timeout=600)
    # The whole year plays (R-REC-1's links included, issue 14): exit 0 and no step the system refused
    # ("  ! <day> <step>: <error>"); then every report it fetched must be there.
    refused = [line for line in done.stdout.splitlines() if line.startswith("  ! ")]
    assert done.returncode == 0 and not refused, "\n".join(refused) + done.stdout[-2000:] + done.stderr[-2000:]
    reports = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "out").glob("*.json"))}
    assert len(reports) == 19, (sorted(reports), done.stdout[-2000:])
    assert {r["kind"] for r in reports.values()} == set(MAX_PAGES), sorted(reports)
    return reports


def strict(report: dict, fmt: str) -> bytes:
    with labels.strict():
        return render(report, fmt).body


def test_every_report_shows_chinese_labels_and_names_only(year):
    # R-RPT-6: HTML and XLSX of every report of the year: no snake_case key, UUID, raw value or bare code.
    found = []
    for stem, report in year.items():
        assert len(report["groups"]) == 10 or report["kind"] == "monthly", stem
        for fmt, text in TEXT.items():
            found += [f"{stem}.{fmt}: {word}" for word in V.internal_identifiers(text(strict(report, fmt)), report, ENUMERATED)]
    assert not found, "\n".join(found)


def test_every_pdf_fits_a4_within_its_page_budget(year):
    # R-RPT-6: every PDF of the year inside the printable area, headers readable, and no longer than
    # its family's budget (by layout, never by leaving content out: the text checks above see all of it).
    pages, found = {}, []
    for stem, report in year.items():
        body = strict(report, "pdf")
        read = V.pdf_pages(body)
        pages[stem] = len(read)
        found += [f"{stem}: {p}" for p in V.outside_printable_area(read)[:3] + V.one_character_stacks(read)
                  + V.lone_header_characters(read) + V.headings_at_page_foot(read)]
        found += [f"{stem}: internal identifier {w!r}" for w in V.internal_identifiers(V.pdf_text(body), report, ENUMERATED)]
        if len(read) > MAX_PAGES[report["kind"]]:
            found.append(f"{stem}: {len(read)} pages, at most {MAX_PAGES[report['kind']]}")
    print("pages:", json.dumps(pages))
    assert not found, "\n".join(found)
