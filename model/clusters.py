"""Clusters and industry belts (ODD §7.15; §2.2.3, §5.1.2).

The rule is modelled on the Taobao-village criteria: a village with yearly e-commerce sales of at
least 10 million yuan and at least 100 active shops, or shops in at least 10% of households; a
Taobao town has at least 3 such villages. Here a *cell* plays the village. Its sales and shops are
rescaled to 1:1 (divided by ``household_scale``) and averaged over its 3x3 neighbourhood before the
rule is applied, and the window's shop count is replaced by its one-sided 95% Poisson lower bound
(``k_low = max(k - 1.64 sqrt(k / t), 0)`` for ``k`` shops in agents, ``t = min(1, 0.02 / scale)``:
as if households were sampled at the reference scale 0.02 at every scale): a handful of agents met
by chance cannot make a spurious cluster, and the rule is equally strict at 1:1. The cell must also
hold at least one seller itself. A cluster is a connected (8-neighbour) set of qualifying cells; a
*town* is a cluster of 3 or more cells; an industry belt is a cluster in which one product line has
at least ``belt_dominance`` of sales.

A looser, county-level notion sits beside it (:func:`county_industry_clusters`): the sellers of
one industry (tea, chili or embroidery) in a county form a county industrial cluster once they
are numerous enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from agents.farmers import OTHER, PRODUCTS, SELLING, Households
from model.parameters import Parameters
from model.scaling import to_real
from model.world import World

# assumption: one-sided 95% Poisson bound on a window's shop count (see the module docstring)
CLUSTER_CONFIDENCE_Z = 1.64
# assumption: the bound is computed for a sample of this many agents per real household (the
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
    sampled at :data:`CLUSTER_REFERENCE_SCALE` whatever ``scale`` is, so that both cluster rules
    are equally strict at 1:1 and at the default scale (stricter below it)."""
    thin = min(1.0, CLUSTER_REFERENCE_SCALE / scale)
    return np.maximum(shops - CLUSTER_CONFIDENCE_Z * np.sqrt(shops / thin), 0.0)


def in_a_cluster(cell_clusters: np.ndarray, industry_clusters: np.ndarray, cell: np.ndarray,
                 county: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Whether households (given by cell, county and product line) are in a cluster: their cell
    is a cluster cell or their county's industry a county industrial cluster."""
    return cell_clusters[cell] | industry_clusters[county, product]


def county_industry_clusters(p: Parameters, shops: np.ndarray) -> np.ndarray:
    """County industrial clusters (§3.3.3): ``shops`` is sellers per (county, product line), in
    agents. A county's line is a cluster when the one-sided 95% lower bound of its count, taken
    at the reference scale as for cells, reaches ``p.industry_cluster_min_shops`` at 1:1.
    Only the named industries (tea, chili, embroidery) can form one: "other" is a catch-all,
    not an industry. Returns a bool array of the same shape."""
    if not p.clusters or p.industry_cluster_min_shops <= 0:
        return np.zeros(shops.shape, dtype=bool)
    scale = p.household_scale
    found = (to_real(shops_lower_bound(shops.astype(float), scale), scale)
             >= p.industry_cluster_min_shops)
    found[:, OTHER] = False
    return found


def detect(world: World, p: Parameters, sales_12m: np.ndarray, shops: np.ndarray,
           households: np.ndarray, product_sales_12m: np.ndarray) -> ClusterState:
    """Find clusters from per-cell model-unit sales (yuan/12 months), shops and households.

    ``product_sales_12m`` is (n_cells, n_products).
    """
    if not p.clusters:
        return ClusterState.empty(world.n_cells)
    scale = p.household_scale
    # window sums (cell and its neighbours) in agents, then a Poisson lower confidence bound on
    # the shop count, so that a few agents met by chance do not make a cluster at small scales
    cells_w = world.window_cells
    shops_w = world.window_sum(shops.astype(float))
    sales_w = world.window_sum(sales_12m)
    hh_w = world.window_sum(households.astype(float))
    shops_low = shops_lower_bound(shops_w, scale)
    sales_low = np.divide(sales_w * shops_low, shops_w, out=np.zeros_like(sales_w),
                          where=shops_w > 0)
    sales_real = to_real(sales_low / cells_w, scale)
    shops_real = to_real(shops_low / cells_w, scale)
    share = np.divide(shops_low, hh_w, out=np.zeros_like(shops_low), where=hh_w > 0)
    qualifies = ((sales_real >= p.cluster_min_sales_yuan)
                 & ((shops_real >= p.cluster_min_shops) | (share >= p.cluster_min_shop_share))
                 & (shops > 0))
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

    def sum_year(self) -> None:
        """Sum the last 12 months."""
        self.cell_12m = self.by_cell.sum(axis=0)
        self.cell_product_12m = self.by_cell_product.sum(axis=0)


def find_clusters(world: World, p: Parameters, history: SalesHistory, h: Households,
                  cell_households: np.ndarray, n_counties: int
                  ) -> tuple[ClusterState, np.ndarray]:
    """Sum the last 12 months of sales, then find clusters: cells (the Taobao-village rule,
    :func:`detect`) and county industrial clusters (sellers of one line,
    :func:`county_industry_clusters`, shape (n_counties, n_products))."""
    history.sum_year()
    sellers = h.status == SELLING
    shops = np.bincount(h.cell[sellers], minlength=world.n_cells)
    cells = detect(world, p, history.cell_12m, shops, cell_households,
                   history.cell_product_12m)
    n_lines = len(PRODUCTS)
    line = h.county[sellers].astype(np.int64) * n_lines + h.product[sellers]
    line_shops = np.bincount(line, minlength=n_counties * n_lines)
    return cells, county_industry_clusters(p, line_shops.reshape(n_counties, n_lines))
