"""Clusters and industry belts (ODD §7.15; §2.2.3, §5.1.2).

The rule is modelled on the Taobao-village criteria: a village with yearly e-commerce sales of at
least 10 million yuan and at least 100 active shops, or shops in at least 10% of households; a
Taobao town has at least 3 such villages. The rule is stated on real counts and areas: a *cell*
qualifies when its density of sales and shops is that of a Taobao village, i.e. its sales and shops
(rescaled to 1:1 and averaged over its 3x3 neighbourhood) reach the thresholds times the number of
villages' land it holds (:func:`villages_per_cell`: ``cell_km²`` over the province's land area per
administrative village), so ``cell_km`` changes the resolution, not what counts as a cluster. Firms
are counted as they are (every firm is an agent); the household sample's window shop count ``k``
(agents) is replaced by its one-sided 95% Poisson lower bound (``k_low = max(k - 1.64 sqrt(k / t),
0)``, ``t = min(1, 0.02 / scale)``: as if households were sampled at the reference scale 0.02 at
every scale): a handful of agents met by chance cannot make a spurious cluster, and the rule is
equally strict at 1:1. The cell must also hold at least one seller itself. A cluster is a connected
(8-neighbour) set of qualifying cells; a *town* is a cluster of 3 or more cells; an industry belt
is a cluster in which one product line has at least ``belt_dominance`` of sales.

A looser, county-level notion sits beside it (:func:`county_industry_clusters`): the sellers of
one industry (tea, chili or embroidery) in a county form a county industrial cluster once they
are numerous enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from agents.farmers import OTHER, PRODUCTS, SELLING, Households
from model.parameters import Parameters
from model.scaling import to_real
from model.world import World

# assumption: one-sided 95% bounds on the household sample's counts: a cell window's shops
# (Poisson) and a county line's sellers (the extra width of its bound where the sample is
# coarser than the reference; see the module docstring and county_industry_clusters)
CLUSTER_CONFIDENCE_Z = 1.64
# assumption: the bounds are computed for a sample of this many agents per real household (the
# default scale) at every scale, so that clusters mean the same at 1:1 as at the default
CLUSTER_REFERENCE_SCALE = 0.02


@dataclass
class ClusterState:
    """Per-cell membership and counts after one detection."""

    in_cluster: np.ndarray  # bool per cell
    in_belt: np.ndarray     # bool per cell
    label: np.ndarray       # int per cell, 0 = none, else cluster id
    belt_product: np.ndarray  # int per cell, product line of its belt, -1 = none
    n_clusters: int
    n_towns: int
    n_belts: int
    largest_cells: int

    @classmethod
    def empty(cls, n_cells: int) -> ClusterState:
        z = np.zeros(n_cells, dtype=bool)
        return cls(z, z.copy(), np.zeros(n_cells, int), np.full(n_cells, -1), 0, 0, 0, 0)


def shops_lower_bound(shops: np.ndarray, scale: float) -> np.ndarray:
    """One-sided 95% Poisson lower bound of shop counts (agents), taken as if households were
    sampled at :data:`CLUSTER_REFERENCE_SCALE` whatever ``scale`` is, so that the cell rule is
    equally strict at 1:1 and at the default scale (stricter below it)."""
    thin = min(1.0, CLUSTER_REFERENCE_SCALE / scale)
    return np.maximum(shops - CLUSTER_CONFIDENCE_Z * np.sqrt(shops / thin), 0.0)


def in_a_cluster(cell_clusters: np.ndarray, industry_clusters: np.ndarray, cell: np.ndarray,
                 county: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Whether households (given by cell, county and product line) are in a cluster: their cell
    is a cluster cell or their county's industry a county industrial cluster."""
    return cell_clusters[cell] | industry_clusters[county, product]


def households_per_draw(scale: float) -> float:
    """Real households an agent of the sample stands for at ``scale``, or at the reference
    scale if that is more (``u = max(1 / scale, 1 / reference)``): the grain of a draw in the
    county rule's sampling variance."""
    return max(1.0 / scale, 1.0 / CLUSTER_REFERENCE_SCALE)


