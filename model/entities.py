"""Who is an entity, and the two populations side by side (ODD §2, §7.4, §7.14; §4.1).

    The model has two populations of sellers: the **households** (people: a sample, each agent
    standing for ``1 / household_scale`` rural households) and the **firms** (every potential
    CBEC firm an agent, :mod:`agents.firms`). A registered CBEC business *entity* is a selling firm,
    a returnee entrepreneur's business once it is large enough to register (an individual
    business, §2.3; ``p.registration_min_sales_yuan``) or a cooperative. Entities can claim the
    turnover reward; firms and cooperatives ship B2B consignments, settle FX and file export
    declarations themselves. A household selling on its own (a registered returnee business too)
    ships retail parcels through a platform, which settles and declares for it. The paper's
    entity figures are read on entities, its people figures on households
    (:mod:`model.outcomes`).
"""

from __future__ import annotations

import numpy as np

from agents.farmers import SELLING, Households
from model import awareness
from model import economics as econ
from model.cooperatives import CooperativeRegistry
from model.parameters import Parameters
from model.world import World


def sellers_per_county(households: Households, firms: Households, n_counties: int
                       ) -> np.ndarray:
    """Sellers per county now, households and firms (model units: a firm counts
    ``household_scale``)."""
    return (np.bincount(households.county[households.status == SELLING], minlength=n_counties)
            + firms.weight * np.bincount(firms.county[firms.status == SELLING],
                                         minlength=n_counties))


def registered_alone(households: Households, p: Parameters,
                     entrepreneurs: np.ndarray | None = None) -> np.ndarray:
    """Households selling on their own through a registered business (returnee
    entrepreneurs large enough to register, :func:`model.economics.registered_business`).
    ``entrepreneurs``: ``np.flatnonzero(households.entrepreneur)``, when the caller has it."""
    h = households
    ent = np.flatnonzero(h.entrepreneur) if entrepreneurs is None else entrepreneurs
    alone = ent[(h.status[ent] == SELLING) & (h.coop[ent] < 0)]
    return alone[econ.registered_business(h, alone, p)]


def entities_per_county(households: Households, firms: Households,
                        cooperatives: CooperativeRegistry, n_counties: int, p: Parameters
                        ) -> np.ndarray:
    """Registered entities selling now per county (model units): firms (each counts
    ``household_scale``), registered returnee businesses selling on their own, and
    cooperatives (each real one counts ``household_scale``). They apply for rewards, and
    firms and cooperatives settle FX and file declarations: what stations serve."""
    h = households
    alone = registered_alone(h, p)
    coops = cooperatives.real_per_county(n_counties) * p.household_scale
    return (np.bincount(h.county[alone], minlength=n_counties) + coops
            + firms.weight * np.bincount(firms.county[firms.status == SELLING],
                                         minlength=n_counties))


def successful_peers(world: World, households: Households, window_households: np.ndarray
                     ) -> np.ndarray:
    """Per cell: households in its 3×3 block that sell at a profit, over households there
    (whom aware households and firms copy, ODD §7.4)."""
    h = households
    sellers = np.flatnonzero(h.status == SELLING)
    winners = sellers[h.profit_trailing[sellers] > 0]
    return awareness.peer_share(world, h.cell[winners], window_households)
