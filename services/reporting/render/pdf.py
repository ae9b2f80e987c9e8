"""The report as a PDF: the HTML page printed by WeasyPrint (A4, fonts embedded).

WeasyPrint lays the page out with Pango and embeds a subset of the CJK font
fontconfig finds (fonts-noto-cjk; subsetting by libharfbuzz-subset0, see
`make system-deps`); the charts stay vector graphics. Only data: URLs may be
loaded, so the PDF can use nothing but what the page carries inline.
"""

from __future__ import annotations

from services.reporting.render.document import Document
from services.reporting.render.html import render_html


def render_pdf(doc: Document) -> bytes:
    # Imported when a PDF is asked for: it loads Pango through cffi.
    from weasyprint import HTML, URLFetcher

    html = HTML(string=render_html(doc), url_fetcher=URLFetcher(allowed_protocols=["data"]))
    return html.write_pdf(pdf_tags=True)
