"""Sales volume and the households' expected accounts (ODD §7.1, the inputs of §7.3).

    A household's goods shipped per year (domestic wholesale value):
    ``V = sales_potential × min((1 + p.sales_growth_per_year_in_business)^y,
    p.capacity_multiple)`` with ``y = clip(months_selling/12, 0, 10)`` years in business.
    Foreign demand acts on the price, not on the volume: it is cleared per channel and product
    line (:mod:`model.demand`, §7.1). The expected turnover reward is the reward rate on
    the entity's turnover (its own, or its cooperative's pooled turnover) times the county's
    take-up, reduced for entities not yet registered ``p.subsidy_min_years``.

:class:`Pricing` holds what a month's decisions are priced with (the households, the
parameters, the market context and the know-how field) and gives the expected yearly accounts
of any set of households selling directly or through a cooperative: the margin itself is
:func:`model.economics.annual_economics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from agents.farmers import MONTHS_PER_YEAR, Households
from model import economics as econ
from model.demand import B2B, RETAIL
from model.parameters import Parameters

#: households priced at once (measured: fastest of 4k-256k at 1:1): the many temporary arrays
#: of the margin stay in the CPU cache
ECONOMICS_BLOCK = 65_536


class KnowHowField(Protocol):
    """Anything with the current know-how per cell (``cell``, in [0, 1])."""

    cell: np.ndarray


@dataclass
class Pricing:
    """Prices the decisions of one month: expected yearly accounts of households.

    ``knowhow`` is read when a price is asked for, so skills follow the month's gradient
    transfer even though the context was computed before it.
    """

    households: Households
    params: Parameters
    context: econ.MarketContext
    knowhow: KnowHowField
    #: whether the set's agents are firms: registered entities selling B2B, who can claim the
    #: turnover reward; households sell retail parcels on their own (B2B through a
    #: cooperative), and of them only returnee entrepreneurs register their business (the
    #: others claim only through a cooperative)
    registered: bool = False

    def hurdle(self, idx: np.ndarray) -> np.ndarray:
        """Gain per yuan of goods households ``idx`` need before they sell cross-border."""
        return econ.hurdle(self.households, idx, self.params)

    def annual_sales(self, idx: np.ndarray) -> np.ndarray:
        """Goods a household ships a year (yuan, domestic value), with learning by doing."""
        return econ.annual_sales(self.households, idx, self.params)

    def skill(self, idx: np.ndarray) -> np.ndarray:
        """Effective skill of households ``idx`` ([0, 1]) with the current know-how."""
        return self.households.skill(idx, self.knowhow.cell)

    def accounts(self, idx: np.ndarray, coop_members: np.ndarray | float,
                 reward_turnover: np.ndarray | None = None, full: bool = True,
                 with_reward: bool = True, need: np.ndarray | None = None,
                 sales: np.ndarray | None = None, skill: np.ndarray | None = None
                 ) -> dict[str, np.ndarray]:
        """Expected yearly accounts of households ``idx`` selling with ``coop_members``
        (0 = directly). ``reward_turnover``: the entity turnover the reward is judged on
        (defaults to the household's own revenue). ``full=False``: only what a decision needs
        (``revenue``, ``profit``, ``gain_rate``). ``with_reward=False``: no expected turnover
        reward (a month's realised accounts: rewards are paid, in December, not expected).
        ``need`` (with ``full=False``): each household's hurdle; a household whose gain cannot
        exceed it (:func:`model.economics.may_reach`) is not priced further and gets a
        ``gain_rate`` of ``-inf``; only ``gain_rate`` is returned then.
        ``sales``, ``skill``: the households' :meth:`annual_sales` and :meth:`skill`, when the
        caller has them already (a review prices a household twice: directly and in a
        cooperative).

        Large sets are priced in blocks of :data:`ECONOMICS_BLOCK` households (about twice as
        fast at 1:1)."""
        n = len(idx)
        if need is not None:
            if full:
                raise ValueError("need screens a decision: use it with full=False")
            need = np.broadcast_to(np.asarray(need, dtype=float), (n,))
        if n <= ECONOMICS_BLOCK:
            return self._block(idx, coop_members, reward_turnover, full, with_reward, need,
                               sales, skill)
        coop_members = np.broadcast_to(coop_members, (n,))
        if reward_turnover is not None:
            reward_turnover = np.broadcast_to(reward_turnover, (n,))
        parts = [self._block(
            idx[i:i + ECONOMICS_BLOCK], coop_members[i:i + ECONOMICS_BLOCK],
            None if reward_turnover is None else reward_turnover[i:i + ECONOMICS_BLOCK], full,
            with_reward, None if need is None else need[i:i + ECONOMICS_BLOCK],
            None if sales is None else sales[i:i + ECONOMICS_BLOCK],
            None if skill is None else skill[i:i + ECONOMICS_BLOCK])
            for i in range(0, n, ECONOMICS_BLOCK)]
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def _block(self, idx: np.ndarray, coop_members: np.ndarray | float,
               reward_turnover: np.ndarray | None, full: bool, with_reward: bool,
               need: np.ndarray | None = None, sales: np.ndarray | None = None,
               skill: np.ndarray | None = None) -> dict[str, np.ndarray]:
        p = self.params
        h = self.households
        ctx = self.context
        if sales is None:
            sales = self.annual_sales(idx)
        years = h.months_selling[idx] / MONTHS_PER_YEAR
        registered = self.registered_rows(idx)
        # only an entity claims: a registered business, or a household's cooperative
        claims = registered | (np.asarray(coop_members) > 0)
        reward = np.zeros(len(idx))
        if with_reward and claims.any():
            # priced for the claimants whose turnover earns a reward (the rate is 0 below
            # p.subsidy_min_turnover_yuan): all of a cooperative's members claim, few earn
            c = slice(None) if claims.all() else np.flatnonzero(claims)
            if reward_turnover is None:
                channel = B2B if self.registered else RETAIL
                turnover = sales[c] * econ.export_price(p, ctx)[channel, h.product[idx[c]]]
            else:
                turnover = np.broadcast_to(reward_turnover, (len(idx),))[c]
            earns = np.flatnonzero(turnover >= p.subsidy_min_turnover_yuan)
            c = earns if isinstance(c, slice) else c[earns]
            years_factor = np.clip(1.0 - p.subsidy_min_years / 3.0, 0.0, 1.0)
            reward[c] = (econ.reward_rate(turnover[earns], p) * ctx.takeup[h.county[idx[c]]]
                         * np.where(years[c] >= p.subsidy_min_years, 1.0, years_factor)
                         * ctx.subsidy_ratio["turnover_reward"])
        if skill is None:
            skill = self.skill(idx)
        if need is None:
            return econ.annual_economics(h, idx, ctx, p, skill, coop_members, sales, reward,
                                         years, full=full, registered=registered,
                                         b2b=self.registered)
        coop_members = np.broadcast_to(np.asarray(coop_members, dtype=float), idx.shape)
        may = econ.may_reach(h, idx, ctx, p, skill, coop_members, sales, reward, need,
                             b2b=self.registered)
        gain = np.full(len(idx), -np.inf)
        if len(may):
            gain[may] = econ.annual_economics(
                h, idx[may], ctx, p, skill[may], coop_members[may], sales[may], reward[may],
                years[may], full=False, registered=registered[may],
                b2b=self.registered)["gain_rate"]
        return {"gain_rate": gain}

    def registered_rows(self, idx: np.ndarray) -> np.ndarray:
        """Whether agents ``idx`` run a registered business: every firm; a household when it
        is a returnee entrepreneur large enough to register
        (:func:`model.economics.registered_business`)."""
        if self.registered:
            return np.ones(len(idx), dtype=bool)
        return econ.registered_business(self.households, idx, self.params)

    def gain(self, idx: np.ndarray, coop_members: np.ndarray,
             need: np.ndarray | None = None, sales: np.ndarray | None = None,
             skill: np.ndarray | None = None) -> np.ndarray:
        """Gain per yuan of goods of selling cross-border rather than domestically, with
        ``coop_members`` per household (0 = directly). With ``need`` (each household's
        hurdle), ``-inf`` for a household whose gain cannot reach it (not priced further).
        ``sales``, ``skill`` as for :meth:`accounts`."""
        return self.accounts(idx, coop_members, full=False, need=need, sales=sales,
                             skill=skill)["gain_rate"]

    def coop_gain(self, idx: np.ndarray, members: int | np.ndarray,
                  need: np.ndarray | None = None, sales: np.ndarray | None = None,
                  skill: np.ndarray | None = None) -> np.ndarray:
        """Gain rate of households ``idx`` selling through a cooperative of ``members``, whose
        reward is judged on the members' pooled turnover; ``need``, ``sales`` and ``skill``
        as for :meth:`gain`."""
        members = np.broadcast_to(np.asarray(members, dtype=float), idx.shape)
        if sales is None:
            sales = self.annual_sales(idx)
        price = econ.export_price(self.params, self.context)[B2B, self.households.product[idx]]
        pooled = members * sales * price
        return self.accounts(idx, members, reward_turnover=pooled, full=False,
                             need=need, sales=sales, skill=skill)["gain_rate"]
