"""Telling people what changed (R-OPN-4, R-RPT-8; Decidim's "tell the people who raised it").

Driven by the events, not by request handlers: ``NotificationOutboxProjection``
writes one row per message and addressee into ``fb_outbox`` in the same
transaction as its tracking record. The ``Dispatcher`` delivers due rows
through a ``Notifier``, resolving the addressee only at delivery time — a
resident through the personal-data vault (erased data: the message is
dropped), staff through the contacts the contracts service published
(R-ORG-7). A failed delivery is retried with exponential back-off and parked
after ``RPS_NOTIFY_MAX_ATTEMPTS``; delivery state is in the table and in
metrics. Run exactly one dispatcher per deployment (like the relay).

Notifiers: ``LoggingNotifier`` (default; logs without personal data),
``RecordingNotifier`` (tests and demos) and ``WebhookNotifier`` (the city
app's webhook, HMAC-SHA256-signed body).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from prometheus_client import Counter, Gauge

from services.backbone.persistence import Database
from services.backbone.retrying import PersistedSchedule
from services.feedback.directory import Directory
from services.feedback.personal import DISPATCHER, PersonalDataVault, mask_phone
from services.feedback.settings import FeedbackSettings

log = logging.getLogger(__name__)

NOTIFICATIONS = Counter(
    "rps_notifications_total", "Notification delivery outcomes", ["outcome"]
)  # outcome: delivered, failed, parked, dropped
NOTIFICATIONS_PENDING = Gauge("rps_notifications_pending", "Notifications waiting for delivery")


@dataclass(frozen=True)
class Recipient:
    """Who a message is for, resolved at delivery. Personal fields are only set
    for residents and never logged (``__repr__`` masks them)."""

    kind: str  # resident, group, district, government, bureau
    code: str | None = None
    app_user: str | None = None
    phone: str | None = None
    contact: Any = None

    def __repr__(self) -> str:
        phone = mask_phone(self.phone) if self.phone else None
        return f"Recipient(kind={self.kind!r}, code={self.code!r}, phone={phone!r})"


@dataclass(frozen=True)
class Message:
    id: str
    event: str
    recipient: Recipient
    payload: dict[str, Any]


class Notifier(Protocol):
    def deliver(self, message: Message) -> None:
        """Deliver or raise; the dispatcher retries what raised."""


class LoggingNotifier:
    def deliver(self, message: Message) -> None:
        log.info("notify %s %s %s: %s", message.recipient.kind, message.recipient.code or "-", message.event,
                 message.payload.get("message"))


@dataclass
class RecordingNotifier:
    """Keeps what it was asked to deliver; ``fail_first`` deliveries raise (for retry tests)."""

    fail_first: int = 0
    messages: list[Message] = field(default_factory=list)
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def deliver(self, message: Message) -> None:
        with self._lock:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                raise ConnectionError("recording notifier: simulated failure")
            self.messages.append(message)


class WebhookNotifier:
    """POSTs each message as JSON to the city app's webhook.

    The body is signed: ``X-RPS-Signature: sha256=<hex HMAC of the body>``,
    ``X-RPS-Delivery`` is the message id (stable across retries, so the
    receiver can deduplicate). A resident is named by the app user id, or
    the phone number where the opinion came without one (SMS); staff by
    their role and code with the contact published by contracts.
    """

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0):
        self.url = url
        self.secret = secret.encode()
        self.timeout = timeout

    def body(self, message: Message) -> bytes:
        r = message.recipient
        recipient: dict[str, Any] = {"kind": r.kind}
        if r.kind == "resident":
            if r.app_user:
                recipient["app_user_id"] = r.app_user
            elif r.phone:
                recipient["phone"] = r.phone
        else:
            recipient.update(code=r.code, contact=r.contact)
        return json.dumps({"id": message.id, "event": message.event, "recipient": recipient, **message.payload},
                          ensure_ascii=False, sort_keys=True).encode()

    def signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def deliver(self, message: Message) -> None:
        body = self.body(message)
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-RPS-Signature": self.signature(body),
                "X-RPS-Delivery": message.id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                if not 200 <= response.status < 300:
                    raise ConnectionError(f"webhook answered {response.status}")
        except urllib.error.HTTPError as exc:
            raise ConnectionError(f"webhook answered {exc.code}") from None


def notifier_from_settings(settings: FeedbackSettings) -> Notifier:
    if settings.notify_webhook_url:
        return WebhookNotifier(settings.notify_webhook_url, settings.notify_webhook_secret or "")
    return LoggingNotifier()


class Dispatcher:
    """Delivers due messages from ``fb_outbox``."""

    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.notifier = notifier
        self.vault = PersonalDataVault(db)
        self.directory = Directory(db)
        self.schedule = PersistedSchedule(max_attempts, backoff_seconds)
        self.clock = clock
        # The cluster's lease (issue 15 item 5): asked before each message, so a dispatcher woken after
        # its lease passed to the standby stops mid-pass; the lease's check in each status write.
        self.still_active: Callable[[], bool] = lambda: True
        self.fence: Callable[[Any], None] | None = None

    @classmethod
    def from_settings(cls, db: Database, settings: FeedbackSettings, notifier: Notifier | None = None) -> "Dispatcher":
        return cls(db, notifier or notifier_from_settings(settings), max_attempts=settings.notify_max_attempts,
                   backoff_seconds=settings.notify_backoff_seconds)

    def _recipient(self, kind: str, code: str, ref: str | None = None) -> Recipient | None:
        if kind == "resident":
            # R-SEC-4: reading the contact is an access, recorded with the opinion's reference.
            person = self.vault.get(code, ref=ref, action="notify", actor=DISPATCHER)
            if person is None:
                return None
            return Recipient(kind=kind, app_user=person.app_user, phone=person.phone)
        if kind == "government":
            government = self.directory.government(code)
            return Recipient(kind=kind, code=code, contact=government["contact"] if government else None)
        if kind == "district":
            return Recipient(kind=kind, code=code, contact=self.directory.district_contact(code))
        return Recipient(kind=kind, code=code)

    def _set(self, message_id: str, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = %s" for name in columns)
        with self.db.transaction() as cur:
            if self.fence is not None:
                self.fence(cur)
            cur.execute(f"UPDATE fb_outbox SET {assignments} WHERE id = %s", (*columns.values(), message_id))

    def dispatch_once(self, limit: int = 100) -> int:
        """Try every due message once; returns how many were delivered."""
        now = self.clock()
        rows = self.db.query(
            "SELECT id, event, recipient_kind, recipient, payload, attempts FROM fb_outbox"
            " WHERE status = 'pending' AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s",
            (now, limit),
        )
        delivered = 0
        for row in rows:
            if not self.still_active():  # the lease passed to the standby: the rest are its to send
                break
            payload = json.loads(row["payload"])
            recipient = self._recipient(row["recipient_kind"], row["recipient"], payload.get("ref"))
            if recipient is None:
                self._set(row["id"], status="dropped", last_error="personal data erased")
                NOTIFICATIONS.labels("dropped").inc()
                continue
            message = Message(id=row["id"], event=row["event"], recipient=recipient, payload=payload)
            try:
                self.notifier.deliver(message)
            except Exception as exc:  # any failure of the far side: retry later, then park
                attempts = row["attempts"] + 1
                error = f"{type(exc).__name__}: {exc}"[:500]
                if self.schedule.gives_up(attempts):
                    self._set(row["id"], status="parked", attempts=attempts, last_error=error)
                    NOTIFICATIONS.labels("parked").inc()
                    log.warning("notification %s parked after %d attempts: %s", row["id"], attempts, error)
                else:
                    self._set(row["id"], attempts=attempts, last_error=error,
                              next_attempt_at=now + self.schedule.pause(attempts))
                    NOTIFICATIONS.labels("failed").inc()
                continue
            self._set(row["id"], status="delivered", attempts=row["attempts"] + 1, last_error=None,
                      delivered_at=dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat())
            NOTIFICATIONS.labels("delivered").inc()
            delivered += 1
        pending = self.db.query("SELECT COUNT(*) AS n FROM fb_outbox WHERE status = 'pending'")
        NOTIFICATIONS_PENDING.set(int(pending[0]["n"]))
        return delivered

    def run(self, stop: threading.Event, *, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set or, in the cluster, the lease is lost (a thread in embedded
        mode, the role ``notify`` of feedback's container in the cluster)."""
        while not stop.is_set() and self.still_active():
            try:
                self.dispatch_once()
            except Exception:  # database briefly down: try again after the pause
                log.exception("notification dispatcher: pass failed")
            stop.wait(idle_seconds)

    def state(self) -> dict[str, int]:
        rows = self.db.query("SELECT status, COUNT(*) AS n FROM fb_outbox GROUP BY status")
        return {row["status"]: int(row["n"]) for row in rows}


def dispatcher_for(runtime: Any, notifier: Notifier | None = None) -> Dispatcher:
    """The dispatcher of a runtime holding the feedback service (what bootstrap or
    an ``rps notify`` command would start)."""
    settings = runtime.app("feedback").settings
    return Dispatcher.from_settings(runtime.db("feedback"), settings, notifier)


def dispatcher_loop(runtime: Any, lease: Any = None) -> Callable[[threading.Event], None]:
    """The notifier worker (feedback's declaration): a thread of the embedded system, or in the
    cluster the role ``notify``, made anew each time this process takes the lease."""
    dispatcher = dispatcher_for(runtime)
    if lease is not None:  # one active dispatcher, so a message is sent once (issue 15 item 5)
        print("rps: delivering notifications", flush=True)
        dispatcher.still_active, dispatcher.fence = lease.held, lease.fence
    return dispatcher.run
