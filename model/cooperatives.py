"""Cooperatives (ODD §7.13): one registry for formation, intake, upkeep, leaving, dissolution.

    **Formation** (switch ``p.cooperatives``). Potential leaders are direct sellers with
    effective skill ≥ ``p.coop_leader_min_skill``; each founds a cooperative this month with
    probability ``p.coop_formation_rate`` (doubled for returnees). A founder looks for aware or
    selling households of its county and product line, not in a cooperative, within the
    recruitment radius ``r`` (``p.coop_radius_km``, widened as ``1/sqrt(scale)`` below
    ``p.coop_reference_scale``). From a random sample of at most ``3 × p.coop_target_members``
    of them, those whose gain rate in a cooperative of ``p.coop_target_members`` beats their
    hurdle join, up to ``target − 1``; with the founder they must number at least
    ``p.coop_min_members``. **Joining** at review (§7.4): a cooperative takes new members only
    up to twice ``p.coop_target_members`` and at most ``p.coop_intake_per_month`` a month, in a
    random order of the households that want to join it that month. **Leaving** (after sales):
    each member reviews with probability ``p.review_rate`` and leaves if its gain rate in the
    cooperative is below its hurdle; independently each leaves with probability
    ``p.coop_leave_rate``. Leavers go on selling directly if they are digitally capable; the
    others stop selling and become aware again. A cooperative with fewer than
    ``p.coop_min_members`` members dissolves.

Membership lives in the household arrays (``households.coop``); the cooperative agents
(:class:`agents.cooperative.Cooperative`) keep their own state; :class:`CooperativeRegistry`
is the one place that changes either.
"""

from __future__ import annotations

from collections.abc import Iterator

import mesa
import numpy as np

from agents.cooperative import Cooperative
from agents.farmers import AWARE, PRODUCTS, SELLING, Households
from model.accounts import Pricing
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.world import World

#: a cooperative takes members up to this multiple of ``coop_target_members``
CAPACITY_MULTIPLE = 2
#: a founder samples at most this multiple of ``coop_target_members`` candidates
SAMPLE_MULTIPLE = 3
#: returnees found cooperatives this many times as often (§5.1.2)
RETURNEE_FOUNDER_FACTOR = 2.0


