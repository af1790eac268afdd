"""Cooperatives (§2.2.3, brief): farmers of one product line pooled around a capable leader.

A cooperative forms when a capable seller (skill >= ``coop_leader_min_skill``; returnees twice as
likely to found one) recruits nearby households of its product line (within ``coop_radius_km``,
same county; below ``coop_reference_scale`` the radius widens as 1/sqrt(scale) so that as many
agents are in reach as at that scale) for whom selling through the cooperative beats their hurdle.
It needs ``coop_min_members`` members to form and to survive. Members get consolidated first-mile
shipping, shared quality control (lower loss), one certification and one trademark for all, FX
settled once by the leader, and the cooperative's pooled turnover counts against subsidy thresholds
that single members cannot reach. Members leave when the cooperative no longer beats their hurdle,
or at a small background rate; aware households of the same county and line can join an open
cooperative when they review the option.

Membership lives in the household arrays (``households.coop``); the agent keeps its own state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.households import AWARE, SELLING

if TYPE_CHECKING:
    from model.model import CBECModel


class Cooperative(mesa.Agent):
    """A CBEC cooperative.

    Attributes:
        coop_id: index used in ``households.coop``.
        county, cell, product: where it is and what it sells.
        leader: household index of the leader.
        founded_month: model month it registered.
        n_members: members at the last count.
        turnover_last_year: pooled CBEC revenue of the last calendar year, yuan.
        subsidies_received: turnover rewards received, yuan.
        firm_month: December it first received a reward as an enterprise past 5M yuan (a new
            firm, §4.1), -1 if never.
        active: False once dissolved.
    """

    def __init__(self, model: CBECModel, coop_id: int, county: int, cell: int, product: int,
                 leader: int, founded_month: int) -> None:
        super().__init__(model)
        self.coop_id = coop_id
        self.county = county
        self.cell = cell
        self.product = product
        self.leader = leader
        self.founded_month = founded_month
        self.n_members = 0
        self.turnover_last_year = 0.0
        self.subsidies_received = 0.0
        self.firm_month = -1
        self.active = True

    def members(self) -> np.ndarray:
        """Household indices of the current members."""
        m = self.model
        start, stop = m.county_start[self.county], m.county_stop[self.county]
        return start + np.flatnonzero(m.households.coop[start:stop] == self.coop_id)

    def years_registered(self, month: int) -> float:
        return (month - self.founded_month + 1) / 12.0

    def dissolve(self) -> None:
        """Members who can go on selling directly; they review that choice at their next
        review. Members who cannot sell online on their own stop."""
        self.model._leave_coop(self.members())
        self.active = False
        self.n_members = 0


def form_cooperatives(model: CBECModel, month: int) -> int:
    """Let capable direct sellers found cooperatives this month. Returns how many formed."""
    p = model.params
    if not p.cooperatives:
        return 0
    h = model.households
    rng = model.rng
    # candidates: aware or selling households outside any cooperative
    candidate = ((h.status == AWARE) | (h.status == SELLING)) & (h.coop < 0)
    sellers = np.flatnonzero(candidate & (h.status == SELLING))
    if len(sellers) == 0:
        return 0
    skill = h.skill(sellers, model.poles.cell_knowhow)
    capable = sellers[skill >= p.coop_leader_min_skill]
    rate = p.coop_formation_rate * np.where(h.returnee[capable], 2.0, 1.0)
    leaders = capable[rng.random(len(capable)) < rate]
    formed = 0
    if len(leaders) == 0:
        return 0
    world = model.world
    radius = p.coop_radius_km / np.sqrt(min(1.0, p.household_scale / p.coop_reference_scale))
    # Households are sorted by county and, within a county, by cell, so a leader's candidates
    # (same county and line, in index order) are found in the county's slice; distances are
    # taken between cell centres, once per leader for the county's cells.
    local_of: dict[tuple[int, int], np.ndarray] = {}
    pools = []
    for leader in leaders.tolist():
        county, line = int(h.county[leader]), int(h.product[leader])
        local = local_of.get((county, line))
        if local is None:
            a, b = model.county_start[county], model.county_stop[county]
            local = a + np.flatnonzero(candidate[a:b] & (h.product[a:b] == line))
            local_of[county, line] = local
        c0, c1 = world.county_cell_start[county], world.county_cell_stop[county]
        lc = h.cell[leader]
        cell_near = np.hypot(world.cell_x_km[c0:c1] - world.cell_x_km[lc],
                             world.cell_y_km[c0:c1] - world.cell_y_km[lc]) <= radius
        pool = local[cell_near[h.cell[local] - c0] & (local != leader)]
        if len(pool) + 1 < p.coop_min_members:
            pools.append(pool[:0])
            continue
        pools.append(rng.permutation(pool)[: 3 * p.coop_target_members])
    # one vectorised pricing of every founder's pool (the same household may be in two pools)
    everyone = np.concatenate(pools)
    keen = everyone[model.coop_gain(everyone, p.coop_target_members) > model.hurdle(everyone)]
    keen_set = np.zeros(h.n, dtype=bool)
    keen_set[keen] = True
    for leader, pool in zip(leaders, pools, strict=True):
        if h.coop[leader] >= 0 or len(pool) == 0:  # recruited by an earlier founder
            continue
        willing = pool[keen_set[pool] & (h.coop[pool] < 0)][: p.coop_target_members - 1]
        if len(willing) + 1 < p.coop_min_members:
            continue
        coop = Cooperative(model, model.next_coop_id(), int(h.county[leader]),
                           int(h.cell[leader]), int(h.product[leader]), int(leader), month)
        model.cooperatives[coop.coop_id] = coop
        members = np.concatenate([[leader], willing])
        model.start_selling(members, month, coop.coop_id)
        coop.n_members = len(members)
        formed += 1
    return formed