def line_sampling_variance(direct: np.ndarray, coop_lines: np.ndarray, coop_members: np.ndarray,
                           scale: float, shape: tuple[int, int],
                           coop_copies: np.ndarray | None = None) -> np.ndarray:
    """Variance (real households²) of the household sample's estimate of each (county, line)'s
    sellers, as if sampled at :data:`CLUSTER_REFERENCE_SCALE` whatever ``scale`` is.

    The sample's draws are its agents: a direct seller agent stands for ``1 / scale``
    households, a cooperative agent that stands for more than one cooperative (``copies > 1``,
    at a small scale) for ``R = members / scale`` households who came in together (founded at
    once into one county line, taking places together: issue 13, item 6). A draw of ``R``
    households adds ``R × max(R, u)`` with ``u = max(1 / scale, 1 / reference)`` the
    households per draw at the reference scale: Poisson at the reference scale for draws no
    larger than a reference agent, the square of the lump for larger ones. A cooperative agent
    that is one cooperative (at 1:1, whose households join one at a time) adds ``R × u``, as
    its households would selling directly.

    Args:
        direct: direct seller agents per (county, line), flattened.
        coop_lines: the flattened (county, line) of each cooperative agent with members.
        coop_members: its member agents.
        scale: ``household_scale``.
        shape: (counties, lines).
        coop_copies: the cooperatives each stands for (default: more than one).
    """
    per_draw = households_per_draw(scale)
    variance = direct * (1.0 / scale) * per_draw
    lump = coop_members / scale
    together = np.ones(len(lump), dtype=bool) if coop_copies is None else coop_copies > 1.0
    added = np.where(together, lump * np.maximum(lump, per_draw), lump * per_draw)
    variance = variance + np.bincount(coop_lines, weights=added, minlength=len(direct))
    return variance.reshape(shape)


def county_industry_clusters(p: Parameters, shops: np.ndarray,
                             firm_shops: np.ndarray | float = 0.0,
                             variance: np.ndarray | None = None) -> np.ndarray:
    """County industrial clusters (§3.3.3): ``shops`` is household sellers per (county,
    product line), in agents, ``firm_shops`` selling firms (real: every firm is an agent). A
    county's line is a cluster when its firms and household sellers (real) number at least
    ``p.industry_cluster_min_shops``. Where the household sample is coarser than independent
    households at :data:`CLUSTER_REFERENCE_SCALE` (scales below it; at small scales a
    cooperative agent's members, who came in together), its estimate of the line's sellers
    counts that much less: ``shops / scale - 1.64 (sqrt(variance) - sqrt(shops / scale ×
    50))``, the extra width of the sample's one-sided 95% bound, but never below 0 (a large
    lump can take the estimate below what the line's other sellers alone would count; firms
    still count in full). ``variance`` is the sample's
    (:func:`line_sampling_variance`); by default every agent a separate draw. Only the named
    industries (tea, chili, embroidery) can form one: "other" is a catch-all, not an industry.
    Returns a bool array of the same shape."""
    if not p.clusters or p.industry_cluster_min_shops <= 0:
        return np.zeros(shops.shape, dtype=bool)
    scale = p.household_scale
    households = to_real(shops.astype(float), scale)
    if variance is None:
        variance = households * households_per_draw(scale)
    reference = np.sqrt(households / CLUSTER_REFERENCE_SCALE)
    estimate = np.maximum(
        households - CLUSTER_CONFIDENCE_Z * np.maximum(np.sqrt(variance) - reference, 0.0), 0.0)
    found = estimate + firm_shops >= p.industry_cluster_min_shops
    found[:, OTHER] = False
    return found


def villages_per_cell(world: World, p: Parameters) -> float:
    """How many villages' land a cell holds: ``cell_km²`` over the province's land area per
    administrative village (``p.villages_total``)."""
    village_km2 = world.land_km2 / p.villages_total
    return p.cell_km ** 2 / village_km2


