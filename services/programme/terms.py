"""R-CON-1 (amended): the terms the policy names, each a separate text field of a contract."""

from __future__ import annotations

from typing import Any, Mapping

TERM_FIELDS = ("content", "standards", "depth", "period", "hours", "funding", "rights_obligations")


def policy_terms(stored: Mapping[str, Any] | None, work_content: str | None) -> dict[str, str | None]:
    """R-CON-1 (amended): every term of the policy (None: not agreed); 工作内容 falls back to
    ``work_content`` (contracts signed before the terms were separate fields)."""
    stored = stored or {}
    out = {name: stored.get(name) for name in TERM_FIELDS}
    out["content"] = out["content"] or work_content
    return out
