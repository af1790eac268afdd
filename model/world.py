"""The real Guizhou world: 88 county-level divisions and a square raster over the province.

Everything here is deterministic (no randomness) and built from the files in ``model/data``:

* ``guizhou_counties.csv`` -- codes, names, prefecture, seat point (lat/lon, degrees);
* ``guizhou_county_attributes.csv`` -- 2020 census population and households, township counts;
* ``guizhou_counties.geojson`` -- county polygons (lon/lat degrees) and their areas (km²).

See ``model/data/README.md`` for sources and licences.

Projection
----------
Positions are converted from degrees to kilometres with an **ellipsoidal Albers equal-area
conic** projection (WGS84 ellipsoid, standard parallels 25°N and 29°N, origin 26.8°N 106.7°E;
Snyder 1987, "Map Projections -- A Working Manual", pp. 98-103). It is the projection the
polygon areas in the geojson were computed in, so areas are exact and, over Guizhou
(24.6-29.2°N, 103.6-109.6°E), distances are correct to about 0.1 %. ``x`` points east and
``y`` north, in km, with (0, 0) at 26.8°N 106.7°E. (The source coordinates are GCJ-02 written as
WGS84, a few hundred metres off; irrelevant at grid scale and consistent between the files.)

Grid
----
Square cells of edge ``cell_km`` cover the bounding box of all projected polygons; the lower-left
corner of cell (row 0, col 0) is the south-west corner of that box. A cell belongs to the county
whose polygon holds the cell centre; cells whose centre lies in no polygon are outside the
province (masked, ``grid_index == -1``). At coarse resolution a small county may hold no cell
centre; it then gets a cell by the *seat rule* (see :func:`build_world`).
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy import sparse

__all__ = [
    "DATA_DIR",
    "GUIYANG_CODE",
    "GUIYANG_LAT",
    "GUIYANG_LON",
    "NEIGHBOUR_OFFSETS",
    "PREFECTURES",
    "World",
    "build_world",
    "load_counties",
]

DATA_DIR: Path = Path(__file__).resolve().parent / "data"
_COUNTIES_CSV = DATA_DIR / "guizhou_counties.csv"
_ATTRIBUTES_CSV = DATA_DIR / "guizhou_county_attributes.csv"
_GEOJSON = DATA_DIR / "guizhou_counties.geojson"

#: Official prefecture name (as in the data) -> (short name, pinyin). The short names are the
#: usual abbreviations (自治州 -> 州) and are what ``load_counties()["prefecture_zh"]`` holds.
PREFECTURES: dict[str, tuple[str, str]] = {
    "贵阳市": ("贵阳市", "Guiyang"),
    "六盘水市": ("六盘水市", "Liupanshui"),
    "遵义市": ("遵义市", "Zunyi"),
    "安顺市": ("安顺市", "Anshun"),
    "毕节市": ("毕节市", "Bijie"),
    "铜仁市": ("铜仁市", "Tongren"),
    "黔西南布依族苗族自治州": ("黔西南州", "Qianxinan"),
    "黔东南苗族侗族自治州": ("黔东南州", "Qiandongnan"),
    "黔南布依族苗族自治州": ("黔南州", "Qiannan"),
}

#: Code of 南明区, whose seat is taken as the provincial hub (Guiyang).
GUIYANG_CODE = "520102"

#: (d_row, d_col) of the 8 neighbours, in the column order of ``World.neighbours`` (row 0 is the
#: south, so d_row = -1 is the southern side). Offsets ``k`` and ``7 - k`` are opposite, so
#: ``neighbours[neighbours[i, k], 7 - k] == i`` wherever ``neighbours[i, k] >= 0``.
NEIGHBOUR_OFFSETS: tuple[tuple[int, int], ...] = (
    (-1, -1), (-1, 0), (-1, 1),
    (0, -1), (0, 1),
    (1, -1), (1, 0), (1, 1),
)  # fmt: skip

_CELL_KM_MIN = 1.0
_CELL_KM_MAX = 50.0

# --------------------------------------------------------------------------------------------
# Projection: ellipsoidal Albers equal-area conic (Snyder 1987, eqs. 3-12, 14-3 .. 14-6, 14-12).
# --------------------------------------------------------------------------------------------
_A_KM = 6378.137  # WGS84 semi-major axis, km
_F = 1.0 / 298.257223563  # WGS84 flattening
_E2 = _F * (2.0 - _F)
_E = math.sqrt(_E2)
_LAT_0, _LON_0 = 26.8, 106.7  # projection origin, degrees
_LAT_1, _LAT_2 = 25.0, 29.0  # standard parallels, degrees


def _q(sin_phi: np.ndarray | float) -> np.ndarray | float:
    """Snyder's authalic ``q`` for ``sin(latitude)`` (dimensionless)."""
    es = _E * sin_phi
    return (1.0 - _E2) * (
        sin_phi / (1.0 - es * es) - (1.0 / (2.0 * _E)) * np.log((1.0 - es) / (1.0 + es))
    )


