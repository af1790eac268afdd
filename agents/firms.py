"""Firms: the registered CBEC business entities that are not cooperatives (ODD §2, §7.4).

A firm is a company or a registered individual business (个体工商户) in a rural county: a
tea or chili processor, a workshop, a trading house that buys from the households around it.
They are a population of their own, counted apart from the households (the people): the paper's
entity figures (the 12% that qualify for a subsidy, the 80% below 1M yuan, the 180 new firms,
the transactions through the provincial platform) are read on the entities (firms,
cooperatives and registered returnee businesses; FX trips and transactions on firms and
cooperatives), its
people figures (practitioners, returnees, trainees) on households.

Firms are few (a few thousand in the province), so every firm is an agent at every
``household_scale``: the set's :attr:`weight` is ``household_scale`` (one firm counts as that
many model-unit households in the hubs, the clusters and the fiscal ledger). The pool of
*potential* firms (rural businesses that could export; ``p.potential_firms``) is spread over
counties by rural households. A firm's sales potential (the goods it can source and sell a
year, domestic value) is lognormal with median ``p.firm_median_yuan`` and log-sd
``p.firm_sigma``; every firm can sell online. Firms share the households' business state and
rules (:class:`agents.farmers.Households`: notice, start selling, sell a month, judge) -- a
business is a business -- but never join cooperatives, return from migration or take training.
"""

from __future__ import annotations

import numpy as np

from agents.farmers import Households
from model.demand import B2B
from model.parameters import Parameters
from model.world import World


class Firms(Households):
    """The potential and active CBEC firms, one agent per real firm."""

    channel = B2B

    @classmethod
    def create(cls, world: World, params: Parameters, rng: np.random.Generator,
               per_county: np.ndarray, village_of_cell: tuple[np.ndarray, np.ndarray]
               ) -> Firms:
        """``per_county`` potential firms per county, placed and drawn like households but
        with the firms' size distribution; all can sell online."""
        firms = cls.draw(world, params, rng, per_county, village_of_cell,
                         params.firm_median_yuan, params.firm_sigma, 1.0)
        firms.weight = params.household_scale
        return firms
