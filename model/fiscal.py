"""Fiscal ledger: the public cost of every policy instrument, month by month, within budgets.

Amounts are booked in *province-equivalent* yuan: a payment to household agents is divided by
``household_scale`` (each agent stands for 1/scale real households), while infrastructure that
is not scaled (pickup points, stations, warehouses, hubs) and firms (real agents) are booked at
their real cost. Every instrument draws on a budget line (:mod:`model.budgets`): payments to
households and firms are *claims*, rationed by the line's monthly allowance; running costs of
infrastructure are *contracts*, paid in full. The ledger keeps claims and payments, so it can
report per instrument and year the appropriation, claims, paid, the rationing ratio and the
unspent part of the line (:meth:`FiscalLedger.budget_frame`).

The instruments are those of the lever table (:data:`model.policy.INSTRUMENTS`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.budgets import BUDGET_LINES, MONTHS, LineYear, line_of
from model.scaling import to_real

if TYPE_CHECKING:
    from agents.farmers import Households

#: claims and payments of an instrument over this many months set the share its claimants
#: expect to be paid
EXPECTATION_MONTHS = 12


class FiscalLedger:
    """Books claims and payments by instrument within yearly budget lines; ``frame()`` gives
    the payments, one row per month and instrument; ``budget_frame()`` the budgets by year.

    ``instruments``: the names it accepts (a typo in an instrument is an error, not a new
    line of spending). ``appropriations``: yuan a year per budget line (``math.inf`` =
    unlimited; lines not given are unlimited). ``start_year``: the calendar year of month 1."""

    def __init__(self, household_scale: float, instruments: tuple[str, ...],
                 appropriations: Mapping[str, float] | None = None,
                 start_year: int = 2022) -> None:
        self.scale = household_scale
        self.instruments = frozenset(instruments)
        self.line = {name: line_of(name) for name in instruments}
        lines = dict.fromkeys([*BUDGET_LINES, *self.line.values()])
        self.appropriation = {line: float((appropriations or {}).get(line, math.inf))
                              for line in lines}
        self.start_year = start_year
        self.month = 0
        self._rows: dict[tuple[int, str], float] = defaultdict(float)  # paid
        self._claims: dict[tuple[int, str], float] = defaultdict(float)
        # the same by instrument and month, for the claimants' expectation
        self._paid_by: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self._claims_by: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.paid_to_households = 0.0  # model units, for the invariant check
        self._year = self.year_of(0)
        self._lines = {line: LineYear(a) for line, a in self.appropriation.items()}
        self._allowance = {line: y.allowance(1) for line, y in self._lines.items()}

    def year_of(self, month: int) -> int:
        return self.start_year + (max(month, 1) - 1) // MONTHS

    def start_month(self, month: int) -> None:
        """A new month: a new year refreshes every line; each line's allowance is set."""
        self.month = month
        year = self.year_of(month)
        if year != self._year:
            self._year = year
            self._lines = {line: LineYear(a) for line, a in self.appropriation.items()}
        month_of_year = (max(month, 1) - 1) % MONTHS + 1
        self._allowance = {line: y.allowance(month_of_year) for line, y in self._lines.items()}

    def _check(self, instrument: str) -> str:
        if instrument not in self.instruments:
            raise KeyError(f"unknown fiscal instrument {instrument!r}")
        return self.line[instrument]

    def _pay(self, instrument: str, line: str, yuan: float) -> None:
        self._rows[(self.month, instrument)] += yuan
        self._paid_by[instrument][self.month] += yuan
        self._lines[line].paid += yuan
        self._allowance[line] -= yuan

    def add(self, instrument: str, yuan: float) -> None:
        """Book a contract (real, unscaled yuan): paid in full, counted against its line."""
        line = self._check(instrument)
        if yuan:
            self._claims[(self.month, instrument)] += float(yuan)
            self._claims_by[instrument][self.month] += float(yuan)
            self._pay(instrument, line, float(yuan))

    def claim(self, instrument: str, yuan: float) -> float:
        """A claim of ``yuan`` (real) on ``instrument``: paid up to the line's allowance this
        month (pro rata beyond it). Returns the share paid."""
        line = self._check(instrument)
        if yuan <= 0:
            return 1.0
        ratio = min(1.0, max(self._allowance[line], 0.0) / float(yuan))
        self._claims[(self.month, instrument)] += float(yuan)
        self._claims_by[instrument][self.month] += float(yuan)
        if ratio > 0:
            self._pay(instrument, line, float(yuan) * ratio)
        return ratio

    def claim_households(self, instrument: str, yuan_model_units: float) -> float:
        """A claim by household agents (model units, rescaled to the province). Returns the
        share paid."""
        ratio = self.claim(instrument, to_real(yuan_model_units, self.scale))
        self.paid_to_households += float(yuan_model_units) * ratio
        return ratio

    def expected_ratio(self, instrument: str) -> float:
        """The share of claims ``instrument`` paid over the last 12 months (1 without claims):
        what its claimants expect."""
        months = range(self.month - EXPECTATION_MONTHS + 1, self.month + 1)
        by_month = self._claims_by.get(instrument)
        if not by_month:
            return 1.0
        claims = sum(by_month.get(m, 0.0) for m in months)
        if claims <= 0:
            return 1.0
        paid_by = self._paid_by[instrument]
        return sum(paid_by.get(m, 0.0) for m in months) / claims

    def expected_ratios(self) -> dict[str, float]:
        return {name: self.expected_ratio(name) for name in self.instruments}

    def month_total(self, month: int | None = None) -> float:
        m = self.month if month is None else month
        return sum(v for (mm, _), v in self._rows.items() if mm == m)

    def total(self) -> float:
        return float(sum(self._rows.values()))

    def frame(self) -> pd.DataFrame:
        rows = [{"month": m, "instrument": k, "cost_yuan": v} for (m, k), v in self._rows.items()]
        if not rows:
            return pd.DataFrame({"month": pd.Series(dtype=int), "instrument": pd.Series(dtype=str),
                                 "cost_yuan": pd.Series(dtype=float)})
        return pd.DataFrame(rows).sort_values(["month", "instrument"], ignore_index=True)

    def budget_frame(self) -> pd.DataFrame:
        """Per calendar year and instrument: ``year``, ``line``, ``instrument``,
        ``appropriation_yuan`` (the line's, inf = unlimited), ``claims_yuan``, ``paid_yuan``,
        ``rationing_ratio`` (paid / claims), ``line_paid_yuan`` and ``line_unspent_yuan`` (the
        line's appropriation less all it paid that year; inf when unlimited). Years without
        any claim on a line are listed with zeros."""
        years = range(self.year_of(1), self.year_of(self.month) + 1)
        claims: dict[tuple[int, str], float] = defaultdict(float)
        paid: dict[tuple[int, str], float] = defaultdict(float)
        for (m, k), v in self._claims.items():
            claims[(self.year_of(m), k)] += v
        for (m, k), v in self._rows.items():
            paid[(self.year_of(m), k)] += v
        rows = []
        by_line = {line: names for line, (_, names, _) in BUDGET_LINES.items()}
        for name, line in self.line.items():
            if line not in by_line:  # an extension's instrument, a line of its own
                by_line[line] = (name,)
        for year in years:
            for line, names in by_line.items():
                line_paid = sum(paid[(year, k)] for k in names)
                appropriation = self.appropriation[line]
                for k in names:
                    if k not in self.instruments:
                        continue
                    c = claims[(year, k)]
                    rows.append({
                        "year": year, "line": line, "instrument": k,
                        "appropriation_yuan": appropriation, "claims_yuan": c,
                        "paid_yuan": paid[(year, k)],
                        "rationing_ratio": paid[(year, k)] / c if c > 0 else 1.0,
                        "line_paid_yuan": line_paid,
                        "line_unspent_yuan": appropriation - line_paid})
        return pd.DataFrame(rows)


def pay_sets(ledger: FiscalLedger, instrument: str,
             payments: Sequence[tuple[Households, np.ndarray, np.ndarray]]) -> float:
    """One claim on ``instrument`` by agents of one or more sets (households, firms):
    ``(agents, idx, amount)`` each, amounts in yuan per agent. The claim is rationed as one
    (every claimant gets the same share), each agent receives its amount times that share.
    Returns the share paid."""
    total = sum(float(np.sum(amount)) * agents.weight for agents, _, amount in payments)
    if total <= 0:
        return 1.0
    ratio = ledger.claim_households(instrument, total)
    for agents, idx, amount in payments:
        if len(idx):
            np.add.at(agents.subsidies_received, idx, np.asarray(amount, dtype=float) * ratio)
    return ratio


def pay_households(ledger: FiscalLedger, households: Households, instrument: str,
                   idx: np.ndarray, amount: np.ndarray) -> float:
    """Pay (or provide in kind) ``amount`` yuan to agents ``idx`` of a set (households or
    firms), rationed by the instrument's budget line. Returns the share paid."""
    amount = np.asarray(amount, dtype=float)
    if len(idx) == 0 or not amount.any():
        return 1.0
    return pay_sets(ledger, instrument, [(households, idx, amount)])