def _m(phi: float) -> float:
    """Snyder's ``m = cos(phi) / sqrt(1 - e² sin² phi)`` for latitude ``phi`` in radians."""
    return math.cos(phi) / math.sqrt(1.0 - _E2 * math.sin(phi) ** 2)


_phi1, _phi2 = math.radians(_LAT_1), math.radians(_LAT_2)
_M1, _M2 = _m(_phi1), _m(_phi2)
_Q1, _Q2 = float(_q(math.sin(_phi1))), float(_q(math.sin(_phi2)))
_N = (_M1**2 - _M2**2) / (_Q2 - _Q1)
_C = _M1**2 + _N * _Q1
_RHO0 = _A_KM * math.sqrt(_C - _N * float(_q(math.sin(math.radians(_LAT_0))))) / _N


def _project(lat: np.ndarray | float, lon: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Project degrees (lat, lon) to Albers (x east, y north) in km. Vectorised."""
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    lon_r = np.radians(np.asarray(lon, dtype=np.float64))
    rho = _A_KM * np.sqrt(_C - _N * _q(np.sin(lat_r))) / _N
    theta = _N * (lon_r - math.radians(_LON_0))
    return rho * np.sin(theta), _RHO0 - rho * np.cos(theta)


def _project_lonlat_coords(coords: np.ndarray) -> np.ndarray:
    """Project an (n, 2) array of (lon, lat) degrees to (x, y) km; for ``shapely.transform``."""
    x, y = _project(coords[:, 1], coords[:, 0])
    return np.column_stack([x, y])


# --------------------------------------------------------------------------------------------
# Counties
# --------------------------------------------------------------------------------------------
_COLUMNS = [
    "code",
    "name_zh",
    "name_pinyin",
    "prefecture_zh",
    "prefecture_pinyin",
    "lat",
    "lon",
    "pop_total_2020",
    "pop_urban_2020",
    "pop_rural_2020",
    "family_households_2020",
    "rural_households",
    "n_township_level",
    "area_km2",
]


@functools.lru_cache(maxsize=1)
def _read_geojson() -> tuple[tuple[str, ...], tuple[float, ...], tuple[shapely.Geometry, ...]]:
    """Codes, areas (km²) and lon/lat geometries of the 88 features, in file order."""
    with open(_GEOJSON, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = tuple(str(f["properties"]["code"]) for f in features)
    areas = tuple(float(f["properties"]["area_km2"]) for f in features)
    geoms = tuple(shapely.geometry.shape(f["geometry"]) for f in features)
    return codes, areas, geoms


@functools.lru_cache(maxsize=1)
def _load_counties_cached() -> pd.DataFrame:
    seats = pd.read_csv(_COUNTIES_CSV, dtype={"code": str}, encoding="utf-8")
    attrs = pd.read_csv(_ATTRIBUTES_CSV, dtype={"code": str}, encoding="utf-8")
    df = seats.merge(attrs, on="code", how="inner", validate="one_to_one", suffixes=("", "_attr"))
    if len(df) != len(seats) or len(df) != len(attrs):
        raise ValueError("county csv files do not have the same codes")
    if not (df["name_zh"] == df["name_zh_attr"]).all():
        raise ValueError("county names differ between the two csv files")

    unknown = set(df["prefecture_zh"]) - set(PREFECTURES)
    if unknown:
        raise ValueError(f"unknown prefecture(s) in data: {sorted(unknown)}")
    df["prefecture_pinyin"] = df["prefecture_zh"].map(lambda p: PREFECTURES[p][1])
    df["prefecture_zh"] = df["prefecture_zh"].map(lambda p: PREFECTURES[p][0])

    codes, areas, _ = _read_geojson()
    area = pd.Series(areas, index=list(codes), name="area_km2")
    if set(area.index) != set(df["code"]):
        raise ValueError("geojson codes differ from the csv codes")
    df["area_km2"] = df["code"].map(area).astype(np.float64)

    total = df["pop_total_2020"].to_numpy(np.float64)
    rural = df["pop_rural_2020"].to_numpy(np.float64)
    hh = df["family_households_2020"].to_numpy(np.float64)
    df["rural_households"] = np.round(hh * rural / total).astype(np.int64)

    for col in [
        "pop_total_2020",
        "pop_urban_2020",
        "pop_rural_2020",
        "family_households_2020",
        "n_township_level",
    ]:
        df[col] = df[col].astype(np.int64)
    df["lat"] = df["lat"].astype(np.float64)
    df["lon"] = df["lon"].astype(np.float64)
    return df.sort_values("code", kind="stable")[_COLUMNS].reset_index(drop=True)


def load_counties() -> pd.DataFrame:
    """The 88 county-level divisions of Guizhou, one row each, sorted by code (index 0..87).

    Columns (units):

    * ``code`` -- 6-digit administrative code (str);
    * ``name_zh``, ``name_pinyin`` -- county name, and pinyin of its short name;
    * ``prefecture_zh`` -- prefecture, short form (贵阳市, 六盘水市, 遵义市, 安顺市, 毕节市,
      铜仁市, 黔西南州, 黔东南州, 黔南州; the full official names are keys of
      :data:`PREFECTURES`); ``prefecture_pinyin`` -- Guiyang, ..., Qiannan;
    * ``lat``, ``lon`` -- county seat point, decimal degrees (not the polygon centroid);
    * ``pop_total_2020``, ``pop_urban_2020``, ``pop_rural_2020`` -- persons, 2020 census;
    * ``family_households_2020`` -- family households (家庭户), 2020 census;
    * ``rural_households`` -- **estimated** rural family households,
      ``round(family_households_2020 * pop_rural_2020 / pop_total_2020)``. This assumes rural
      households are in proportion to rural population (same mean household size in town and
      country); the census table gives no urban/rural split of households. Province total about
      5.96 million;
    * ``n_township_level`` -- township-level units (镇 + 乡 + 街道), 2023;
    * ``area_km2`` -- land area in km² (from the geojson, Albers equal-area).

    Returns a fresh copy on every call; the files are read once per process.
    """
    return _load_counties_cached().copy()


def _guiyang_seat() -> tuple[float, float]:
    seats = pd.read_csv(_COUNTIES_CSV, dtype={"code": str}, encoding="utf-8")
    row = seats.loc[seats["code"] == GUIYANG_CODE].iloc[0]
    return float(row["lat"]), float(row["lon"])


#: Provincial hub: the seat point of 南明区 (520102), Guiyang, in degrees (read from the csv).
GUIYANG_LAT, GUIYANG_LON = _guiyang_seat()


# --------------------------------------------------------------------------------------------
# World
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class World:
    """A square raster over Guizhou with every in-province cell assigned to one county.

    Cells are numbered ``0 .. n_cells - 1`` and ordered by county (the row order of
    ``counties``), then row, then col, so county ``c`` owns the contiguous id range
    ``county_cell_start[c]:county_cell_stop[c]``. All arrays are read-only; do not modify
    ``counties`` either (the World is cached and shared). Equality is identity.

    Attributes:
        cell_km: cell edge length, km.
        counties: :func:`load_counties` plus ``seat_x_km``, ``seat_y_km`` (projected seat, km)
            and ``n_cells`` (cells owned).
        n_rows, n_cols: grid shape; row 0 is the southernmost row, col 0 the westernmost.
        origin_x_km, origin_y_km: projected km of the lower-left corner of cell (0, 0).
        cell_row, cell_col: int32 (n_cells,), grid position of each cell.
        cell_x_km, cell_y_km: float64 (n_cells,), projected centre of each cell, km.
        cell_county: int16 (n_cells,), row index into ``counties``.
        grid_index: int32 (n_rows, n_cols), cell id, or -1 outside the province.
        county_cell_start, county_cell_stop: int32 (88,), cell id range of each county.
        dist_to_seat_km: float64 (n_cells,), straight-line km from the cell centre to the seat
            of the cell's own county.
        neighbours: int32 (n_cells, 8), ids of the 8 surrounding in-province cells (order of
            :data:`NEIGHBOUR_OFFSETS`), -1 where the neighbour is masked or off the grid.
    """

    cell_km: float
    counties: pd.DataFrame
    n_rows: int
    n_cols: int
    origin_x_km: float
    origin_y_km: float
    cell_row: np.ndarray
    cell_col: np.ndarray
    cell_x_km: np.ndarray
    cell_y_km: np.ndarray
    cell_county: np.ndarray
    grid_index: np.ndarray
    county_cell_start: np.ndarray
    county_cell_stop: np.ndarray
    dist_to_seat_km: np.ndarray
    neighbours: np.ndarray

    @functools.cached_property
    def window(self) -> sparse.csr_matrix:
        """(n_cells, n_cells) 0/1 matrix: each cell with itself and its in-province neighbours
        (the 3x3 window, cut at the border)."""
        rows = np.repeat(np.arange(self.n_cells), 9)
        cols = np.concatenate([np.arange(self.n_cells)[:, None], self.neighbours], axis=1)
        keep = cols.ravel() >= 0
        ones = np.ones(int(keep.sum()))
        return sparse.csr_matrix((ones, (rows[keep], cols.ravel()[keep])),
                                 shape=(self.n_cells, self.n_cells))

    @functools.cached_property
    def window_cells(self) -> np.ndarray:
        """In-province cells in each cell's 3x3 window (float, 1 to 9; read-only)."""
        return _readonly(1.0 + (self.neighbours >= 0).sum(axis=1))

    @functools.cached_property
    def land_km2(self) -> float:
        """The province's land area (km², the counties' areas summed)."""
        return float(self.counties["area_km2"].sum())

    def window_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (per cell, or (n_cells, k)) over each cell's 3x3 window."""
        return self.window @ values

    @property
    def n_cells(self) -> int:
        """Number of in-province cells."""
        return int(self.cell_row.shape[0])

    @property
    def n_counties(self) -> int:
        """Number of counties (88)."""
        return int(self.county_cell_start.shape[0])

    def project(
        self, lat: np.ndarray | float, lon: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Project degrees to km: returns ``(x, y)`` (x east, y north), shaped like the input.

        The projection is the module's Albers equal-area conic; it does not depend on
        ``cell_km``. Scalars give 0-d arrays.
        """
        return _project(lat, lon)

    def distance_km(self, cells: np.ndarray, lat: float, lon: float) -> np.ndarray:
        """Straight-line distance in km from the centres of ``cells`` (ids) to a point (degrees)."""
        px, py = _project(lat, lon)
        cells = np.asarray(cells, dtype=np.intp)
        return np.hypot(self.cell_x_km[cells] - px, self.cell_y_km[cells] - py)

    def cell_of(self, lat: float, lon: float) -> int:
        """Id of the cell whose square holds the point (degrees).

        If that square is masked or off the grid, the in-province cell with the nearest centre
        (lowest id on ties).
        """
        x, y = _project(lat, lon)
        x, y = float(x), float(y)
        col = math.floor((x - self.origin_x_km) / self.cell_km)
        row = math.floor((y - self.origin_y_km) / self.cell_km)
        if 0 <= row < self.n_rows and 0 <= col < self.n_cols:
            cid = int(self.grid_index[row, col])
            if cid >= 0:
                return cid
        return int(np.argmin(np.hypot(self.cell_x_km - x, self.cell_y_km - y)))


def _validate_cell_km(cell_km: object) -> float:
    ok = isinstance(cell_km, numbers.Real) and not isinstance(cell_km, bool | np.bool_)
    value = float(cell_km) if ok else math.nan  # type: ignore[arg-type]
    if not (math.isfinite(value) and _CELL_KM_MIN <= value <= _CELL_KM_MAX):
        raise ValueError(
            f"cell_km must be a number of km in [{_CELL_KM_MIN:g}, {_CELL_KM_MAX:g}]; "
            f"got cell_km={cell_km!r}"
        )
    return value


def build_world(cell_km: float = 5.0) -> World:
    """Build (or fetch from the cache) the Guizhou raster with square cells of ``cell_km`` km.

    ``cell_km`` must be a real number in [1, 50] (km); anything else raises ``ValueError``.
    Results are memoised per ``cell_km`` (``functools.lru_cache``); the World is immutable and
    shared, so the same object comes back for the same ``cell_km``. ``build_world.cache_clear()``
    empties the cache.

    Cell assignment: a cell belongs to the county whose polygon holds its centre; cells whose
    centre is in no polygon are masked. **Seat rule**: a county that then holds no cell (possible
    when ``cell_km`` is large against the county, e.g. city districts at 20-30 km) gets the cell
    whose square holds its seat point: taken from the county that had it, or un-masked. Counties
    are processed in code order. A cell is never taken if it was already given by the seat rule
    or if it is the last cell of its county; then the county gets the eligible cell (in-province
    or masked) whose centre is nearest its seat (ties: lower row, then lower col). Every county
    therefore has at least one cell.

    Observed: no county needs the seat rule at 5 or 8 km; 1 (云岩区) does at 10 km, 2 at 20 km
    and 5 at 30 km, all within 1.2 cell edges of the seat. Above about 35 km the province has too
    few cells (about 70 at 50 km for 88 counties) and some counties get a cell several cell edges
    from their seat (up to 220 km at 50 km): such grids are for smoke tests only.
    """
    return _build_world_cached(_validate_cell_km(cell_km))


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=32)
def _build_world_cached(cell_km: float) -> World:
    counties = load_counties()
    n_counties = len(counties)
    codes, _, geoms_ll = _read_geojson()
    pos = {c: i for i, c in enumerate(codes)}
    geoms = shapely.transform(
        np.array([geoms_ll[pos[c]] for c in counties["code"]], dtype=object),
        _project_lonlat_coords,
    )
    shapely.prepare(geoms)

    # Grid over the bounding box of all projected polygons.
    bounds = shapely.bounds(geoms)  # (n, 4): xmin, ymin, xmax, ymax
    x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
    x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
    n_cols = max(1, math.ceil((x1 - x0) / cell_km))
    n_rows = max(1, math.ceil((y1 - y0) / cell_km))

    owner = np.full((n_rows, n_cols), -1, dtype=np.int32)
    for c in range(n_counties):
        bx0, by0, bx1, by1 = bounds[c]
        # Cells whose centre can fall inside the polygon's bounding box.
        c0 = max(0, math.ceil((bx0 - x0) / cell_km - 0.5))
        c1 = min(n_cols - 1, math.floor((bx1 - x0) / cell_km - 0.5))
        r0 = max(0, math.ceil((by0 - y0) / cell_km - 0.5))
        r1 = min(n_rows - 1, math.floor((by1 - y0) / cell_km - 0.5))
        if c1 < c0 or r1 < r0:
            continue
        rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
        xs = x0 + (cc + 0.5) * cell_km
        ys = y0 + (rr + 0.5) * cell_km
        inside = shapely.contains_xy(geoms[c], xs, ys)
        # Polygons do not overlap; on the (measure-zero) chance of a tie, first county wins.
        free = inside & (owner[r0 : r1 + 1, c0 : c1 + 1] < 0)
        owner[rr[free], cc[free]] = c

    seat_x, seat_y = _project(counties["lat"].to_numpy(), counties["lon"].to_numpy())
    _apply_seat_rule(owner, seat_x, seat_y, x0, y0, cell_km)

    # Cells ordered by county, then row, then col.
    rows, cols = np.nonzero(owner >= 0)  # row-major: sorted by row, then col
    county = owner[rows, cols]
    order = np.argsort(county, kind="stable")
    rows, cols, county = rows[order], cols[order], county[order]
    n_cells = rows.shape[0]
    grid_index = np.full((n_rows, n_cols), -1, dtype=np.int32)
    grid_index[rows, cols] = np.arange(n_cells, dtype=np.int32)

    counts = np.bincount(county, minlength=n_counties)
    stop = np.cumsum(counts)
    start = stop - counts

    cell_x = x0 + (cols + 0.5) * cell_km
    cell_y = y0 + (rows + 0.5) * cell_km
    dist = np.hypot(cell_x - seat_x[county], cell_y - seat_y[county])

    padded = np.full((n_rows + 2, n_cols + 2), -1, dtype=np.int32)
    padded[1:-1, 1:-1] = grid_index
    neighbours = np.empty((n_cells, 8), dtype=np.int32)
    for k, (dr, dc) in enumerate(NEIGHBOUR_OFFSETS):
        neighbours[:, k] = padded[rows + 1 + dr, cols + 1 + dc]

    counties["seat_x_km"] = seat_x
    counties["seat_y_km"] = seat_y
    counties["n_cells"] = counts.astype(np.int64)

    return World(
        cell_km=cell_km,
        counties=counties,
        n_rows=n_rows,
        n_cols=n_cols,
        origin_x_km=x0,
        origin_y_km=y0,
        cell_row=_readonly(rows.astype(np.int32)),
        cell_col=_readonly(cols.astype(np.int32)),
        cell_x_km=_readonly(cell_x.astype(np.float64)),
        cell_y_km=_readonly(cell_y.astype(np.float64)),
        cell_county=_readonly(county.astype(np.int16)),
        grid_index=_readonly(grid_index),
        county_cell_start=_readonly(start.astype(np.int32)),
        county_cell_stop=_readonly(stop.astype(np.int32)),
        dist_to_seat_km=_readonly(dist.astype(np.float64)),
        neighbours=_readonly(neighbours),
    )


def _apply_seat_rule(
    owner: np.ndarray,
    seat_x: np.ndarray,
    seat_y: np.ndarray,
    x0: float,
    y0: float,
    cell_km: float,
) -> None:
    """Give every county without a cell one cell near its seat (in place; see build_world)."""
    n_rows, n_cols = owner.shape
    n_counties = seat_x.shape[0]
    counts = np.bincount(owner[owner >= 0], minlength=n_counties)
    claimed = np.zeros_like(owner, dtype=bool)

    def eligible(r: int, c: int) -> bool:
        o = owner[r, c]
        return not claimed[r, c] and (o < 0 or counts[o] > 1)

    for county in np.flatnonzero(counts == 0):
        sx, sy = float(seat_x[county]), float(seat_y[county])
        r = min(max(math.floor((sy - y0) / cell_km), 0), n_rows - 1)
        c = min(max(math.floor((sx - x0) / cell_km), 0), n_cols - 1)
        if not eligible(r, c):
            # Nearest eligible cell centre to the seat; search square rings until one is found
            # and no unsearched cell can be nearer.
            best: tuple[float, int, int] | None = None
            radius = 1
            while radius <= max(n_rows, n_cols):
                for rr in range(r - radius, r + radius + 1):
                    for cc in range(c - radius, c + radius + 1):
                        on_ring = max(abs(rr - r), abs(cc - c)) == radius
                        if not (on_ring and 0 <= rr < n_rows and 0 <= cc < n_cols):
                            continue
                        if eligible(rr, cc):
                            d = math.hypot(
                                x0 + (cc + 0.5) * cell_km - sx, y0 + (rr + 0.5) * cell_km - sy
                            )
                            cand = (d, rr, cc)
                            if best is None or cand < best:
                                best = cand
                # The seat lies in cell (r, c), so every cell beyond this ring has its centre at
                # least (radius + 0.5) * cell_km away: stop once nothing further can be nearer.
                if best is not None and best[0] <= (radius + 0.5) * cell_km:
                    break
                radius += 1
            if best is None:  # pragma: no cover - the grid always has free cells
                raise RuntimeError("no cell available for the seat rule")
            _, r, c = best
        old = owner[r, c]
        if old >= 0:
            counts[old] -= 1
        owner[r, c] = county
        counts[county] += 1
        claimed[r, c] = True


build_world.cache_clear = _build_world_cached.cache_clear  # type: ignore[attr-defined]
