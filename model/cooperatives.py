"""Cooperatives (ODD §7.13): one registry for formation, intake, upkeep, leaving, dissolution.

    A cooperative's economic size is its real members (5-30 households), whatever the
    ``household_scale``: a cooperative agent stands for ``copies`` real cooperatives alike, and
    its member agents (each ``1 / scale`` households) are spread over them, so each has
    ``members / (scale × copies)`` households (:meth:`CooperativeRegistry.sizes`). At 1:1 an
    agent is one cooperative and its members are its households; at the default scale 0.02 a
    cooperative agent of the target size is founded with ``p.coop_min_members`` member agents
    and stands for about 17 cooperatives of 15 households, so a founding brings at most 5
    member agents into a county and line, not 5-30 (before issue 13, item 6: 250-1,500
    households at once, enough to make a county industrial cluster on its own).

    **Formation** (switch ``p.cooperatives``). Potential leaders are direct sellers with
    effective skill ≥ ``p.coop_leader_min_skill``; each founds a cooperative this month with
    probability ``p.coop_formation_rate`` (doubled for returnees). A founder looks for aware or
    selling households of its county and product line, not in a cooperative, within the
    recruitment radius ``r`` (``p.coop_radius_km``, widened as ``1/sqrt(scale)`` below
    ``p.coop_reference_scale``, the candidates found there thinned back to the area of ``r``).
    From a random sample of at most ``3 × p.coop_target_members`` of them, those whose gain
    rate in a cooperative of ``p.coop_target_members`` beats their hurdle join, up to
    ``target − 1``; with the founder they must number at least ``p.coop_min_members`` (real
    households). At a scale below 1 an agent founds with probability ``rate × T / m`` and the
    cooperative starts with ``m·n/T`` member agents on average (``T`` the target size, ``n``
    the real members found, ``m`` = ``T × scale`` rounded, at least ``p.coop_min_members``;
    the founder agent among them with probability ``1/n`` of each place, the rest from the
    willing), standing for ``agents / (scale × n)`` cooperatives: real cooperatives and
    members founded per leader are those of 1:1. **Joining** at review (§7.4): a household
    weighs the largest open cooperative of its county and line; each cooperative takes at most
    ``p.coop_intake_per_month`` households a month, up to twice ``p.coop_target_members``, and
    the households that want to join fill the places of the county and line's open
    cooperatives, the largest first, in a random order. A cooperative agent gathers
    ``scale × copies × intake`` member agents' places a month and keeps those not taken up to
    one agent's (at 1:1 a place not taken is lost). **Leaving** (after sales): each member
    reviews with probability ``p.review_rate`` and leaves if its gain rate in the cooperative is
    below its hurdle; independently each leaves with probability ``p.coop_leave_rate``. Leavers
    go on selling directly if they are digitally capable; the others stop selling and become
    aware again. A cooperative dissolves when no member agent is left or its *held* size, in
    whole households, falls below ``p.coop_min_members``. Where a member agent stands for more
    than one household of each real cooperative (who leave in one piece where a real
    cooperative loses them one at a time), the held size is last month's shrunk at the rate
    members of all cooperatives left theirs, but at least its size; at 1:1 it is the size.

Membership lives in the household arrays (``households.coop``); the cooperative agents
(:class:`agents.cooperative.Cooperative`) keep their own state; :class:`CooperativeRegistry`
is the one place that changes either.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import mesa
import numpy as np

from agents.cooperative import Cooperative
from agents.farmers import AWARE, PRODUCTS, SELLING, Households
from model.accounts import Pricing
from model.parameters import Parameters
from model.randomness import ORDER_KEY_SPAN, RandomStreams
from model.world import World

#: a cooperative takes members up to this multiple of ``coop_target_members``
CAPACITY_MULTIPLE = 2
#: a founder samples at most this multiple of ``coop_target_members`` candidates
SAMPLE_MULTIPLE = 3
#: returnees found cooperatives this many times as often (§5.1.2)
RETURNEE_FOUNDER_FACTOR = 2.0


def per_real_cooperative(total: np.ndarray | float, copies: np.ndarray | float,
                         scale: float) -> np.ndarray | float:
    """What a cooperative agent's total over its member agents (their number, or their sales
    in yuan) comes to in each real cooperative it stands for: ``total / (scale × copies)``,
    the agent's member agents standing for ``1 / scale`` households each, spread over its
    ``copies`` cooperatives. A number of member agents gives the cooperative's size in
    households."""
    return total / (scale * copies)


def _first_by_key(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest ``keys`` in increasing order (``argsort(keys,
    kind="stable")[:k]``) without sorting the whole pool (a founder's pool grows with the
    scale, and founders too). The keys are uniform on ``[0, 2**53)``
    (:meth:`model.randomness.RandomStreams.order_keys`), so the ``k`` smallest are almost surely
    below the level under which ``k + 6 sqrt(k) + 10`` are expected: only those are sorted (the
    pool is partitioned when fewer fall below it)."""
    n = len(keys)
    if n <= k:
        return np.argsort(keys, kind="stable")
    expected = k + 6.0 * np.sqrt(k) + 10.0
    if expected < n / 4:
        below = np.flatnonzero(keys < np.uint64(ORDER_KEY_SPAN * expected / n))
        if len(below) >= k:
            return below[np.argsort(keys[below], kind="stable")[:k]]
    first = np.argpartition(keys, k - 1)[:k]
    return first[np.argsort(keys[first], kind="stable")]


