"""Farmer households: the vectorised agent set (state as numpy arrays, one entry per household
agent, and the households' own rules as methods over index arrays).

This is the engine's farmer, in the manner of a mesa-frames agent set: the set owns its data
and its rules, and nothing here loops over households in Python. The per-agent reference farmer
(:class:`agents.farmer_reference.FarmerHousehold`, one ``mesa.Agent`` per household) has rules of
the same names -- :meth:`Households.notice`, :meth:`Households.come_back`,
:meth:`Households.start_selling`, :meth:`Households.sell_month`, :meth:`Households.judge` --
so the two can be read side by side.

Households are ordered by county, then cell, so that a county's households are one contiguous
slice (``county_start[c]:county_stop[c]``).

Status codes: ``UNAWARE`` -> ``AWARE`` -> ``SELLING`` (directly, or through a cooperative when
``coop >= 0``) -> ``EXITED`` (may become ``AWARE`` again after ``reentry_months``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.demand import RETAIL
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.world import World

MONTHS_PER_YEAR = 12
#: a business gets half a year before it is judged on its losses (ODD §7.5)
MONTHS_BEFORE_JUDGED = 6
#: learned skill (training, migration) is capped here (ODD §7.7, §7.12)
MAX_LEARNED_SKILL = 0.6

UNAWARE, AWARE, SELLING, EXITED = 0, 1, 2, 3
STATUS_NAMES = ("unaware", "aware", "selling", "exited")
PRODUCTS = ("tea", "chili", "embroidery", "other")
TEA, CHILI, EMBROIDERY, OTHER = 0, 1, 2, 3

# Specialty counties (§1, §2.2.3): Meitan-area tea (湄潭, 凤冈, 正安) and Duyun Maojian (都匀);
# chili across Zunyi prefecture (遵义辣椒); Miao embroidery and silver across Qiandongnan.
TEA_COUNTIES = ("520328", "520327", "520324", "522701")
CHILI_PREFIX = "5203"
EMBROIDERY_PREFIX = "5226"


def product_shares(codes: pd.Series, p: Parameters) -> np.ndarray:
    """Per-county shares of the four product lines, shape (n_counties, 4)."""
    base = np.array([p.share_tea, p.share_chili, p.share_embroidery, 0.0])
    shares = np.tile(base, (len(codes), 1))
    for i, code in enumerate(codes):
        if code in TEA_COUNTIES:
            shares[i, TEA] = p.specialty_share
        elif code.startswith(CHILI_PREFIX):
            shares[i, CHILI] = p.specialty_share
        elif code.startswith(EMBROIDERY_PREFIX):
            shares[i, EMBROIDERY] = p.specialty_share
        lines = shares[i, :3]
        if lines.sum() > 1:
            lines /= lines.sum()
        shares[i, OTHER] = 1.0 - lines.sum()
    return shares


@dataclass
class Households:
    """All household state. Arrays have one entry per household agent.

    Units: sales in yuan per year at domestic wholesale value; skill, risk aversion and
    know-how in [0, 1]; months as model months (1 = January of ``start_year``).
    """

    cell: np.ndarray            # int32, grid cell
    county: np.ndarray          # int16, county row
    village: np.ndarray         # int32, administrative village id
    product: np.ndarray         # int8, index into PRODUCTS
    sales_potential: np.ndarray  # float32, yuan/year a household could export at start
    innate_skill: np.ndarray    # float32, [0, 1]
    learned_skill: np.ndarray   # float32, skill from training and migration, [0, 1]
    risk_aversion: np.ndarray   # float32, [0, 1]
    capable: np.ndarray         # bool, can sell online on its own (else only via a cooperative)
    awareness_threshold: np.ndarray  # float32, cumulative hazard at which it becomes aware
    status: np.ndarray          # int8
    coop: np.ndarray            # int32, cooperative id or -1
    returnee: np.ndarray        # bool
    entrepreneur: np.ndarray    # bool, returnee who started an e-commerce business
    entrepreneur_month: np.ndarray  # int16, month the business started, -1
    start_month: np.ndarray     # int16, month of the first CBEC sale (registration), -1
    months_selling: np.ndarray  # int16, months in business
    exit_month: np.ndarray      # int16, -1
    profit_trailing: np.ndarray  # float32, yuan/year, exponentially smoothed
    revenue_trailing: np.ndarray  # float32, yuan/year, exponentially smoothed
    sales_ytd: np.ndarray       # float32, CBEC revenue this calendar year, yuan
    subsidies_received: np.ndarray  # float64, yuan, cumulative
    last_unsold_month: np.ndarray  # int16, -1000 if never
    orders_last: np.ndarray     # float32, orders shipped last month (0 if it did not sell)
    reward_last: np.ndarray     # float32, turnover reward received last December, yuan
    firm_month: np.ndarray      # int16, December of its first reward on >= 5M yuan (a new firm,
                                # model.subsidies); 0 at the start, -1 never

    @property
    def n(self) -> int:
        return len(self.status)

    #: how many model-unit households one agent of this set counts as in the volumes, hubs,
    #: clusters and the fiscal ledger: 1 for households (each stands for 1/household_scale
    #: real ones); a set whose agents are real (firms, :mod:`agents.firms`) counts
    #: household_scale
    weight = 1.0
    #: the channel the set's agents sell through on their own (model.demand.CHANNELS):
    #: households sell retail parcels through platforms; firms B2B consignments
    channel = RETAIL

    @classmethod
    def create(cls, world: World, params: Parameters, rng: np.random.Generator,
               county_households: np.ndarray, village_of_cell: tuple[np.ndarray, np.ndarray]
               ) -> Households:
        """Place households in cells and draw their attributes.

        ``county_households``: agents per county. Each county's agents are spread uniformly
        over its cells (multinomial); each gets a village among its cell's villages.
        ``village_of_cell``: (first village id, number of villages) per cell. A household's
        sales potential is its own exportable output: lognormal with median
        ``p.sales_median_yuan`` and log-sd ``p.sales_sigma``.
        """
        return cls.draw(world, params, rng, county_households, village_of_cell,
                        params.sales_median_yuan, params.sales_sigma,
                        params.digital_capable_share)

    @classmethod
    def draw(cls, world: World, params: Parameters, rng: np.random.Generator,
             per_county: np.ndarray, village_of_cell: tuple[np.ndarray, np.ndarray],
             median_yuan: float, sigma: float, capable_share: float) -> Households:
        """Agents placed by county (``per_county``), with lognormal sales potential
        (``median_yuan``, ``sigma``) and a ``capable_share`` able to sell online on their
        own."""
        counts = np.zeros(world.n_cells, dtype=np.int64)
        for c, n_c in enumerate(per_county):
            start, stop = world.county_cell_start[c], world.county_cell_stop[c]
            n_cells = stop - start
            if n_c > 0:
                counts[start:stop] = rng.multinomial(int(n_c), np.full(n_cells, 1.0 / n_cells))
        cell = np.repeat(np.arange(world.n_cells, dtype=np.int32), counts)
        n = len(cell)
        county = world.cell_county[cell].astype(np.int16)
        first_village, n_villages = village_of_cell
        village = (first_village[cell]
                   + (rng.random(n) * n_villages[cell]).astype(np.int32)).astype(np.int32)
        shares = product_shares(world.counties["code"], params)
        cum = np.cumsum(shares, axis=1)
        u = rng.random(n)
        product = np.zeros(n, dtype=np.int8)  # the lines whose cumulative share u passes
        for line in range(len(PRODUCTS) - 1):
            product += u > cum[:, line][county]
        sales = rng.lognormal(np.log(median_yuan), sigma, n)
        innate = rng.beta(2.0, 3.0, n).astype(np.float32)
        risk = rng.random(n).astype(np.float32)
        capable = rng.random(n) < capable_share
        threshold = (rng.exponential(1.0, n) / (0.5 + innate)).astype(np.float32)
        neg = np.full(n, -1, dtype=np.int16)
        return cls(
            cell=cell, county=county, village=village, product=product,
            sales_potential=sales.astype(np.float32), innate_skill=innate,
            learned_skill=np.zeros(n, np.float32), risk_aversion=risk, capable=capable,
            awareness_threshold=threshold, status=np.zeros(n, np.int8),
            coop=np.full(n, -1, np.int32), returnee=np.zeros(n, bool),
            entrepreneur=np.zeros(n, bool), entrepreneur_month=neg.copy(),
            start_month=neg.copy(), months_selling=np.zeros(n, np.int16),
            exit_month=neg.copy(), profit_trailing=np.zeros(n, np.float32),
            revenue_trailing=np.zeros(n, np.float32), sales_ytd=np.zeros(n, np.float32),
            subsidies_received=np.zeros(n, np.float64),
            last_unsold_month=np.full(n, -1000, np.int16), orders_last=np.zeros(n, np.float32),
            reward_last=np.zeros(n, np.float32),
            firm_month=neg.copy(),
        )

    def skill(self, idx: np.ndarray, knowhow_cell: np.ndarray) -> np.ndarray:
        """Effective CBEC skill of households ``idx``: half innate, half local know-how, plus
        what training and migration taught them; in [0, 1]."""
        s = (0.5 * self.innate_skill[idx] + 0.5 * knowhow_cell[self.cell[idx]]
             + self.learned_skill[idx])
        return np.clip(s, 0.0, 1.0)

    def per_household(self, per_cell: np.ndarray) -> np.ndarray:
        """``per_cell[self.cell]``: each household's value of an array per cell. Households
        sorted by cell (as :meth:`draw` places them) get it by repeating each cell's value,
        about 3 times as fast at 1:1 as the look-up."""
        counts = self._cell_counts
        if counts is None or len(per_cell) < len(counts):
            return per_cell[self.cell]
        return np.repeat(per_cell[:len(counts)], counts)  # no household in the cells after

    @functools.cached_property
    def _cell_counts(self) -> np.ndarray | None:
        """Households per cell if they are sorted by cell, else None (households never move:
        ``cell`` is set once)."""
        if len(self.cell) == 0 or np.any(self.cell[1:] < self.cell[:-1]):
            return None
        return np.bincount(self.cell)

    # ------------------------------------------------------------------ rules
    def notice(self, cumulative_hazard: np.ndarray) -> None:
        """Awareness (ODD §7.6): an unaware household becomes aware once its cell's cumulative
        hazard (per cell, dimensionless) passes its own threshold."""
        newly = (self.status == UNAWARE) & (self.per_household(cumulative_hazard)
                                            >= self.awareness_threshold)
        self.status[newly] = AWARE

    def come_back(self, month: int, reentry_months: int) -> None:
        """Exited households weigh CBEC again ``reentry_months`` after they left (ODD §7.4)."""
        back = np.flatnonzero((self.status == EXITED)
                              & (self.exit_month + reentry_months <= month))
        self.status[back] = AWARE

    def start_selling(self, idx: np.ndarray, month: int, coop_id: int | np.ndarray) -> None:
        """Households ``idx`` start selling cross-border (through ``coop_id`` if >= 0); a first
        start is their registration month."""
        if len(idx) == 0:
            return
        self.status[idx] = SELLING
        self.coop[idx] = coop_id
        first = idx[self.start_month[idx] < 0]
        first = first[self.months_selling[first] == 0]
        self.start_month[first] = month
        self.profit_trailing[idx] = np.maximum(self.profit_trailing[idx], 0.0)

    def sell_month(self, idx: np.ndarray, accounts: dict[str, np.ndarray], month: int,
                   p: Parameters, streams: RandomStreams, unsold_write_down: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A month of realised sales for sellers ``idx`` whose expected yearly ``accounts``
        (:func:`model.economics.annual_economics`) are given: lognormal revenue noise, unsold
        goods, and the books (trailing profit and revenue, year-to-date sales, months in
        business). Unsold goods lose ``unsold_write_down`` of their value. Returns the revenue
        factor ``f``, the month's profit and revenue (yuan)."""
        a = accounts
        sigma = p.sales_noise_sigma
        f = np.exp(-0.5 * sigma ** 2 + sigma * streams.normal("sales_noise", month, idx))
        variable = (a["revenue"] + a["rcep_gain"] - a["production"] - a["logistics"]
                    + a["fiscal_small_order_freight"] + a["fiscal_parcel"] - a["loss"]
                    - a["acquisition"] - a["credit"] - a["coop_fee"] - a["labour"]
                    - a["payment_fee"])
        fixed = a["certification"] + a["fx"] + a["customs"] + a["fixed"]
        unsold_event = (streams.uniform("unsold", month, idx)
                        < a["unsold_prob"] / MONTHS_PER_YEAR)
        unsold_cost = np.where(unsold_event, p.unsold_fraction * a["revenue"] * f
                               * unsold_write_down, 0.0)
        self.last_unsold_month[idx[unsold_event]] = month
        profit = (variable * f - fixed) / MONTHS_PER_YEAR - unsold_cost
        revenue = a["revenue"] * f / MONTHS_PER_YEAR
        self.profit_trailing[idx] = self.profit_trailing[idx] * (11 / 12) + profit
        self.revenue_trailing[idx] = self.revenue_trailing[idx] * (11 / 12) + revenue
        self.sales_ytd[idx] += revenue
        self.months_selling[idx] += 1
        return f, profit, revenue

    def judge(self, idx: np.ndarray, month: int, gain_rate: np.ndarray, hurdle: np.ndarray,
              p: Parameters, streams: RandomStreams) -> None:
        """Sellers ``idx`` exit after sustained losses, or when clearly worse than the domestic
        route (``gain_rate`` below minus their ``hurdle``; a business gets half a year before it
        is judged), or close for reasons outside the model at ``closure_rate`` a year."""
        losing = self.profit_trailing[idx] < 0
        worse = ((streams.uniform("exit_worse", month, idx) < p.review_rate / 2)
                 & (gain_rate < -hurdle))
        leave = (losing & (streams.uniform("exit_losing", month, idx)
                           < p.exit_rate_when_losing)) | worse
        leave &= self.months_selling[idx] >= MONTHS_BEFORE_JUDGED
        if p.closure_rate > 0:
            leave |= streams.uniform("closure", month, idx) < p.closure_rate / MONTHS_PER_YEAR
        gone = idx[leave]
        self.status[gone] = EXITED
        self.exit_month[gone] = month
        self.coop[gone] = -1

    def leave_cooperative(self, idx: np.ndarray) -> None:
        """Households ``idx`` leave their cooperative; those who cannot sell online on their own
        stop selling (they stay aware)."""
        self.coop[idx] = -1
        stop = idx[~self.capable[idx]]
        self.status[stop] = AWARE

    def frame(self, idx: np.ndarray | None = None) -> pd.DataFrame:
        """A copy of the state of households ``idx`` (all if None) as a DataFrame."""
        idx = np.arange(self.n) if idx is None else np.asarray(idx)
        df = pd.DataFrame({name: getattr(self, name)[idx] for name in self.__dataclass_fields__})
        df.insert(0, "household", idx)
        df["status"] = pd.Categorical.from_codes(df["status"], STATUS_NAMES)
        df["product"] = pd.Categorical.from_codes(df["product"], PRODUCTS)
        return df


class HouseholdView:
    """A read-only view of one household, for notebook users: ``model.household(42)``."""

    def __init__(self, households: Households, index: int, skill: float) -> None:
        if not 0 <= index < households.n:
            raise IndexError(f"household {index} does not exist; allowed 0 to "
                             f"{households.n - 1}")
        object.__setattr__(self, "_h", households)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "skill", skill)

    def __getattr__(self, name: str):
        h = object.__getattribute__(self, "_h")
        if name in h.__dataclass_fields__:
            value = getattr(h, name)[object.__getattribute__(self, "index")]
            if name == "status":
                return STATUS_NAMES[int(value)]
            if name == "product":
                return PRODUCTS[int(value)]
            return value.item() if hasattr(value, "item") else value
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("HouseholdView is read-only; change the model through parameters")

    def as_dict(self) -> dict:
        h = object.__getattribute__(self, "_h")
        d = {name: getattr(self, name) for name in h.__dataclass_fields__}
        d["skill"] = self.skill
        return {"household": self.index, **d}

    def __repr__(self) -> str:
        d = self.as_dict()
        return (f"Household({d['household']}, {d['product']}, {d['status']}, county row "
                f"{d['county']}, cell {d['cell']}, skill {d['skill']:.2f})")
