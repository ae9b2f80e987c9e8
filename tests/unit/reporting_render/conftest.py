"""Each sample is rendered once per format for the whole run (PDFs take a moment)."""

from __future__ import annotations

from typing import Callable

import pytest

from services.reporting.render import Rendered, render
from tests.unit.reporting_render import samples

KINDS = ("monthly", "quarterly", "half-yearly", "annual")


@pytest.fixture(scope="session")
def rendered() -> Callable[[str, str], Rendered]:
    cache: dict[tuple[str, str], Rendered] = {}

    def get(kind: str, fmt: str) -> Rendered:
        if (kind, fmt) not in cache:
            cache[kind, fmt] = render(samples.all_kinds()[kind], fmt)
        return cache[kind, fmt]

    return get
