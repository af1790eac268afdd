"""Standard figures of a sweep analysis (PNG, drawn on matplotlib Figure objects with the Agg
canvas, so no global backend is touched).

* ``curves_<outcome>.png``: monthly mean with its 95% CI band, per design point (few points) or
  over all runs (with a lighter band for the spread of runs, mean +- 1.96 sd);
* ``vs_<outcome>.png``: the outcome's summary over each varied parameter — a line with a CI band
  when one parameter varies on a grid or list, otherwise each point's mean with its CI;
* ``heatmap_<outcome>.png``: grids over two or more parameters, the mean over the first two
  (averaged over the others);
* ``indices_<outcome>.png``: Sobol S1 and ST with confidence bars, or Morris mu* (with its
  confidence bar) and mu* against sigma.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from experiments.analysis import SweepAnalysis

DPI = 120


def make_figures(result: SweepAnalysis, folder: Path) -> list[Path]:
    """Draw every standard figure of `result` into `folder`; returns the files written."""
    from experiments.analysis import slug

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for outcome in result.outcomes:
        name = slug(outcome)
        files.append(plot_curves(result, outcome, folder / f"curves_{name}.png"))
        files.append(plot_vs_parameters(result, outcome, folder / f"vs_{name}.png"))
        if result.kind == "grid" and len(result.names) >= 2:
            files.append(plot_heatmap(result, outcome, folder / f"heatmap_{name}.png"))
        if result.kind in ("sobol", "morris") and outcome in set(result.indices["outcome"]):
            files.append(plot_indices(result, outcome, folder / f"indices_{name}.png"))
    return files


def plot_curves(result: SweepAnalysis, outcome: str, path: Path) -> Path:
    """Monthly curves with 95% CI bands."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    curves = result.curves[result.curves["outcome"] == outcome]
    for point, group in curves.groupby("point", sort=True):
        group = group.sort_values("month")
        if point < 0:
            label = f"all runs (mean, {len(result.run_values)} runs)"
            spread = 1.96 * group["sd"]
            ax.fill_between(group["month"], group["mean"] - spread, group["mean"] + spread,
                            alpha=0.12, color="C0", linewidth=0, label="spread of runs (±1.96 sd)")
            color = "C0"
        else:
            label = _point_label(result, int(point))
            color = f"C{int(point) % 10}"
        ax.plot(group["month"], group["mean"], color=color, label=label)
        ax.fill_between(group["month"], group["ci_low"], group["ci_high"], alpha=0.25,
                        color=color, linewidth=0)
    ax.set_xlabel("month")
    ax.set_ylabel(outcome)
    pooled = bool((curves["point"] < 0).any())
    across = "over all runs" if pooled else "across replications"
    ax.set_title(f"{outcome}: mean and 95% CI {across}", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def plot_vs_parameters(result: SweepAnalysis, outcome: str, path: Path) -> Path:
    """The outcome's per-point summary over each varied parameter."""
    rows = result.summary[result.summary["outcome"] == outcome].dropna(subset=["mean"])
    names = result.names
    fig = Figure(figsize=(4.2 * len(names), 3.8))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    line = result.kind in ("grid", "list") and len(names) == 1
    for ax, name in zip(axes, names, strict=True):
        data = rows.sort_values(name)
        x, labels = _axis(data[name])
        if line:
            ax.plot(x, data["mean"], marker="o", color="C0")
            ax.fill_between(x, data["ci_low"], data["ci_high"], alpha=0.25, color="C0",
                            linewidth=0, label="95% CI")
            ax.legend(fontsize=7)
        else:
            others = [n for n in names if n != name]
            colour = _axis(data[others[0]])[0] if others else None
            err = np.vstack([data["mean"] - data["ci_low"], data["ci_high"] - data["mean"]])
            ax.errorbar(x, data["mean"], yerr=np.nan_to_num(err), fmt="none", ecolor="0.7",
                        elinewidth=0.8, zorder=1)
            dots = ax.scatter(x, data["mean"], c=colour, s=14, cmap="viridis", zorder=2)
            if others:
                fig.colorbar(dots, ax=ax, label=others[0], pad=0.01)
        if labels is not None:
            ax.set_xticks(range(len(labels)), [label or "(all)" for label in labels],
                          fontsize=7)
        ax.set_xlabel(name)
        ax.set_ylabel(f"{outcome} (mean, 95% CI)")
    fig.suptitle(f"{outcome} over the varied parameters", fontsize=10)
    return _save(fig, path)


def plot_heatmap(result: SweepAnalysis, outcome: str, path: Path) -> Path:
    """Mean of the outcome over the first two grid parameters (averaged over the others)."""
    a, b = result.names[:2]
    rows = result.summary[result.summary["outcome"] == outcome]
    table = rows.pivot_table(index=b, columns=a, values="mean", aggfunc="mean").sort_index()
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto",
                      cmap="viridis")
    ax.set_xticks(range(len(table.columns)), [_fmt(v) for v in table.columns], rotation=45,
                  fontsize=8)
    ax.set_yticks(range(len(table.index)), [_fmt(v) for v in table.index], fontsize=8)
    if table.size <= 100:
        for (i, j), value in np.ndenumerate(table.to_numpy(dtype=float)):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color="w")
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    fig.colorbar(image, ax=ax, label=f"{outcome} (mean)")
    averaged = f" (averaged over {', '.join(result.names[2:])})" if len(result.names) > 2 else ""
    ax.set_title(f"{outcome}{averaged}", fontsize=10)
    return _save(fig, path)


