"""A run's levels against published figures: the reality check every summary carries.

Levels are results (issue 13): a reader takes turnover, transactions and spending at face
value, so each run says how they compare with what is known from outside the model
(``docs/calibration.md`` lists the sources; they are copied from the project's brief, with their
attribution):

* rural CBEC turnover against Guizhou's goods exports (48.71 billion yuan in 2021; Xinhua via
  People's Daily Online, 21 January 2022) and Guangxi's whole CBEC (over 45 billion yuan in
  January-November 2025; People's Daily Online, 22 December 2025);
* tea CBEC against Guizhou's tea exports through every channel (USD 230 million, about 1.6
  billion yuan, in 2020; Xinhua via Borneo Bulletin);
* embroidery and silver against the paper's "tens of millions of yuan a year" (§3.2);
* export transactions against the paper's about 34,000 in 2023 (§4.2: over 23,000 through
  the platform, 68% of the total);
* each budget line's spending against its appropriation (§3.2, §4.1: the 200 million yuan
  special fund over 2022-2025).
"""

from __future__ import annotations

import math

import pandas as pd

from model.parameters import Parameters

GUIZHOU_GOODS_EXPORTS_2021 = 48.71e9  # yuan (Xinhua, 21 January 2022)
GUANGXI_CBEC_2025 = 45e9  # yuan, January-November 2025 (People's Daily Online)
GUIZHOU_TEA_EXPORTS_2020 = 1.6e9  # yuan: USD 230 million (Xinhua)
EMBROIDERY_RANGE = (1e7, 1e8)  # yuan a year: "tens of millions" (§3.2)
TRANSACTIONS_2023 = 34_000.0  # §4.2: 23,000 through the platform / 0.68


def _year(out: pd.DataFrame, column: str, year: int, start_year: int) -> float:
    first = 12 * (year - start_year) + 1
    months = out["month"].between(first, first + 11)
    if months.sum() < 12:
        return float("nan")
    return float(out.loc[months, column].sum())


def reality_check(out: pd.DataFrame, budgets: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """One row per check: ``check``, ``year``, ``model`` (the run's value), ``reference`` (the
    published figure), ``ratio`` (model / reference) and ``reading`` (a short verdict)."""
    year = min(p.start_year + 1, p.start_year + (int(out["month"].max()) // 12) - 1)
    rows = []

    def add(check: str, value: float, reference: float, reading: str) -> None:
        ratio = value / reference if reference else float("nan")
        rows.append({"check": check, "year": year, "model": value, "reference": reference,
                     "ratio": ratio, "reading": reading})

    if year >= p.start_year:
        turnover = _year(out, "turnover_month_yuan", year, p.start_year)
        add("rural CBEC turnover / Guizhou's goods exports (2021)", turnover,
            GUIZHOU_GOODS_EXPORTS_2021,
            "a small part, as it should be" if turnover < 0.2 * GUIZHOU_GOODS_EXPORTS_2021
            else "too large: rural CBEC is a small part of the province's trade")
        add("rural CBEC turnover / Guangxi's whole CBEC (2025)", turnover, GUANGXI_CBEC_2025,
            "below, as it should be" if turnover < GUANGXI_CBEC_2025 else "too large")
        tea = _year(out, "turnover_tea_month_yuan", year, p.start_year)
        add("tea CBEC / Guizhou's tea exports, all channels (2020)", tea,
            GUIZHOU_TEA_EXPORTS_2020,
            "below, as it should be" if tea < GUIZHOU_TEA_EXPORTS_2020 else "too large")
        embroidery = _year(out, "turnover_embroidery_month_yuan", year, p.start_year)
        low, high = EMBROIDERY_RANGE
        add("embroidery and silver CBEC / tens of millions of yuan (§3.2)", embroidery,
            math.sqrt(low * high),
            "tens of millions, as in the paper" if low <= embroidery < high
            else "outside the tens of millions")
        transactions = _year(out, "export_transactions_month_real", year, p.start_year)
        add("export transactions / about 34,000 (§4.2, 2023)", transactions,
            TRANSACTIONS_2023,
            "close" if 0.8 <= transactions / TRANSACTIONS_2023 <= 1.25 else "off")
    if len(budgets):
        spent = budgets.groupby(["year", "line"], as_index=False).agg(
            paid=("paid_yuan", "sum"), appropriation=("appropriation_yuan", "first"),
            claims=("claims_yuan", "sum"))
        for row in spent.itertuples():
            if math.isinf(row.appropriation) and row.paid == 0:
                continue
            reference = row.appropriation if math.isfinite(row.appropriation) else float("nan")
            within = not math.isfinite(row.appropriation) or row.paid <= row.appropriation * (
                1 + 1e-9)
            rationed = row.claims > row.paid * (1 + 1e-9)
            reading = ("unlimited" if not math.isfinite(row.appropriation)
                       else "within the budget" if within else "over the budget")
            if rationed:
                reading += f"; claims rationed to {row.paid / row.claims:.0%}"
            rows.append({"check": f"spending of the {row.line.replace('_', ' ')} line",
                         "year": row.year, "model": row.paid, "reference": reference,
                         "ratio": row.paid / reference if reference else float("nan"),
                         "reading": reading})
    return pd.DataFrame(rows, columns=["check", "year", "model", "reference", "ratio",
                                       "reading"])


def format_reality_check(check: pd.DataFrame) -> str:
    """The check as short lines of text, for a summary."""
    lines = []
    for row in check.itertuples():
        value = f"{row.model:,.0f}"
        ref = "-" if not math.isfinite(row.reference) else f"{row.reference:,.0f}"
        lines.append(f"{row.year}  {row.check}: {value} vs {ref} -> {row.reading}")
    return "\n".join(lines)
