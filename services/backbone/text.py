"""Text every supported store can keep (R-SEC-3 amended).

PostgreSQL refuses NUL in text, and neither PostgreSQL nor SQLite can encode
an unpaired surrogate (JSON ``"\\ud800"``) as UTF-8. The rule refuses every
control character other than tab, CR and LF: C0 (U+0000–U+001F), DEL and C1
(U+007F–U+009F) are all Unicode category Cc, none is text a person types,
and C1 codes (e.g. U+009B, a terminal's CSI) are read as escapes by terminals
showing logs or exports, so they are refused with C0. CRLF is stored as LF.

The edge (http.py) refuses such text with 400 naming the field; the read
side stores what histories kept before this rule with U+FFFD in place
(``keepable``), so no stored event can stop a projection.

Bidirectional overrides and isolates (U+202A–202E, U+2066–2069) make a name
or code read otherwise than it is stored: refused in names and codes (the
``Name``, ``Code`` types of the schemas), kept in free text, which pages show
isolated (``dir="auto"`` / ``<bdi>``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Iterator

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

RULE = "R-SEC-3"
# C0 but tab, LF, CR; DEL and C1; unpaired surrogates (a paired one never reaches a str).
UNKEEPABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"


def problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (a message after the field name), or None."""
    found = UNKEEPABLE.search(value)
    if found is None:
        return None
    char = found.group()
    what = "未配对的代理项" if "\ud800" <= char <= "\udfff" else "控制字符"
    return f"含有无法保存的{what} U+{ord(char):04X}（只允许制表符、回车和换行）"


def normalise(value: str) -> str:
    """CRLF stored as LF."""
    return value.replace("\r\n", "\n") if "\r" in value else value


def keepable(value: str) -> str:
    """What a read model stores: unkeepable characters replaced by U+FFFD."""
    return UNKEEPABLE.sub(REPLACEMENT, value)


def strings(document: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(field, text) of every key and string value of a JSON document, depth first."""
    if isinstance(document, str):
        yield where or "body", document
    elif isinstance(document, dict):
        for key, value in document.items():
            name = f"{where}.{key}" if where else str(key)
            yield name, str(key)
            yield from strings(value, name)
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from strings(value, f"{where}.{i}" if where else str(i))


def normalised(document: Any) -> Any:
    """The document with CRLF as LF in every key and string."""
    if isinstance(document, str):
        return normalise(document)
    if isinstance(document, dict):
        return {normalise(k): normalised(v) for k, v in document.items()}
    if isinstance(document, list):
        return [normalised(v) for v in document]
    return document


def _plain(value: str) -> str:
    if BIDI.search(value):
        raise PydanticCustomError(
            "bidi_override", "名称和代码中不允许双向控制字符（U+202A–202E、U+2066–2069）"
        )
    return value


# A name or code shown as it is stored: bidirectional controls refused (400, invalid_text).
Plain = AfterValidator(_plain)
Code = Annotated[str, Field(min_length=1, max_length=64), Plain]
Name = Annotated[str, Field(min_length=1, max_length=100), Plain]