def _in_cells(local: np.ndarray, local_cells: np.ndarray, cells: np.ndarray,
              leave_out: int) -> np.ndarray:
    """The households of ``local`` (increasing) whose cell is one of ``cells`` (increasing),
    but ``leave_out``, in increasing order. ``local_cells`` (their cells) is non-decreasing, so
    they are blocks of ``local``, found by bisection; blocks of neighbouring cells are copied
    as one."""
    if len(cells) == 0:
        return local[:0]
    lo = np.searchsorted(local_cells, cells, side="left")
    hi = np.searchsorted(local_cells, cells, side="right")
    new_run = np.append(True, lo[1:] != hi[:-1])  # a block that does not go on the last one
    starts, stops = lo[new_run].tolist(), hi[np.append(new_run[1:], True)].tolist()
    out = int(np.searchsorted(local, leave_out))
    if out < len(local) and local[out] == leave_out:  # split the block that holds it
        run = bisect.bisect_right(starts, out) - 1
        if run >= 0 and out < stops[run]:
            starts.insert(run + 1, out + 1)
            stops.insert(run, out)
    return np.concatenate([local[a:b] for a, b in zip(starts, stops, strict=True)]
                          or [local[:0]])


class CooperativeRegistry:
    """Every cooperative of the run, by id, and the rules that change membership.

    ``county_start``/``county_stop`` delimit each county's households (they are sorted by
    county), ``model`` is the Mesa model the agents register with. ``copies[id]`` is how many
    real cooperatives agent ``id`` stands for.
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
        self.copies = np.zeros(0)
        self._near: dict[tuple[int, float], np.ndarray] = {}  # cells_near

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

    def selling(self) -> list[Cooperative]:
        """Cooperatives not dissolved that have members, in founding order."""
        return [c for c in self.by_id.values() if c.active and c.n_members > 0]

    def real_count(self, coops: list[Cooperative]) -> float:
        """Real cooperatives that the agents ``coops`` stand for."""
        return float(sum(c.copies for c in coops))

    def real_per_county(self, n_counties: int) -> np.ndarray:
        """Real cooperatives with members per county."""
        coops = self.selling()
        return np.bincount(np.array([c.county for c in coops], dtype=np.intp),
                           weights=np.array([c.copies for c in coops], dtype=float),
                           minlength=n_counties)

    def members(self, coop: Cooperative) -> np.ndarray:
        """Household indices of the current members of ``coop``."""
        a, b = self.county_start[coop.county], self.county_stop[coop.county]
        return a + np.flatnonzero(self.households.coop[a:b] == coop.coop_id)

    def real_members(self, counts: np.ndarray | float, coop_ids: np.ndarray | int,
                     scale: float) -> np.ndarray:
        """Households in each real cooperative of agents ``coop_ids`` with ``counts`` member
        agents (:func:`per_real_cooperative`)."""
        return per_real_cooperative(np.asarray(counts, dtype=float), self.copies[coop_ids],
                                    scale)

    def sizes(self, idx: np.ndarray) -> np.ndarray:
        """Households in each household's cooperative (0 for direct sellers): the cooperative's
        economic size, the same at every scale."""
        coop = self.households.coop[idx]
        inside = coop >= 0
        counts = np.bincount(coop[inside], minlength=max(self.next_id, 1))
        sizes = np.zeros(len(idx))
        sizes[inside] = self.real_members(counts[coop[inside]], coop[inside],
                                          self.model.params.household_scale)
        return sizes

    @staticmethod
    def capacity(p: Parameters) -> int:
        """Most members (households) a cooperative takes (twice the target size)."""
        return CAPACITY_MULTIPLE * p.coop_target_members

    @staticmethod
    def founding_agents(p: Parameters) -> int:
        """Member agents ``m`` a cooperative of the target size starts with at this scale: the
        target's households (``p.coop_target_members × scale``, rounded), at least
        ``p.coop_min_members`` (at most the target): a cooperative of the target size then
        loses a fifth of its households or less when one member agent leaves, instead of
        dissolving."""
        return min(p.coop_target_members,
                   max(p.coop_min_members, int(p.coop_target_members * p.household_scale + 0.5)))

    def open_by_line(self, p: Parameters) -> dict[tuple[int, int], list[Cooperative]]:
        """(county, product line) -> its open cooperatives, the largest first (founding order
        among equals): whom a household of that county and line weighs (the first) and whose
        places those who want to join fill (:meth:`open_for`, :meth:`admit`)."""
        capacity = self.capacity(p)
        lines: dict[tuple[int, int], list[Cooperative]] = {}
        for c in self.by_id.values():
            if c.is_open(capacity):
                lines.setdefault((c.county, c.product), []).append(c)
        for coops in lines.values():
            coops.sort(key=lambda c: (-c.size, c.coop_id))
        return lines

    def open_for(self, idx: np.ndarray, lines: dict[tuple[int, int], list[Cooperative]]
                 ) -> tuple[np.ndarray, np.ndarray]:
        """For households ``idx``: the largest open cooperative of their county and product
        line in ``lines`` (:meth:`open_by_line`): its id, or -1, and its size in households."""
        h = self.households
        n_counties = len(self.county_start)
        table = np.full((n_counties, len(PRODUCTS)), -1, dtype=np.int64)
        size = np.zeros((n_counties, len(PRODUCTS)))
        for (county, line), coops in lines.items():
            table[county, line] = coops[0].coop_id
            size[county, line] = coops[0].size
        line_of = h.county[idx].astype(np.intp) * len(PRODUCTS) + h.product[idx]
        return table.ravel()[line_of], size.ravel()[line_of]

    def accrue(self, coop: Cooperative, p: Parameters) -> None:
        """A month's places for ``coop``: ``p.coop_intake_per_month`` households for each
        cooperative it stands for, up to its capacity, in member agents (``scale`` times
        that). Places not taken carry over up to one month's or one agent's, whichever is
        more, and never beyond its capacity: at 1:1 a month's places not taken are lost, at a
        small scale a cooperative agent gathers the fraction of an agent it gets a month until
        a household agent (``1 / scale`` households) wants to join."""
        scale = p.household_scale
        room = scale * coop.copies * max(self.capacity(p) - coop.size, 0.0)
        month = min(scale * coop.copies * p.coop_intake_per_month, room)
        most = min(max(1.0, scale * coop.copies * p.coop_intake_per_month), room)
        coop.credit = min(coop.credit + month, most)

    @staticmethod
    def places(coop: Cooperative) -> int:
        """Member agents ``coop`` can take now: its whole places gathered (:meth:`accrue`)."""
        return max(int(np.floor(coop.credit + 1e-9)), 0)

    def take(self, coop: Cooperative, count: int, p: Parameters) -> None:
        """``count`` member agents join ``coop`` (the caller moves the households), using its
        places."""
        coop.credit -= count
        self.set_members(coop, coop.n_members + count, p.household_scale)

    @staticmethod
    def set_members(coop: Cooperative, n_members: int, scale: float) -> None:
        """Record ``coop``'s member agents and its size (:meth:`real_members`); its held size
        (:meth:`hold`) is at least that."""
        coop.n_members = n_members
        coop.size = per_real_cooperative(n_members, coop.copies, scale)
        coop.held = max(coop.held, coop.size)

    @staticmethod
    def hold(coop: Cooperative, leaving: float, scale: float) -> None:
        """Its held size after a month in which the share ``leaving`` of the member agents of
        all cooperatives left theirs. Where a member agent stands for more than one household
        of each real cooperative (``scale × copies < 1``), who leave in one piece where a real
        cooperative loses them one at a time, the held size is last month's shrunk at that
        rate, but at least its size; where it stands for one (at 1:1), the size."""
        if scale * coop.copies >= 1.0 - 1e-9:
            coop.held = coop.size
        else:
            coop.held = max(coop.size, coop.held * (1.0 - leaving))

    @staticmethod
    def dissolves(coop: Cooperative, p: Parameters) -> bool:
        """Whether ``coop`` has too few members to stay registered: no member agent left, or a
        held size (:meth:`hold`) below ``p.coop_min_members`` households, counted in whole
        households (at 1:1, fewer than ``p.coop_min_members`` households)."""
        return coop.n_members == 0 or coop.held < p.coop_min_members - 0.5

    def cells_near(self, cell: int, radius: float) -> np.ndarray:
        """Cells of ``cell``'s county whose centre is within ``radius`` km of its centre,
        increasing (kept: the grid does not change)."""
        near = self._near.get((cell, radius))
        if near is None:
            world = self.world
            county = world.cell_county[cell]
            c0, c1 = world.county_cell_start[county], world.county_cell_stop[county]
            near = c0 + np.flatnonzero(np.hypot(world.cell_x_km[c0:c1] - world.cell_x_km[cell],
                                                world.cell_y_km[c0:c1] - world.cell_y_km[cell])
                                       <= radius)
            self._near[cell, radius] = near
        return near

    # ------------------------------------------------------------------ rules
    def form(self, month: int, p: Parameters, streams: RandomStreams, pricing: Pricing,
             knowhow_cell: np.ndarray) -> int:
        """Let capable direct sellers found cooperatives this month. Returns how many agents
        formed.

        Households are sorted by county and, within a county, by cell, so a founder's
        candidates (same county and line, in index order) are found in the county's slice;
        distances are taken between cell centres. Founders act in household order: a household
        recruited by one founder cannot be recruited by a later one this month.
        """
        if not p.cooperatives:
            return 0
        h = self.households
        scale = p.household_scale
        target = p.coop_target_members
        founding = self.founding_agents(p)
        candidate = ((h.status == AWARE) | (h.status == SELLING)) & (h.coop < 0)
        sellers = np.flatnonzero(candidate & (h.status == SELLING))
        if len(sellers) == 0:
            return 0
        skill = h.skill(sellers, knowhow_cell)
        capable = sellers[skill >= p.coop_leader_min_skill]
        # an agent founds cooperatives of `founding` agents, each standing for
        # founding / (scale × target) real ones: as many real cooperatives as at 1:1
        rate = np.minimum(p.coop_formation_rate * target / founding
                          * np.where(h.returnee[capable], RETURNEE_FOUNDER_FACTOR, 1.0), 1.0)
        leaders = capable[streams.uniform("coop_founder", month, capable) < rate]
        if len(leaders) == 0:
            return 0
        widening = 1.0 / np.sqrt(min(1.0, scale / p.coop_reference_scale))
        radius = p.coop_radius_km * widening
        # real candidates within coop_radius_km per candidate agent within `radius`
        real_per_agent = 1.0 / (scale * widening ** 2)
        local_of: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        pools = []
        in_reach = []
        for leader in leaders.tolist():
            county, line = int(h.county[leader]), int(h.product[leader])
            if (county, line) not in local_of:
                a, b = self.county_start[county], self.county_stop[county]
                local = a + np.flatnonzero(candidate[a:b] & (h.product[a:b] == line))
                local_of[county, line] = local, h.cell[local]  # cells in increasing order
            local, local_cells = local_of[county, line]
            pool = _in_cells(local, local_cells, self.cells_near(int(h.cell[leader]), radius),
                             leader)
            reach = len(pool) * real_per_agent  # real candidates
            in_reach.append(reach)
            if reach + 1 < p.coop_min_members:
                pools.append(pool[:0])
                continue
            # the candidates with the smallest draws (keyed to the founder)
            pools.append(pool[_first_by_key(streams.order_keys("coop_recruit", month, pool,
                                                               leader),
                                            SAMPLE_MULTIPLE * target)])
        # one vectorised pricing of every founder's pool (a household may be in two pools)
        everyone = np.concatenate(pools)
        need = pricing.hurdle(everyone)
        keen = everyone[pricing.coop_gain(everyone, target, need) > need]
        keen_set = np.zeros(h.n, dtype=bool)
        keen_set[keen] = True
        rounding = streams.uniform("coop_founding_places", month, leaders)
        with_founder = streams.uniform("coop_founder_joins", month, leaders)
        formed = 0
        for k, (leader, pool) in enumerate(zip(leaders.tolist(), pools, strict=True)):
            if h.coop[leader] >= 0 or len(pool) == 0:  # recruited by an earlier founder
                continue
            willing = pool[keen_set[pool] & (h.coop[pool] < 0)]
            # real households willing: the willing share of the sample, times the real sample
            real_sample = min(in_reach[k], SAMPLE_MULTIPLE * target)
            n_real = 1.0 + min(target - 1.0, len(willing) * real_sample / len(pool))
            if n_real < p.coop_min_members:
                continue
            # member agents: m·n/T on average, at most the founder and the willing
            n_agents = int(np.floor(founding * n_real / target + rounding[k]))
            n_agents = min(n_agents, 1 + min(len(willing), target - 1))
            if n_agents == 0:
                continue
            # the founder is a member with chance agents / n (always at 1:1), and takes a
            # place the willing cannot fill
            founder_in = (n_agents >= n_real or len(willing) < n_agents
                          or with_founder[k] < n_agents / n_real)
            members = np.concatenate([[leader] if founder_in else [],
                                      willing[:n_agents - founder_in]]).astype(np.int64)
            coop = Cooperative(self.model, self.next_id, int(h.county[leader]),
                               int(h.cell[leader]), int(h.product[leader]), int(leader), month,
                               copies=len(members) / (scale * n_real))
            self.next_id += 1
            self.by_id[coop.coop_id] = coop
            self.copies = np.append(self.copies, coop.copies)
            h.start_selling(members, month, coop.coop_id)
            self.set_members(coop, len(members), scale)
            self.accrue(coop, p)
            formed += 1
        return formed

    def admit(self, review: np.ndarray, join: np.ndarray, month: int, p: Parameters,
              streams: RandomStreams, lines: dict[tuple[int, int], list[Cooperative]]
              ) -> np.ndarray:
        """Intake at review: reviewers ``review[join]`` want to join a cooperative of their
        county and line. Each open cooperative of ``lines`` (:meth:`open_by_line`) has the
        places it gathered (:meth:`accrue`); the households that want to join fill the places
        of their county and line, the largest cooperative first, in a random order of those who
        want to join, and start selling through it. Returns ``join`` with the ones turned away
        cleared (they may still sell directly)."""
        join = join.copy()
        wanting = np.flatnonzero(join)
        if len(wanting) == 0:
            return join
        h = self.households
        n_lines = len(PRODUCTS)
        where = (h.county[review[wanting]].astype(np.int64) * n_lines
                 + h.product[review[wanting]])
        order = streams.uniform("coop_intake", month, review[wanting])
        wanting = wanting[np.lexsort((order, where))]  # random within a county and line
        where = np.sort(where)
        starts = np.searchsorted(where, np.unique(where))
        stops = np.append(starts[1:], len(where))
        joined, joined_coop = [], []
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            queue = wanting[start:stop]
            taken = 0
            for coop in lines.get(divmod(int(where[start]), n_lines), []):
                members = review[queue[taken:taken + self.places(coop)]]
                if len(members):
                    self.take(coop, len(members), p)
                    joined.append(members)
                    joined_coop.append(np.full(len(members), coop.coop_id, dtype=np.int32))
                taken += len(members)
                if taken == len(queue):
                    break
            join[queue[taken:]] = False
        if joined:
            h.start_selling(np.concatenate(joined), month, np.concatenate(joined_coop))
        return join

    def upkeep(self, month: int, p: Parameters, streams: RandomStreams, pricing: Pricing
               ) -> None:
        """Recount members, let unhappy members leave (and a few at random), dissolve the
        cooperatives that shrink below ``p.coop_min_members`` households.

        A member agent stands for ``1 / scale`` households, so at a small scale a cooperative
        agent's size drops by several households when one leaves, where a real cooperative
        loses its households one at a time: :meth:`hold` and :meth:`dissolves` allow for that
        grain. At 1:1 a cooperative dissolves when fewer than ``p.coop_min_members`` households
        are left."""
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
        still = h.coop[members_idx]  # nobody joined since: the members are among them
        counts = np.bincount(still[still >= 0], minlength=self.next_id)
        active = self.active()
        before = np.array([c.n_members for c in active], dtype=float)
        after = counts[[c.coop_id for c in active]] if active else np.zeros(0, dtype=np.int64)
        # the share of member agents that left their cooperative this month
        leaving = float(np.maximum(before - after, 0).sum() / max(before.sum(), 1.0))
        for c, now in zip(active, after.tolist(), strict=True):
            self.set_members(c, int(now), p.household_scale)
            self.hold(c, leaving, p.household_scale)
            if self.dissolves(c, p):
                self.dissolve(c)
            else:
                self.accrue(c, p)  # next month's places

    def dissolve(self, coop: Cooperative) -> None:
        """Members who can go on selling directly (they review that choice at their next
        review); members who cannot sell online on their own stop."""
        self.households.leave_cooperative(self.members(coop))
        coop.close()
