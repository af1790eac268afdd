"""Turnover subsidies: eligibility, take-up, payment (ODD §7.14; §4.1, §5.1.1).

    **Payment** (December). Entities are direct sellers and active cooperatives. Turnover is
    calendar-year CBEC revenue (``sales_ytd``; a cooperative's is the sum over its current
    members). Years registered: months since the first CBEC sale (direct sellers) or since
    founding (cooperatives), / 12; eligible if ≥ ``p.subsidy_min_years``. An eligible entity
    completes its application with the county's take-up probability (§7.2). It receives
    rate × ``T``; a cooperative's reward is shared among members in proportion to their sales.
    **Eligible share** = entities meeting both conditions / entities (``subsidy_eligible_share``;
    the paper's 12%, §4.1); **coverage** = recipients / entities (``subsidy_coverage``). An
    entity's first reward on a turnover of 5 M yuan or more (``FIRM_TURNOVER_YUAN``) marks it
    as a new firm (``firm_month``).

The reward rate and its expectation in decisions are :func:`model.economics.reward_rate` and
:meth:`model.accounts.Pricing.accounts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agents.farmers import MONTHS_PER_YEAR, SELLING, Households
from model import economics as econ
from model.cooperatives import CooperativeRegistry
from model.fiscal import FiscalLedger, pay_households
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.scaling import to_real

#: the paper's size class (§4.1: "80% of entities turn over less than 1M yuan a year")
SMALL_ENTITY_YUAN = 1e6


@dataclass
class RewardRound:
    """The last December's turnover rewards: ``recipients`` (entities, model units),
    ``eligible_share`` and ``coverage`` (shares of all entities), and the entities' turnover of
    that calendar year (yuan): its median and the share below 1M yuan."""

    recipients: int = 0
    eligible_share: float = 0.0
    coverage: float = 0.0
    turnover_median_yuan: float = float("nan")
    share_below_1m: float = float("nan")

    @classmethod
    def before_any(cls, turnover: np.ndarray) -> RewardRound:
        """The start state: no reward paid yet; ``turnover`` is the initial entities' last
        year (yuan)."""
        return cls(0, 0.0, 0.0, *turnover_stats(turnover))


def turnover_stats(turnover: np.ndarray) -> tuple[float, float]:
    """Median turnover (yuan) and the share below 1M yuan of entities with ``turnover``."""
    if len(turnover) == 0:
        return float("nan"), float("nan")
    return float(np.median(turnover)), float((turnover < SMALL_ENTITY_YUAN).mean())


def pay_turnover_rewards(month: int, p: Parameters, streams: RandomStreams, h: Households,
                         cooperatives: CooperativeRegistry, takeup: np.ndarray,
                         in_belt: np.ndarray, ledger: FiscalLedger,
                         rates: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
                         | None = None) -> RewardRound:
    """December: turnover rewards to the eligible entities that complete their application, and
    the industry-belt reward (§5.1.2) on the belts' turnover. ``takeup`` is per county,
    ``in_belt`` per cell. ``rates``: the reward rate of entities (turnover, years registered,
    county) when it differs by county (:func:`model.targeting.reward_rates`); default ``p``'s."""
    sellers = np.flatnonzero(h.status == SELLING)
    coop_of = h.coop[sellers]
    direct = sellers[coop_of < 0]
    members = sellers[coop_of >= 0]
    n_ids = max(cooperatives.next_id, 1)
    coop_turnover = np.bincount(h.coop[members], weights=h.sales_ytd[members],
                                minlength=n_ids)
    coops = [c for c in cooperatives.active() if c.n_members > 0]
    coop_ids = np.array([c.coop_id for c in coops], dtype=np.int64)
    turnover = np.concatenate([h.sales_ytd[direct].astype(float), coop_turnover[coop_ids]])
    years = np.concatenate([(month - h.start_month[direct] + 1) / MONTHS_PER_YEAR,
                            [c.years_registered(month) for c in coops]])
    county = np.concatenate([h.county[direct], [c.county for c in coops]]).astype(int)
    if rates is None:
        rate = econ.reward_rate(turnover, p) * (years >= p.subsidy_min_years)
    else:
        rate = rates(turnover, years, county)
    eligible = rate > 0
    draws = np.concatenate([streams.uniform("takeup", month, direct),
                            streams.uniform("takeup_coop", month, coop_ids)])
    takes = eligible & (draws < takeup[county])
    paid = np.where(takes, rate * turnover, 0.0)
    result = RewardRound(
        int(takes.sum()), float(eligible.mean()) if len(eligible) else 0.0,
        float(takes.mean()) if len(takes) else 0.0, *turnover_stats(turnover))
    nd = len(direct)
    # the first reward as an enterprise past 5M yuan makes a new firm (§4.1)
    enterprise = takes & (turnover >= econ.FIRM_TURNOVER_YUAN)
    first = direct[enterprise[:nd] & (h.firm_month[direct] < 0)]
    h.firm_month[first] = month
    for c, is_firm in zip(coops, enterprise[nd:], strict=True):
        if is_firm and c.firm_month < 0:
            c.firm_month = month
    coop_paid = np.zeros(n_ids)
    coop_paid[coop_ids] = paid[nd:]
    share = np.divide(h.sales_ytd[members], coop_turnover[h.coop[members]],
                      out=np.zeros(len(members)), where=coop_turnover[h.coop[members]] > 0)
    member_paid = coop_paid[h.coop[members]] * share
    pay_households(ledger, h, "turnover_reward", direct, paid[:nd])
    pay_households(ledger, h, "turnover_reward", members, member_paid)
    # the reward is December's income: in the accounts of the month it is paid
    h.reward_last[:] = 0.0
    h.reward_last[direct] = paid[:nd]
    h.reward_last[members] = member_paid
    h.profit_trailing[direct] += paid[:nd]
    h.profit_trailing[members] += member_paid
    for c in coops:
        c.subsidies_received += float(coop_paid[c.coop_id])
        c.turnover_last_year = float(coop_turnover[c.coop_id])
    if p.belt_reward_share > 0:
        belt_sales = h.sales_ytd[sellers][in_belt[h.cell[sellers]]].sum()
        ledger.add("belt_reward", to_real(p.belt_reward_share * belt_sales, p.household_scale))
    return result
