"""Hurdle and adoption review (ODD §7.4; §2.3, §3.3.3).

    ``hurdle = p.hurdle_base + p.hurdle_risk × risk_aversion``. Each month households that
    exited at least ``p.reentry_months`` ago become aware again. Each aware household reviews
    with probability ``min(1, p.review_rate + p.imitation_rate × s_c)``, where ``s_c`` is the
    share of households in the 3×3 block around its cell that sell at a profit (trailing
    profit above zero): households copy successful neighbours (the Taobao-village pattern,
    Bass diffusion's imitation term); this month's returnee entrepreneurs review for certain.
    Firms review by the same rule, without cooperatives.
    A reviewer computes its direct gain rate (−∞ for a household that is not digitally capable,
    which can sell only through a cooperative) and, if cooperatives are on and its county has an
    *open* cooperative of its product line (the largest one is offered), the gain rate as its
    ``n+1``-th member (reward judged on pooled turnover). It joins when the cooperative gain
    beats the hurdle and is at least the direct gain; otherwise it sells directly when the direct
    gain beats the hurdle; otherwise it stays aware. Direct sellers do not review; they can move
    into a cooperative only when a new one is founded near them (§7.13).
"""

from __future__ import annotations

import numpy as np

from agents.farmers import AWARE, Households
from model.accounts import ECONOMICS_BLOCK, Pricing
from model.cooperatives import CooperativeRegistry
from model.parameters import Parameters
from model.randomness import RandomStreams


def review(month: int, p: Parameters, streams: RandomStreams, h: Households,
           cooperatives: CooperativeRegistry | None, pricing: Pricing,
           entrepreneurs: np.ndarray, successful_peers: np.ndarray) -> None:
    """Aware households (or firms, with ``cooperatives`` None) weigh selling cross-border,
    directly or through a cooperative; this month's returnee ``entrepreneurs`` review at
    once. ``successful_peers``: per cell, the share of households around that sell at a
    profit (:func:`model.awareness.peer_share`), whom reviewers copy."""
    h.come_back(month, p.reentry_months)
    aware = np.flatnonzero(h.status == AWARE)
    chance = np.minimum(p.review_rate + p.imitation_rate * successful_peers, 1.0)[h.cell[aware]]
    chosen = streams.uniform("review", month, aware) < chance
    fresh = entrepreneurs[h.status[entrepreneurs] == AWARE]  # review at once
    chosen[np.searchsorted(aware, fresh)] = True
    reviewers = aware[chosen]
    if len(reviewers) == 0:
        return
    need = pricing.hurdle(reviewers)
    able = h.capable[reviewers]  # only capable households can sell alone
    join = np.zeros(len(reviewers), dtype=bool)
    if cooperatives is not None:
        lines = cooperatives.open_by_line(p)
        coop_id, coop_size = cooperatives.open_for(reviewers, lines)
        has_coop = (coop_id >= 0) & p.cooperatives
        direct, via_coop = _gains(pricing, reviewers, need, able, has_coop, coop_size + 1)
        join = has_coop & (via_coop > need) & (via_coop >= direct)
        join = cooperatives.admit(reviewers, join, month, p, streams, lines)
    else:
        direct, _ = _gains(pricing, reviewers, need, able, np.zeros(len(reviewers), bool), 0.0)
    alone = ~join & (direct > need)
    h.start_selling(reviewers[alone], month, -1)


def _gains(pricing: Pricing, reviewers: np.ndarray, need: np.ndarray, able: np.ndarray,
           has_coop: np.ndarray, members: np.ndarray | float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Gain rates (per yuan of goods) of ``reviewers`` selling directly (those ``able`` to)
    and as a cooperative's ``members``-th member (those who ``has_coop``); ``-inf`` for the
    others and for those whose gain cannot beat their hurdle ``need`` (not priced further).
    Reviewers are priced in blocks of :data:`model.accounts.ECONOMICS_BLOCK` (what a block
    needs stays in the CPU cache), each reviewer's sales and skill looked up once for both."""
    direct = np.full(len(reviewers), -np.inf)
    via_coop = np.full(len(reviewers), -np.inf)
    members = np.broadcast_to(members, len(reviewers))
    for start in range(0, len(reviewers), ECONOMICS_BLOCK):
        block = slice(start, start + ECONOMICS_BLOCK)
        alone, in_coop = np.flatnonzero(able[block]), np.flatnonzero(has_coop[block])
        if len(alone) == 0 and len(in_coop) == 0:
            continue
        idx = reviewers[block]
        sales, skill = pricing.annual_sales(idx), pricing.skill(idx)
        need_b = need[block].astype(float)  # once for both pricings
        if len(alone):
            direct[block][alone] = pricing.gain(idx[alone], np.zeros(len(alone)), need_b[alone],
                                                sales[alone], skill[alone])
        if len(in_coop):
            via_coop[block][in_coop] = pricing.coop_gain(
                idx[in_coop], members[block][in_coop], need_b[in_coop], sales[in_coop],
                skill[in_coop])
    return direct, via_coop