def plot_indices(result: SweepAnalysis, outcome: str, path: Path) -> Path:
    """Sobol S1/ST bars, or Morris mu* bars and mu* against sigma."""
    rows = result.indices[result.indices["outcome"] == outcome]
    names = list(result.names)
    y = np.arange(len(names))
    if result.kind == "sobol":
        fig = Figure(figsize=(6.4, 1.2 + 0.5 * len(names)))
        ax = fig.add_subplot()
        for k, (index, colour) in enumerate((("S1", "C0"), ("ST", "C1"))):
            part = rows[rows["index"] == index].set_index("parameter").reindex(names)
            ax.barh(y + (k - 0.5) * 0.38, part["value"], height=0.38, xerr=part["conf"],
                    color=colour, label=index, capsize=2)
        ax.set_yticks(y, names, fontsize=8)
        ax.axvline(0, color="0.5", linewidth=0.6)
        ax.set_xlabel("Sobol index (95% bootstrap CI)")
        ax.legend(fontsize=8)
        ax.set_title(f"{outcome}: first-order (S1) and total (ST) indices", fontsize=10)
        return _save(fig, path)
    fig = Figure(figsize=(10, 1.6 + 0.45 * len(names)))
    left, right = fig.subplots(1, 2)
    star = rows[rows["index"] == "mu_star"].set_index("parameter").reindex(names)
    sigma = rows[rows["index"] == "sigma"].set_index("parameter").reindex(names)
    left.barh(y, star["value"], xerr=star["conf"], color="C0", capsize=2)
    left.set_yticks(y, names, fontsize=8)
    left.set_xlabel("mu* (95% bootstrap CI)")
    right.scatter(star["value"], sigma["value"], color="C0")
    for name in names:
        right.annotate(name, (star.loc[name, "value"], sigma.loc[name, "value"]), fontsize=7)
    right.set_xlabel("mu*")
    right.set_ylabel("sigma")
    fig.suptitle(f"{outcome}: Morris screening (effects per unit of each parameter's range)",
                 fontsize=10)
    return _save(fig, path)


def _axis(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Positions of a parameter's values on an axis: the numbers themselves, or for text
    values (county selections) their rank among the distinct values, with those as labels."""
    try:
        return values.astype(float).to_numpy(), None
    except (TypeError, ValueError):
        labels = sorted({str(v) for v in values})
        return np.array([labels.index(str(v)) for v in values], dtype=float), labels


def _point_label(result: SweepAnalysis, point: int) -> str:
    row = result.design.loc[result.design["point"] == point]
    if row.empty:
        return f"point {point}"
    values = ", ".join(f"{n}={_fmt(row.iloc[0][n])}" for n in result.names)
    return f"point {point}: {values}"


def _fmt(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return f"{float(value):.4g}"
    return str(value)


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path
