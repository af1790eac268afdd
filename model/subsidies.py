"""Turnover subsidies: eligibility, take-up, payment (ODD §7.14; §4.1, §5.1.1).

    **Payment** (December). Entities are the selling firms (:mod:`agents.firms`), returnee
    entrepreneurs selling on their own whose business is large enough to register
    (:func:`model.economics.registered_business`) and the active cooperatives; other
    households selling on their own are not registered and claim nothing. Turnover is
    calendar-year CBEC revenue (``sales_ytd``; a cooperative's is the sum over its current
    members). Years registered: months since the first CBEC sale (firms, returnee businesses)
    or since founding (cooperatives), / 12; eligible if ≥ ``p.subsidy_min_years``. An
    eligible entity completes its application with the county's take-up probability (§7.2).
    It receives rate × ``T``; a cooperative's reward is shared among members in proportion to
    their sales.
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
from model.cooperatives import CooperativeRegistry, per_real_cooperative
from model.entities import registered_alone
from model.fiscal import FiscalLedger, pay_sets
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.scaling import to_real

#: the paper's size class (§4.1: "80% of entities turn over less than 1M yuan a year")
SMALL_ENTITY_YUAN = 1e6


@dataclass
class RewardRound:
    """The last December's turnover rewards: ``recipients`` (real entities),
    ``eligible_share`` and ``coverage`` (shares of all entities), the entities' turnover of
    that calendar year (yuan): its median and the share below 1M yuan, and ``paid_share``."""

    recipients: int = 0
    eligible_share: float = 0.0
    coverage: float = 0.0
    turnover_median_yuan: float = float("nan")
    share_below_1m: float = float("nan")
    #: the share of the claims the special fund paid (1: in full, model.budgets)
    paid_share: float = 1.0

    @classmethod
    def before_any(cls, turnover: np.ndarray) -> RewardRound:
        """The start state: no reward paid yet; ``turnover`` is the initial entities' last
        year (yuan)."""
        return cls(0, 0.0, 0.0, *turnover_stats(turnover))


def turnover_stats(turnover: np.ndarray, counts: np.ndarray | None = None
                   ) -> tuple[float, float]:
    """Median turnover (yuan) and the share below 1M yuan of entities with ``turnover``, each
    standing for ``counts`` real entities (1 each if None)."""
    if len(turnover) == 0:
        return float("nan"), float("nan")
    counts = np.ones(len(turnover)) if counts is None else np.asarray(counts, dtype=float)
    order = np.argsort(turnover, kind="stable")
    cumulative = np.cumsum(counts[order])
    median = float(turnover[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])
    below = float(counts[turnover < SMALL_ENTITY_YUAN].sum() / counts.sum())
    return median, below


def pay_turnover_rewards(month: int, p: Parameters, streams: RandomStreams, h: Households,
                         firms: Households, cooperatives: CooperativeRegistry,
                         takeup: np.ndarray, in_belt: np.ndarray, ledger: FiscalLedger,
                         rates: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
                         | None = None) -> RewardRound:
    """December: turnover rewards to the eligible entities (firms, returnee entrepreneurs'
    registered businesses and cooperatives; other households selling on their own are not
    registered and cannot claim) that complete their application, and the industry-belt
    reward (§5.1.2) on the belts' turnover. ``takeup`` is per county, ``in_belt`` per cell.
    Entity counts in the result are real (firms are real agents; a cooperative agent counts
    the real cooperatives it stands for). Each real cooperative claims on its own turnover;
    its members share its reward in proportion to their sales. ``rates``: the reward rate of
    entities (turnover, years registered, county) when it differs by county
    (:func:`model.targeting.reward_rates`); default ``p``'s."""
    sellers = np.flatnonzero(h.status == SELLING)
    members = sellers[h.coop[sellers] >= 0]
    # registered businesses selling alone: firms, and returnee entrepreneurs' businesses
    direct = [np.flatnonzero(firms.status == SELLING), registered_alone(h, p)]
    alone = (firms, h)
    n_ids = max(cooperatives.next_id, 1)
    # each real cooperative's turnover: its member agents' sales over the cooperatives and
    # households they stand for
    member_sales = np.bincount(h.coop[members], weights=h.sales_ytd[members], minlength=n_ids)
    coop_turnover = np.zeros(n_ids)
    coop_turnover[:cooperatives.next_id] = per_real_cooperative(
        member_sales[:cooperatives.next_id], cooperatives.copies, p.household_scale)
    coops = cooperatives.selling()
    coop_ids = np.array([c.coop_id for c in coops], dtype=np.int64)
    turnover = np.concatenate([a.sales_ytd[d].astype(float)
                               for a, d in zip(alone, direct, strict=True)]
                              + [coop_turnover[coop_ids]])
    years = np.concatenate([(month - a.start_month[d] + 1) / MONTHS_PER_YEAR
                            for a, d in zip(alone, direct, strict=True)]
                           + [np.array([c.years_registered(month) for c in coops])])
    county = np.concatenate([a.county[d] for a, d in zip(alone, direct, strict=True)]
                            + [np.array([c.county for c in coops])]).astype(int)
    # how many real entities each stands for: a firm is one; a household agent 1/scale; a
    # cooperative agent its copies
    one_household = to_real(1.0, p.household_scale)
    counts = np.concatenate([np.ones(len(direct[0])), np.full(len(direct[1]), one_household),
                             cooperatives.copies[coop_ids]])
    if rates is None:
        rate = econ.reward_rate(turnover, p) * (years >= p.subsidy_min_years)
    else:
        rate = rates(turnover, years, county)
    eligible = rate > 0
    draws = np.concatenate([streams.uniform("takeup_firm", month, direct[0]),
                            streams.uniform("takeup", month, direct[1]),
                            streams.uniform("takeup_coop", month, coop_ids)])
    takes = eligible & (draws < takeup[county])
    paid = np.where(takes, rate * turnover, 0.0)
    total = counts.sum()
    result = RewardRound(
        int(round(float(counts[takes].sum()))),
        float(counts[eligible].sum() / total) if total else 0.0,
        float(counts[takes].sum() / total) if total else 0.0,
        *turnover_stats(turnover, counts))
    nf, nh = len(direct[0]), len(direct[1])
    nd = nf + nh
    # the first reward as an enterprise past 5M yuan makes a new firm (§4.1)
    enterprise = takes & (turnover >= econ.FIRM_TURNOVER_YUAN)
    for agents, d, is_firm in ((firms, direct[0], enterprise[:nf]),
                               (h, direct[1], enterprise[nf:nd])):
        first = d[is_firm & (agents.firm_month[d] < 0)]
        agents.firm_month[first] = month
    for c, is_firm in zip(coops, enterprise[nd:], strict=True):
        if is_firm and c.firm_month < 0:
            c.firm_month = month
    coop_paid = np.zeros(n_ids)
    coop_paid[coop_ids] = paid[nd:]
    # a member household's share of its real cooperative's turnover
    share = np.divide(h.sales_ytd[members], coop_turnover[h.coop[members]],
                      out=np.zeros(len(members)), where=coop_turnover[h.coop[members]] > 0)
    member_paid = coop_paid[h.coop[members]] * share
    # one claim on the special fund: every claimant gets the same share (model.budgets)
    ratio = pay_sets(ledger, "turnover_reward", [(firms, direct[0], paid[:nf]),
                                                 (h, direct[1], paid[nf:nd]),
                                                 (h, members, member_paid)])
    paid = paid * ratio
    member_paid = member_paid * ratio
    coop_paid = coop_paid * ratio
    result.paid_share = ratio
    # the reward is December's income: in the accounts of the month it is paid
    firms.reward_last[:] = 0.0
    h.reward_last[:] = 0.0
    for agents, idx, amount in ((firms, direct[0], paid[:nf]), (h, direct[1], paid[nf:nd]),
                                (h, members, member_paid)):
        agents.reward_last[idx] = amount
        agents.profit_trailing[idx] += amount
    for c in coops:
        c.subsidies_received += float(coop_paid[c.coop_id])
        c.turnover_last_year = float(coop_turnover[c.coop_id])
    if p.belt_reward_share > 0:
        belt_sales = h.sales_ytd[sellers][in_belt[h.cell[sellers]]].sum()
        selling_firms = firms.sales_ytd[direct[0]][in_belt[firms.cell[direct[0]]]].sum()
        ledger.claim("belt_reward", to_real(p.belt_reward_share * belt_sales,
                                            p.household_scale)
                     + p.belt_reward_share * selling_firms)
    return result