def _first_by_key(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest ``keys`` in increasing order: ``argsort(keys)[:k]`` without
    sorting the whole pool (a founder's pool grows with the scale, and founders too)."""
    if len(keys) <= k:
        return np.argsort(keys, kind="stable")
    first = np.argpartition(keys, k - 1)[:k]
    return first[np.argsort(keys[first], kind="stable")]


def _in_cells(sorted_cells: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Positions in ``sorted_cells`` (non-decreasing) whose cell is one of ``cells``
    (increasing), in increasing order: the blocks of each cell, found by bisection instead of
    a pass over every candidate of the county."""
    lo = np.searchsorted(sorted_cells, cells, side="left")
    lengths = np.searchsorted(sorted_cells, cells, side="right") - lo
    offsets = np.cumsum(lengths) - lengths
    return np.arange(lengths.sum()) - np.repeat(offsets - lo, lengths)


class CooperativeRegistry:
    """Every cooperative of the run, by id, and the rules that change membership.

    ``county_start``/``county_stop`` delimit each county's households (they are sorted by
    county), ``model`` is the Mesa model the agents register with.
    """

    def __init__(self, model: mesa.Model, households: Households, world: World,
                 county_start: np.ndarray, county_stop: np.ndarray) -> None:
        self.model = model
        self.households = households
        self.world = world
        self.county_start = county_start
        self.county_stop = county_stop
        self.by_id: dict[int, Cooperative] = {}
        self.next_id = 0  # ids ever issued; households.coop holds them

    # ------------------------------------------------------------------ state
    def __getitem__(self, coop_id: int) -> Cooperative:
        return self.by_id[coop_id]

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[Cooperative]:
        return iter(self.by_id.values())

    def values(self):
        return self.by_id.values()

    def active(self) -> list[Cooperative]:
        """Cooperatives not dissolved, in founding order."""
        return [c for c in self.by_id.values() if c.active]

    def members(self, coop: Cooperative) -> np.ndarray:
        """Household indices of the current members of ``coop``."""
        a, b = self.county_start[coop.county], self.county_stop[coop.county]
        return a + np.flatnonzero(self.households.coop[a:b] == coop.coop_id)

    def sizes(self, idx: np.ndarray) -> np.ndarray:
        """Members of each household's cooperative (0 for direct sellers)."""
        coop = self.households.coop[idx]
        sizes = np.bincount(coop[coop >= 0], minlength=max(self.next_id, 1))
        return np.where(coop >= 0, sizes[np.maximum(coop, 0)], 0).astype(float)

    @staticmethod
    def capacity(p: Parameters) -> int:
        """Most members a cooperative takes (twice the target size)."""
        return CAPACITY_MULTIPLE * p.coop_target_members

    def open_for(self, idx: np.ndarray, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
        """For households ``idx``: the largest open cooperative of their county and product
        line (id, or -1, and its size)."""
        h = self.households
        n_counties = len(self.county_start)
        table = np.full((n_counties, len(PRODUCTS)), -1, dtype=np.int64)
        size = np.zeros((n_counties, len(PRODUCTS)))
        for c in self.by_id.values():
            if c.is_open(self.capacity(p)) and c.n_members > size[c.county, c.product]:
                table[c.county, c.product] = c.coop_id
                size[c.county, c.product] = c.n_members
        return table[h.county[idx], h.product[idx]], size[h.county[idx], h.product[idx]]

    # ------------------------------------------------------------------ rules
    def form(self, month: int, p: Parameters, streams: RandomStreams, pricing: Pricing,
             knowhow_cell: np.ndarray) -> int:
        """Let capable direct sellers found cooperatives this month. Returns how many formed.

        Households are sorted by county and, within a county, by cell, so a founder's
        candidates (same county and line, in index order) are found in the county's slice;
        distances are taken between cell centres. Founders act in household order: a household
        recruited by one founder cannot be recruited by a later one this month.
        """
        if not p.cooperatives:
            return 0
        h = self.households
        candidate = ((h.status == AWARE) | (h.status == SELLING)) & (h.coop < 0)
        sellers = np.flatnonzero(candidate & (h.status == SELLING))
        if len(sellers) == 0:
            return 0
        skill = h.skill(sellers, knowhow_cell)
        capable = sellers[skill >= p.coop_leader_min_skill]
        rate = p.coop_formation_rate * np.where(h.returnee[capable], RETURNEE_FOUNDER_FACTOR,
                                                1.0)
        leaders = capable[streams.uniform("coop_founder", month, capable) < rate]
        if len(leaders) == 0:
            return 0
        world = self.world
        radius = p.coop_radius_km / np.sqrt(min(1.0, p.household_scale
                                                / p.coop_reference_scale))
        local_of: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        pools = []
        for leader in leaders.tolist():
            county, line = int(h.county[leader]), int(h.product[leader])
            if (county, line) not in local_of:
                a, b = self.county_start[county], self.county_stop[county]
                local = a + np.flatnonzero(candidate[a:b] & (h.product[a:b] == line))
                local_of[county, line] = local, h.cell[local]  # cells in increasing order
            local, local_cells = local_of[county, line]
            c0, c1 = world.county_cell_start[county], world.county_cell_stop[county]
            lc = h.cell[leader]
            near = c0 + np.flatnonzero(np.hypot(world.cell_x_km[c0:c1] - world.cell_x_km[lc],
                                                world.cell_y_km[c0:c1] - world.cell_y_km[lc])
                                       <= radius)
            pool = local[_in_cells(local_cells, near)]
            pool = pool[pool != leader]
            if len(pool) + 1 < p.coop_min_members:
                pools.append(pool[:0])
                continue
            # the candidates with the smallest draws (keyed to the founder)
            pools.append(pool[_first_by_key(streams.order_keys("coop_recruit", month, pool,
                                                               leader),
                                            SAMPLE_MULTIPLE * p.coop_target_members)])
        # one vectorised pricing of every founder's pool (a household may be in two pools)
        everyone = np.concatenate(pools)
        need = pricing.hurdle(everyone)
        keen = everyone[pricing.coop_gain(everyone, p.coop_target_members, need) > need]
        keen_set = np.zeros(h.n, dtype=bool)
        keen_set[keen] = True
        formed = 0
        for leader, pool in zip(leaders, pools, strict=True):
            if h.coop[leader] >= 0 or len(pool) == 0:  # recruited by an earlier founder
                continue
            willing = pool[keen_set[pool] & (h.coop[pool] < 0)][: p.coop_target_members - 1]
            if len(willing) + 1 < p.coop_min_members:
                continue
            coop = Cooperative(self.model, self.next_id, int(h.county[leader]),
                               int(h.cell[leader]), int(h.product[leader]), int(leader), month)
            self.next_id += 1
            self.by_id[coop.coop_id] = coop
            members = np.concatenate([[leader], willing])
            h.start_selling(members, month, coop.coop_id)
            coop.n_members = len(members)
            formed += 1
        return formed

    def admit(self, review: np.ndarray, join: np.ndarray, coop_id: np.ndarray, month: int,
              p: Parameters, streams: RandomStreams) -> np.ndarray:
        """Intake at review: reviewers ``review[join]`` want to join cooperatives ``coop_id``;
        each cooperative takes them up to its capacity, in a random order of those who want it,
        and they start selling through it. Returns ``join`` with the ones turned away cleared
        (they may still sell directly)."""
        join = join.copy()
        h = self.households
        wanting = np.flatnonzero(join)
        order = streams.uniform("coop_intake", month, review[wanting])
        wanting = wanting[np.lexsort((order, coop_id[wanting]))]  # random within a coop
        ids, first, counts = np.unique(coop_id[wanting], return_index=True, return_counts=True)
        limit = self.capacity(p)
        for cid, start, n in zip(ids.tolist(), first.tolist(), counts.tolist(), strict=True):
            coop = self.by_id[cid]
            places = min(max(limit - coop.n_members, 0), p.coop_intake_per_month)
            join[wanting[start + places:start + n]] = False
            members = review[wanting[start:start + min(places, n)]]
            h.start_selling(members, month, cid)
            coop.n_members += len(members)
        return join

    def upkeep(self, month: int, p: Parameters, streams: RandomStreams, pricing: Pricing
               ) -> None:
        """Recount members, let unhappy members leave (and a few at random), dissolve the
        cooperatives that shrink below ``p.coop_min_members``."""
        h = self.households
        if not self.by_id:
            return
        members_idx = np.flatnonzero(h.coop >= 0)
        if len(members_idx):
            sizes = self.sizes(members_idx)  # members are all sellers
            reviewing = streams.uniform("coop_review", month, members_idx) < p.review_rate
            gain = np.full(len(members_idx), np.inf)
            need = pricing.hurdle(members_idx)
            if reviewing.any():
                r = members_idx[reviewing]
                gain[reviewing] = pricing.coop_gain(r, sizes[reviewing], need[reviewing])
            unhappy = reviewing & (gain < need)
            churn = streams.uniform("coop_churn", month, members_idx) < p.coop_leave_rate
            h.leave_cooperative(members_idx[unhappy | churn])
        counts = np.bincount(h.coop[h.coop >= 0], minlength=self.next_id)
        for c in self.by_id.values():
            if not c.active:
                continue
            c.n_members = int(counts[c.coop_id])
            if c.n_members < p.coop_min_members:
                self.dissolve(c)

    def dissolve(self, coop: Cooperative) -> None:
        """Members who can go on selling directly (they review that choice at their next
        review); members who cannot sell online on their own stop."""
        self.households.leave_cooperative(self.members(coop))
        coop.close()
