"""The per-agent reference farmer: one ``mesa.Agent`` per household, its state in plain Python
attributes and its rules as methods with scalar arithmetic.

Read it next to the vectorised agent set :class:`agents.farmers.Households`: the rules carry
the same names (``notice``, ``come_back``, ``start_selling``, ``sell_month``, ``judge``; the
review is ``review`` here and :func:`model.adoption.review` there). It is driven by
:class:`model.reference.ReferenceCBECModel`, which swaps it in for the engine's household
sub-steps; the margin itself is the shared :func:`model.economics.annual_economics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from agents.farmers import (
    AWARE,
    EXITED,
    MONTHS_BEFORE_JUDGED,
    MONTHS_PER_YEAR,
    SELLING,
    UNAWARE,
    Households,
)
from model import economics as econ
from model.demand import B2B, RETAIL
from model.economics import MAX_GROWTH_YEARS
from model.parameters import Parameters
from model.sales import PROPORTIONAL_TERMS

if TYPE_CHECKING:
    from model.reference import ReferenceCBECModel

#: every household attribute: each agent holds all of them; any may be changed by the parent's
#: code (returnee entrepreneurs, for instance, get a larger ``sales_potential``)
FIELDS = tuple(Households.__dataclass_fields__)


def reward_rate(turnover: float, p: Parameters) -> float:
    """Turnover reward rate of an entity with ``turnover`` yuan a year (§4.1, §5.1.1)."""
    if not p.subsidies or turnover < p.subsidy_min_turnover_yuan:
        return 0.0
    if turnover >= p.reward_large_threshold_yuan:
        return p.reward_rate_large
    if turnover >= 2e6:
        return p.reward_rate_standard
    return p.reward_rate_small


class FarmerHousehold(mesa.Agent):
    """One farmer household, its state held in plain attributes.

    ``index`` is its row in the model's household arrays. Where it is and what it sells:
    ``cell``, ``county``, ``village``, ``product``. Its traits: ``sales_potential``
    (yuan/year), ``innate_skill``, ``learned_skill``, ``risk_aversion``, ``capable`` (can sell
    online on its own, else only through a cooperative), ``awareness_threshold``. Its state:
    ``status`` (UNAWARE, AWARE, SELLING, EXITED), ``coop`` (cooperative id or -1),
    ``returnee``, ``entrepreneur``, ``entrepreneur_month``, ``start_month``,
    ``months_selling``, ``exit_month``, ``profit_trailing`` and ``revenue_trailing``
    (yuan/year, smoothed), ``sales_ytd``, ``subsidies_received``, ``last_unsold_month``,
    ``firm_month``. (Units as in :class:`agents.farmers.Households`.)
    """

    model: ReferenceCBECModel

    def __init__(self, model: ReferenceCBECModel, index: int, state: Mapping[str, Any]) -> None:
        super().__init__(model)
        self.index = index
        self.cell: int = state["cell"]
        self.county: int = state["county"]
        self.village: int = state["village"]
        self.product: int = state["product"]
        self.sales_potential: float = state["sales_potential"]
        self.innate_skill: float = state["innate_skill"]
        self.learned_skill: float = state["learned_skill"]
        self.risk_aversion: float = state["risk_aversion"]
        self.capable: bool = state["capable"]
        self.awareness_threshold: float = state["awareness_threshold"]
        self.status: int = state["status"]
        self.coop: int = state["coop"]
        self.returnee: bool = state["returnee"]
        self.entrepreneur: bool = state["entrepreneur"]
        self.entrepreneur_month: int = state["entrepreneur_month"]
        self.start_month: int = state["start_month"]
        self.months_selling: int = state["months_selling"]
        self.exit_month: int = state["exit_month"]
        self.profit_trailing: float = state["profit_trailing"]
        self.revenue_trailing: float = state["revenue_trailing"]
        self.sales_ytd: float = state["sales_ytd"]
        self.subsidies_received: float = state["subsidies_received"]
        self.last_unsold_month: int = state["last_unsold_month"]
        self.firm_month: int = state["firm_month"]
        for name in FIELDS:  # any attribute added to Households since
            if not hasattr(self, name):
                setattr(self, name, state[name])

    # ------------------------------------------------------------ own quantities
    def skill(self) -> float:
        """Effective skill: half innate, half local know-how, plus what it learned; in [0, 1]."""
        knowhow = self.model.cell_knowhow[self.cell]
        s = 0.5 * self.innate_skill + 0.5 * knowhow + self.learned_skill
        return min(max(s, 0.0), 1.0)

    def hurdle(self) -> float:
        """Gain per yuan of goods this household needs before it sells cross-border."""
        p = self.model.params
        return p.hurdle_base + p.hurdle_risk * self.risk_aversion

    def annual_sales(self) -> float:
        """Goods it ships a year (yuan), grown with years in business, capped."""
        p = self.model.params
        years = min(max(self.months_selling / 12.0, 0.0), MAX_GROWTH_YEARS)
        growth = (1.0 + p.sales_growth_per_year_in_business) ** years
        return self.sales_potential * min(growth, p.capacity_multiple)

    def accounts(self, coop_members: float, reward_turnover: float | None = None,
                 full: bool = True, with_reward: bool = True) -> dict[str, np.ndarray]:
        """Expected yearly accounts selling with ``coop_members`` (0 = directly).

        ``reward_turnover``: the entity turnover its expected reward is judged on (default: its
        own revenue); ``with_reward=False``: none (a month's realised accounts). The cost
        terms are :func:`model.economics.annual_economics` on a length-1 index (which reads
        this household's place, line and entrepreneur flag from the arrays, kept in sync);
        sales, skill, years and the expected reward are computed here from the agent's own
        attributes.
        """
        model = self.model
        p = model.params
        sales = self.annual_sales()
        years = self.months_selling / 12.0
        if reward_turnover is None:
            reward_turnover = sales * model.export_price[RETAIL][self.product]
        if years >= p.subsidy_min_years:
            years_factor = 1.0
        else:
            years_factor = min(max(1.0 - p.subsidy_min_years / 3.0, 0.0), 1.0)
        # a household claims a reward only through its cooperative (an entity), and expects
        # the share of claims the special fund has been paying
        # a returnee's business registers once it is large enough (economics.registered_business)
        registered = bool(self.entrepreneur) and sales >= p.registration_min_sales_yuan
        reward = (reward_rate(reward_turnover, p) * model.takeup[self.county] * years_factor
                  * model.context.subsidy_ratio["turnover_reward"]
                  if with_reward and (coop_members > 0 or registered) else 0.0)
        return econ.annual_economics(
            model.households, np.array([self.index]), model.context, p,
            np.array([self.skill()]), np.array([float(coop_members)]), np.array([sales]),
            np.array([reward]), np.array([years]), full=full,
            registered=np.array([registered]))

    def gain(self) -> float:
        """Gain per yuan of goods of selling directly rather than domestically."""
        return float(self.accounts(0, full=False)["gain_rate"][0])

    def coop_gain(self, members: float) -> float:
        """Gain per yuan of goods through a cooperative of ``members`` (pooled turnover)."""
        sales = self.annual_sales()
        pooled = members * sales * self.model.export_price[B2B][self.product]
        return float(self.accounts(members, reward_turnover=pooled, full=False)["gain_rate"][0])

    # ------------------------------------------------------------------ rules
    def notice(self, cumulative_hazard: float) -> None:
        """Awareness: it learns of CBEC once its cell's cumulative hazard passes its threshold."""
        if self.status == UNAWARE and cumulative_hazard >= self.awareness_threshold:
            self.status = AWARE

    def come_back(self, month: int) -> None:
        """An exited household weighs CBEC again ``reentry_months`` after it left."""
        if (self.status == EXITED
                and self.exit_month + self.model.params.reentry_months <= month):
            self.status = AWARE

    def review(self, open_coops: Mapping[tuple[int, int], tuple[int, float]]) -> int | None:
        """Weigh selling directly (only if it can sell online on its own) and through the open
        cooperative of its county and line.

        Returns the cooperative id to join, -1 to sell directly, None to stay out.
        """
        p = self.model.params
        need = self.hurdle()
        direct = self.gain() if self.capable else -math.inf
        coop_id, size = open_coops.get((self.county, self.product), (-1, 0))
        if coop_id >= 0 and p.cooperatives:
            via_coop = self.coop_gain(size + 1)
            if via_coop > need and via_coop >= direct:
                return coop_id
        if direct > need:
            return -1
        return None

    def start_selling(self, month: int, coop_id: int) -> None:
        """Start selling cross-border (through ``coop_id`` if >= 0)."""
        self.status = SELLING
        self.coop = coop_id
        if self.start_month < 0 and self.months_selling == 0:
            self.start_month = month
        self.profit_trailing = max(self.profit_trailing, 0.0)

    def sell_month(self, month: int, coop_members: float) -> dict[str, Any]:
        """A month of realised sales. Updates its own books; returns the month's record
        (the accounts, the revenue factor ``f``, profit, revenue and subsidies of the month)."""
        model = self.model
        p = model.params
        rnd = model.random
        arrays = self.accounts(coop_members, with_reward=False)
        a = {k: float(v[0]) for k, v in arrays.items()}
        sigma = p.sales_noise_sigma
        f = rnd.lognormvariate(-0.5 * sigma * sigma, sigma)
        variable = (a["revenue"] + a["rcep_gain"] - a["production"] - a["logistics"]
                    + a["fiscal_small_order_freight"] + a["fiscal_parcel"] - a["loss"]
                    - a["acquisition"] - a["credit"] - a["coop_fee"] - a["labour"]
                    - a["payment_fee"])
        fixed = a["certification"] + a["fx"] + a["customs"] + a["fixed"]
        unsold_cost = 0.0
        if rnd.random() < a["unsold_prob"] / MONTHS_PER_YEAR:
            unsold_cost = p.unsold_fraction * a["revenue"] * f * econ.UNSOLD_WRITE_DOWN
            self.last_unsold_month = month
        profit = (variable * f - fixed) / 12.0 - unsold_cost
        revenue = a["revenue"] * f / 12.0
        self.profit_trailing = self.profit_trailing * (11 / 12) + profit
        self.revenue_trailing = self.revenue_trailing * (11 / 12) + revenue
        self.sales_ytd += revenue
        self.months_selling += 1
        payments = {}
        for term in econ.FISCAL_TERMS:
            scale = f if term in PROPORTIONAL_TERMS else 1.0
            payments[term] = a[f"fiscal_{term}"] * scale / 12.0
        if p.professional_services:
            payments["professional_services"] = p.professional_services_yuan / 12.0
        self.subsidies_received += sum(payments.values())
        return {"arrays": arrays, "a": a, "f": f, "profit": profit, "revenue": revenue,
                "payments": payments}

    def judge(self, month: int, gain_rate: float) -> None:
        """Exit after sustained losses, or when clearly worse than the domestic route (a
        business gets half a year before it is judged), or close at any age at
        ``closure_rate`` a year."""
        p = self.model.params
        rnd = self.model.random
        closes = p.closure_rate > 0 and rnd.random() < p.closure_rate / MONTHS_PER_YEAR
        judged = self.months_selling >= MONTHS_BEFORE_JUDGED
        worse = judged and rnd.random() < p.review_rate / 2 and gain_rate < -self.hurdle()
        losing = (judged and self.profit_trailing < 0
                  and rnd.random() < p.exit_rate_when_losing)
        if closes or worse or losing:
            self.status = EXITED
            self.exit_month = month
            self.coop = -1
