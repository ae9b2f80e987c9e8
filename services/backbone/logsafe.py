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


def structured(event: str, **fields: Any) -> str:
    """One log line ``event key=value ...`` for machines and people alike.

    Every value passes ``safe_log``; a value that is empty or holds spaces,
    quotes or ``=`` is quoted, so a value can never forge another field.
    ``None`` is ``-``. Callers pass names and references, never personal data.
    """
    parts = [safe_log(event)]
    for key, value in fields.items():
        text = "-" if value is None else safe_log(value)
        if not text or any(ch in text for ch in ' "=\\'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)
