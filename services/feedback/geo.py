"""Which district a WGS84 point lies in (R-OPN-1): point in GeoJSON polygon.

Boundaries come from the contracts service as GeoJSON ``Polygon`` or
``MultiPolygon`` geometries, positions ``[longitude, latitude]``. A district
is a few square kilometres, so planar geometry on the degrees is exact enough
(the error of treating lon/lat as a plane is far below a GPS fix there).

Rule used: even-odd ray casting over every ring of a polygon, so holes
(inner rings) exclude what they cover; a point on an edge or a vertex counts
as inside, so a resident standing on a boundary street is never refused.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

Position = Sequence[float]
Ring = Sequence[Position]

# Degrees; about 1 cm at Liaocheng's latitude. Points closer than this to an
# edge are "on" it.
EDGE_TOLERANCE = 1e-7


class InvalidGeometry(ValueError):
    """The boundary is not a GeoJSON Polygon or MultiPolygon we can read."""


def polygons_of(geometry: dict[str, Any]) -> list[list[Ring]]:
    """The polygons (each a list of rings, outer first) of a GeoJSON geometry."""
    if not isinstance(geometry, dict):
        raise InvalidGeometry("geometry must be an object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Feature":
        return polygons_of(geometry.get("geometry") or {})
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise InvalidGeometry(f"unsupported geometry type {kind!r}")
    if not isinstance(polygons, list):
        raise InvalidGeometry("coordinates must be an array")
    out = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidGeometry("a polygon needs at least one ring")
        rings = []
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 3:
                raise InvalidGeometry("a ring needs at least three positions")
            try:
                rings.append([(float(p[0]), float(p[1])) for p in ring])
            except (TypeError, ValueError, IndexError):
                raise InvalidGeometry("a position is [longitude, latitude]") from None
        out.append(rings)
    return out


def _on_segment(x: float, y: float, a: Position, b: Position) -> bool:
    (x1, y1), (x2, y2) = a, b
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    length = max(abs(x2 - x1), abs(y2 - y1))
    if abs(cross) > EDGE_TOLERANCE * max(length, 1e-12):
        return False
    return (
        min(x1, x2) - EDGE_TOLERANCE <= x <= max(x1, x2) + EDGE_TOLERANCE
        and min(y1, y2) - EDGE_TOLERANCE <= y <= max(y1, y2) + EDGE_TOLERANCE
    )


def _edges(ring: Ring) -> Iterable[tuple[Position, Position]]:
    # GeoJSON rings repeat the first position at the end; tolerate rings that
    # do not, by always closing back to the first position.
    n = len(ring)
    for i in range(n):
        a, b = ring[i], ring[(i + 1) % n]
        if a != b:
            yield a, b


def polygon_contains(rings: Sequence[Ring], lon: float, lat: float) -> bool:
    inside = False
    for ring in rings:
        for a, b in _edges(ring):
            if _on_segment(lon, lat, a, b):
                return True
            (x1, y1), (x2, y2) = a, b
            # Half-open rule (y1 <= y < y2 or y2 <= y < y1): a ray through a
            # vertex is counted once, and horizontal edges never.
            if (y1 > lat) != (y2 > lat):
                x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
                if lon < x_cross:
                    inside = not inside
    return inside


def _bbox(polygons: list[list[Ring]]) -> tuple[float, float, float, float]:
    xs = [p[0] for polygon in polygons for ring in polygon for p in ring]
    ys = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """True when the point lies in (or on the edge of) the Polygon/MultiPolygon."""
    polygons = polygons_of(geometry)
    x0, y0, x1, y1 = _bbox(polygons)
    if not (x0 - EDGE_TOLERANCE <= lon <= x1 + EDGE_TOLERANCE and y0 - EDGE_TOLERANCE <= lat <= y1 + EDGE_TOLERANCE):
        return False
    return any(polygon_contains(polygon, lon, lat) for polygon in polygons)
