"""Anti-automation on the anonymous intake (R-SEC-5).

Anonymous submissions (``POST /opinions``, Open311 ``POST requests.json``)
are counted per client address (default 10 a minute) and per phone number
(default 5 a day, Asia/Shanghai), both settings; past either limit the
answer is 429 with ``Retry-After`` and nothing is stored. Signed-in staff
are not counted. Counters live in the service's own database
(``rate_limit_counters``, a backbone table), so every replica sees the same
counts; addresses and phone numbers are stored only as keyed hashes.

Windows are fixed (the current minute, the current day): simple, shared,
and at worst twice the limit across a window's edge.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from typing import Callable

from services.backbone import clock
from services.backbone.domain import DomainError
from services.backbone.idempotency import pseudonym
from services.backbone.persistence import Database, PurgeSchedule

now: Callable[[], float] = time.time

_NOT_DIGIT = re.compile(r"[^0-9]")


class RateLimited(DomainError):
    """Too many anonymous submissions (429); the client may retry after ``Retry-After`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, limit: str):
        super().__init__(message, rule="R-SEC-5")
        self.limit = limit  # "address" or "phone"
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


def normalise_phone(raw: str) -> str:
    """R-SEC-5 amended: the one normal form of a phone number, for counting and for storing.

    NFKC (full-width digits become ASCII), then ASCII digits only (``\\d`` would keep
    other scripts' digits), then a leading 86 or 0086 (+86 lost its + with the
    separators) before 11 digits removed."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("0086", "86"):
        if len(digits) == len(prefix) + 11 and digits.startswith(prefix):
            return digits[len(prefix):]
    return digits


class RateLimiter:
    def __init__(self, db: Database, secret: bytes, *, per_minute: int, phone_per_day: int):
        self.db = db
        self.secret = secret
        self.per_minute = per_minute
        self.phone_per_day = phone_per_day

    def address_window(self) -> tuple[int, int]:
        start = int(now()) // 60 * 60
        return start, start + 60

    def day_window(self) -> tuple[int, int]:
        local = dt.datetime.fromtimestamp(now(), clock.TZ)
        midnight = dt.datetime.combine(local.date(), dt.time(0), clock.TZ)
        start = int(midnight.timestamp())
        return start, int((midnight + dt.timedelta(days=1)).timestamp())

    def check_address(self, address: str) -> None:
        """Count a submission from ``address``; 429 past the per-minute limit."""
        self._hit(f"addr:{address}", self.address_window(), self.per_minute, "每分钟")

    def reserve_phone(self, phone: str) -> str:
        """Count a submission naming ``phone``; 429 past the daily limit. Returns the bucket to release."""
        bucket = f"phone:{normalise_phone(phone)}"
        self._hit(bucket, self.day_window(), self.phone_per_day, "每天")
        return bucket

    def release_phone(self, bucket: str) -> None:
        """The submission was not stored (refused input): it does not count against the number."""
        start, _ = self.day_window()
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE rate_limit_counters SET hits = hits - 1 WHERE bucket = %s AND window_start = %s AND hits > 0",
                (pseudonym(self.secret, bucket), start),
            )

    def _hit(self, bucket: str, window: tuple[int, int], limit: int, per: str) -> None:
        self._purge()
        start, end = window
        key = pseudonym(self.secret, bucket)
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO rate_limit_counters (bucket, window_start, hits, expires_at) VALUES (%s, %s, 1, %s)"
                " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1",
                (key, start, end),
            )
            row = cur.execute(
                "SELECT hits FROM rate_limit_counters WHERE bucket = %s AND window_start = %s", (key, start)
            ).fetchone()
        if row is not None and int(row["hits"]) > limit:
            phone = bucket.startswith("phone:")
            raise RateLimited(
                f"提交过于频繁：同一{'电话号码' if phone else '来源地址'}{per}最多提交 {limit} 次，请稍后再试",
                retry_after=end - int(now()), limit="phone" if phone else "address",
            )

    def _purge(self) -> None:
        at = now()
        if _purges.due(self.db, at):
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM rate_limit_counters WHERE expires_at < %s", (int(at),))


_purges = PurgeSchedule(every_seconds=60)
