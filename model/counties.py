"""County selections by name: what ``p.policy_counties`` may say and which counties it means.

A selection is a comma-separated list of county-level divisions, each given by its pinyin
name (``Leishan``), its Chinese name (``雷山县``), its 6-digit code (``522634``), or a whole
prefecture by its pinyin or short Chinese name (``Qiandongnan``, ``黔东南州``). Case, spaces and
apostrophes do not matter. The canonical form, which parameters, run ids and manifests keep,
is the counties' pinyin names in code order (the row order of
:func:`model.world.load_counties`), so two spellings of the same selection are one run.
"""

from __future__ import annotations

import difflib
import functools

import numpy as np

from model.parameters import ParameterError


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in " '-_")


@functools.lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """The counties' pinyin names (row order) and every accepted spelling -> county rows."""
    from model.world import load_counties

    counties = load_counties()
    lookup: dict[str, tuple[int, ...]] = {}
    for column in ("prefecture_pinyin", "prefecture_zh"):
        for name, rows in counties.groupby(column).groups.items():
            lookup[_key(str(name))] = tuple(int(r) for r in rows)
    for row in counties.itertuples():
        for name in (row.name_pinyin, row.name_zh, row.code):
            lookup[_key(str(name))] = (int(row.Index),)
    return tuple(counties["name_pinyin"]), lookup


def county_rows(selection: str) -> tuple[int, ...]:
    """The county rows (0..87, code order) a selection names; () for an empty selection.

    Raises ParameterError naming the first word that is no county or prefecture."""
    names, lookup = _names()
    rows: set[int] = set()
    for word in (w.strip() for w in selection.replace("，", ",").split(",")):
        if not word:
            continue
        found = lookup.get(_key(word))
        if found is None:
            close = difflib.get_close_matches(_key(word), list(lookup), n=1)
            hint = f" (did you mean '{_spelling(close[0])}'?)" if close else ""
            raise ParameterError(
                f"parameter 'policy_counties' = {selection!r}: '{word}' is no Guizhou county or "
                f"prefecture{hint}; allowed: pinyin or Chinese county names, 6-digit codes or "
                "prefectures (Guiyang, Liupanshui, Zunyi, Anshun, Bijie, Tongren, Qianxinan, "
                "Qiandongnan, Qiannan), comma-separated; the counties are listed in "
                "model/data/guizhou_counties.csv")
        rows.update(found)
    return tuple(sorted(rows))


def _spelling(key: str) -> str:
    """A readable spelling of a lookup key (a county's or prefecture's pinyin name)."""
    names, lookup = _names()
    rows = lookup[key]
    if len(rows) == 1 and _key(names[rows[0]]) == key:
        return names[rows[0]]
    return key.capitalize() if key.isascii() else key


def canonical_counties(selection: str) -> str:
    """The canonical form of a selection: pinyin names in code order, comma-separated."""
    names, _ = _names()
    return ",".join(names[r] for r in county_rows(selection))


def short_name(selection: str) -> str:
    """A selection in few words: whole prefectures by name, other counties by theirs
    (``Qiandongnan, Meitan``)."""
    from model.world import load_counties

    rows = set(county_rows(selection))
    counties = load_counties()
    words = []
    for prefecture, group in counties.groupby("prefecture_pinyin", sort=False):
        members = set(int(r) for r in group.index)
        if members <= rows:
            words.append(str(prefecture))
            rows -= members
    words += [str(counties.loc[r, "name_pinyin"]) for r in sorted(rows)]
    return ", ".join(words)


def county_mask(selection: str, n_counties: int) -> np.ndarray | None:
    """Per county, whether the selection names it; None for an empty selection (the whole
    province)."""
    rows = county_rows(selection)
    if not rows:
        return None
    mask = np.zeros(n_counties, dtype=bool)
    mask[list(rows)] = True
    return mask
