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
Formation, intake, upkeep, leaving and dissolution are the registry's
(:class:`model.cooperatives.CooperativeRegistry`), which wires cooperatives to households.
"""

from __future__ import annotations

import mesa

from agents.farmers import MONTHS_PER_YEAR


class Cooperative(mesa.Agent):
    """A CBEC cooperative.

    Attributes:
        coop_id: index used in ``households.coop``.
        county, cell, product: where it is and what it sells.
        leader: household index of the founder (at a scale below 1 an agent standing for
            several founders, not always a member itself).
        founded_month: model month it registered.
        copies: real cooperatives this agent stands for (1 at ``household_scale`` 1; at other
            scales the real cooperatives of its founding size its member agents fill,
            fractional: about 17 at 0.02).
        n_members: member agents at the last count.
        size: households in each real cooperative it stands for (``n_members / (scale ×
            copies)``), its economic size.
        held: its held size, households: the size used to decide when it dissolves
            (:meth:`model.cooperatives.CooperativeRegistry.hold`).
        credit: member agents it may take now, gathered month by month
            (:meth:`model.cooperatives.CooperativeRegistry.accrue`).
        turnover_last_year: pooled CBEC revenue of the last calendar year of each cooperative
            it stands for, yuan.
        subsidies_received: turnover rewards received by each cooperative it stands for, yuan.
        firm_month: December it first received a reward as an enterprise past 5M yuan (a new
            firm, §4.1), -1 if never.
        active: False once dissolved.
    """

    def __init__(self, model: mesa.Model, coop_id: int, county: int, cell: int, product: int,
                 leader: int, founded_month: int, copies: float = 1.0) -> None:
        super().__init__(model)
        self.coop_id = coop_id
        self.county = county
        self.cell = cell
        self.product = product
        self.leader = leader
        self.founded_month = founded_month
        self.copies = copies
        self.n_members = 0
        self.size = 0.0
        self.held = 0.0
        self.credit = 0.0
        self.turnover_last_year = 0.0
        self.subsidies_received = 0.0
        self.firm_month = -1
        self.active = True

    def years_registered(self, month: int) -> float:
        """Years since it registered, counting the month it registered as a full month."""
        return (month - self.founded_month + 1) / MONTHS_PER_YEAR

    def is_open(self, capacity: int) -> bool:
        """Active and taking members (fewer than ``capacity`` households)."""
        return self.active and self.size < capacity

    def close(self) -> None:
        """Mark it dissolved (its members have left)."""
        self.active = False
        self.n_members = 0
        self.size = 0.0
        self.held = 0.0