def detect(world: World, p: Parameters, sales_12m: np.ndarray, shops: np.ndarray,
           households: np.ndarray, product_sales_12m: np.ndarray,
           firm_shops: np.ndarray | None = None) -> ClusterState:
    """Find clusters from per-cell model-unit sales (yuan/12 months), household shops
    (agents), households (agents) and firm shops (real, every firm being an agent).

    ``product_sales_12m`` is (n_cells, n_products).
    """
    if not p.clusters:
        return ClusterState.empty(world.n_cells)
    scale = p.household_scale
    firms = np.zeros(world.n_cells) if firm_shops is None else firm_shops.astype(float)
    # window sums (cell and its neighbours): household shops in agents, with a Poisson lower
    # confidence bound so that a few agents met by chance do not make a cluster at small
    # scales; firms are counted as they are (they are not a sample)
    cells_w = world.window_cells
    shops_w = world.window_sum(shops.astype(float))
    firms_w = world.window_sum(firms)
    sales_w = world.window_sum(sales_12m)
    hh_w = world.window_sum(households.astype(float))
    shops_all = to_real(shops_w, scale) + firms_w
    shops_low = to_real(shops_lower_bound(shops_w, scale), scale) + firms_w
    sales_low = np.divide(to_real(sales_w, scale) * shops_low, shops_all,
                          out=np.zeros_like(sales_w), where=shops_all > 0)
    sales_real = sales_low / cells_w
    shops_real = shops_low / cells_w
    share = np.divide(shops_low, to_real(hh_w, scale), out=np.zeros_like(shops_low),
                      where=hh_w > 0)
    # the Taobao-village thresholds are per village: a cell of cell_km² holds that many
    # villages' land, so the rule is the same density whatever the cell size
    villages = villages_per_cell(world, p)
    qualifies = ((sales_real >= p.cluster_min_sales_yuan * villages)
                 & ((shops_real >= p.cluster_min_shops * villages)
                    | (share >= p.cluster_min_shop_share))
                 & ((shops > 0) | (firms > 0)))
    if not qualifies.any():
        return ClusterState.empty(world.n_cells)
    grid = np.zeros(world.grid_index.shape, dtype=bool)
    grid[world.cell_row[qualifies], world.cell_col[qualifies]] = True
    labels_grid, n = ndimage.label(grid, structure=np.ones((3, 3), dtype=int))
    label = labels_grid[world.cell_row, world.cell_col]
    if n == 0:
        return ClusterState.empty(world.n_cells)
    sizes = np.bincount(label, minlength=n + 1)[1:]
    by_product = np.stack([np.bincount(label, weights=product_sales_12m[:, k], minlength=n + 1)
                           for k in range(product_sales_12m.shape[1])], axis=1)[1:]
    totals = by_product.sum(axis=1)
    dominant = by_product.argmax(axis=1)
    dom_share = np.divide(by_product.max(axis=1), totals, out=np.zeros(n), where=totals > 0)
    is_belt = dom_share >= p.belt_dominance
    in_cluster = label > 0
    belt_of_label = np.concatenate([[False], is_belt])
    in_belt = belt_of_label[label]
    belt_product = np.where(in_belt, np.concatenate([[-1], dominant])[label], -1)
    return ClusterState(in_cluster, in_belt, label, belt_product, int(n),
                        int((sizes >= 3).sum()), int(is_belt.sum()), int(sizes.max()))


