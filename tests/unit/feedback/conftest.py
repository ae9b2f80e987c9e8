"""Fixtures of the feedback tests: the contracts service's reference data fed
straight into the feedback directory projection (as its events would arrive),
and a client that posts form-encoded bodies as an Open311 client does."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import pytest

from services.feedback.projections import DirectoryProjection

# A square of about 1 km around Liaocheng's old town, [lon, lat] as in GeoJSON.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[115.97, 36.44], [115.99, 36.44], [115.99, 36.46], [115.97, 36.46], [115.97, 36.44]]],
}
POINT_INSIDE = {"lat": 36.45, "lon": 115.98}
POINT_OUTSIDE = {"lat": 36.60, "lon": 116.20}


class Contracts:
    """Plays the contracts service: publishes its events into our projection."""

    def __init__(self, runtime: Any):
        self.projection = next(p for p in runtime.projections["feedback"] if isinstance(p, DirectoryProjection))
        self.positions = itertools.count(1)

    def publish(self, event_type: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        position = next(self.positions)
        envelope = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "rps/contracts",
            "type": f"cn.liaocheng.rps.contracts.{event_type}.v1",
            "time": dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc).isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
            "sequence": 1,
            "position": position,
            "actor": "bureau-1",
            "actorrole": "bureau",
            "correlationid": uuid.uuid4().hex,
            "causationid": None,
        }
        assert self.projection.handle(envelope)
        return envelope

    def government(self, code: str, name: str = "东昌府区人民政府") -> None:
        self.publish("GovernmentRegistered", code, {
            "code": code, "name": name, "kind": "district_government", "leader": "王某",
            "department": "住建局", "contact": {"name": "李某", "role": "科长"},
        })

    def district(self, code: str, government: str, boundary: dict | None = None, name: str = "古楼街道") -> None:
        self.publish("DistrictRegistered", code, {
            "code": code, "name": name, "types": ["historic"], "government": government,
            "leader": "赵某", "contact": {"name": "钱某"}, "boundary": boundary,
        })

    def group(self, code: str, district: str, from_date: str = "2021-06-01") -> None:
        self.publish("GroupFormed", code, {
            "code": code, "district": district, "contract": "c2021", "tier1": "p01", "local": "p02",
            "from_date": from_date,
        })


@pytest.fixture
def contracts(runtime) -> Contracts:
    return Contracts(runtime)


@pytest.fixture
def world(contracts, unique) -> dict[str, str]:
    """One government, one district (with a boundary) and its group, all with random codes."""
    codes = {"government": f"gov-{unique}", "district": f"d-{unique}", "group": f"g-{unique}"}
    contracts.government(codes["government"])
    contracts.district(codes["district"], codes["government"], SQUARE)
    contracts.group(codes["group"], codes["district"])
    return codes


def form_post(api: Any, path: str, raw: bytes):
    """POST a form-encoded body exactly as an Open311 client sends it.

    The shared ``api.request`` always labels bodies as JSON, so this goes to
    the same werkzeug client with the form content type.
    """
    import json

    response = api.client.open(path, method="POST", data=raw, content_type="application/x-www-form-urlencoded")
    response.json_body = json.loads(response.get_data()) if response.mimetype == "application/json" else None
    return response
