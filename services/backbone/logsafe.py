"""Values from outside (paths, headers, claims) made safe for a log line.

Control characters (a forged second line) and bidi overrides (text that
reads differently than it is) are escaped; length is capped. Bodies, tokens
and personal data are never logged at all.
"""

from __future__ import annotations

from typing import Any

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_log(value: Any, limit: int = 200) -> str:
    text = str(value)
    cut = text[:limit]
    escaped = "".join(
        ch if ch.isprintable() and ch not in _BIDI else ch.encode("unicode_escape").decode("ascii") for ch in cut
    )
    return escaped + ("…" if len(text) > limit else "")