@dataclass
class SalesHistory:
    """CBEC revenue of the last 12 months per cell and per (cell, product line), model units
    (yuan a month); slot ``month % 12`` holds month ``month``. ``cell_12m`` and
    ``cell_product_12m`` are their sums over the 12 slots at the last detection."""

    by_cell: np.ndarray          # (12, n_cells)
    by_cell_product: np.ndarray  # (12, n_cells, n_products)
    cell_12m: np.ndarray         # (n_cells,)
    cell_product_12m: np.ndarray  # (n_cells, n_products)

    @classmethod
    def empty(cls, n_cells: int) -> SalesHistory:
        n_products = len(PRODUCTS)
        return cls(np.zeros((12, n_cells)), np.zeros((12, n_cells, n_products)),
                   np.zeros(n_cells), np.zeros((n_cells, n_products)))

    def record(self, month: int | None, cell_sales: np.ndarray | float,
               cell_product_sales: np.ndarray | float) -> None:
        """Store a month's revenue by cell and by (cell, line); ``month=None`` fills every slot
        (the warm start's past year)."""
        slot = slice(None) if month is None else month % 12
        self.by_cell[slot] = cell_sales
        self.by_cell_product[slot] = cell_product_sales

    def county_line_12m(self, cell_county: np.ndarray, n_counties: int) -> np.ndarray:
        """The last 12 months' revenue per (county, line) at the last detection (model
        units). Summed cell by cell in cell order, one line at a time (as ``np.add.at``, and
        the same sums, in a tenth of the time)."""
        lines = self.cell_product_12m.shape[1]
        out = np.zeros((n_counties, lines))
        for line in range(lines):
            out[:, line] = np.bincount(cell_county, weights=self.cell_product_12m[:, line],
                                       minlength=n_counties)
        return out

    def sum_year(self) -> None:
        """Sum the last 12 months."""
        self.cell_12m = self.by_cell.sum(axis=0)
        self.cell_product_12m = self.by_cell_product.sum(axis=0)


def find_clusters(world: World, p: Parameters, history: SalesHistory,
                  sets: Sequence[Households], cell_households: np.ndarray, n_counties: int,
                  coop_copies: np.ndarray | None = None) -> tuple[ClusterState, np.ndarray]:
    """Sum the last 12 months of sales, then find clusters: cells (the Taobao-village rule,
    :func:`detect`) and county industrial clusters (sellers of one line,
    :func:`county_industry_clusters`, shape (n_counties, n_products)). Shops are the sellers of
    every set: the households (``sets[0]``, a sample) and the firms (the other sets, real)."""
    history.sum_year()
    n_lines = len(PRODUCTS)
    # per set: shops per cell and per (county, line); households in agents, firms (a set of
    # real agents, weight household_scale) as real counts
    counts = []
    for h in sets:
        sellers = np.flatnonzero(h.status == SELLING)
        line = h.county[sellers].astype(np.int64) * n_lines + h.product[sellers]
        counts.append((sellers, line,
                       np.bincount(h.cell[sellers], minlength=world.n_cells).astype(float),
                       np.bincount(line, minlength=n_counties * n_lines).astype(float)))
    (sellers, line, shops, line_shops), rest = counts[0], counts[1:]
    firm_shops = sum((c for *_, c, _ in rest), np.zeros(world.n_cells))
    firm_lines = sum((c for *_, c in rest), np.zeros(n_counties * n_lines))
    cells = detect(world, p, history.cell_12m, shops, cell_households,
                   history.cell_product_12m, firm_shops)
    variance = _household_line_variance(sets[0].coop[sellers], line, p.household_scale,
                                        n_counties, n_lines, coop_copies)
    shape = (n_counties, n_lines)
    return cells, county_industry_clusters(p, line_shops.reshape(shape),
                                           firm_lines.reshape(shape), variance)


def _household_line_variance(coop: np.ndarray, line: np.ndarray, scale: float,
                             n_counties: int, n_lines: int,
                             coop_copies: np.ndarray | None = None) -> np.ndarray:
    """:func:`line_sampling_variance` of the household sellers whose cooperatives (-1: none)
    and flattened (county, line)s are ``coop`` and ``line``: direct sellers and each
    cooperative's member agents (a cooperative's members share its county and line);
    ``coop_copies[id]``: the cooperatives agent ``id`` stands for."""
    direct = np.bincount(line[coop < 0], minlength=n_counties * n_lines).astype(float)
    ids, first, members = np.unique(coop[coop >= 0], return_index=True, return_counts=True)
    coop_lines = line[coop >= 0][first]
    copies = None if coop_copies is None else coop_copies[ids]
    return line_sampling_variance(direct, coop_lines, members.astype(float), scale,
                                  (n_counties, n_lines), copies)
