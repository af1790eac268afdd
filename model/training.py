"""Training (ODD §7.7; §4.1, §5.1.2).

    Every county trains ``Poisson(rate_c × scale)`` people a month (one draw per county), drawn
    uniformly (with replacement) from its households. ``rate_c = p.trainees_per_county_month ×
    (0.5 + 0.5 × 1[station offers training])`` (a consult-only station only hosts provincial
    sessions). The vocational-school grant adds ``p.school_trainees_per_year / 12`` in every
    county. A trainee gains ``p.training_skill_gain`` (doubled when training is practical:
    school grant or purchased professional services on; §3.3.3), with learned skill capped at
    0.6, and becomes aware. The state pays ``p.training_subsidy_yuan`` per trainee (§4.1: 1,500
    yuan) and ``p.school_training_grant_yuan`` per county a year (one school per county).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.farmers import AWARE, MAX_LEARNED_SKILL, MONTHS_PER_YEAR, UNAWARE, Households
from agents.station import ServiceStation
from model.fiscal import FiscalLedger, pay_households
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.scaling import to_model

#: practical training (school grants, purchased services) teaches this many times as much
PRACTICAL_TRAINING_FACTOR = 2.0


def train(month: int, p: Parameters, streams: RandomStreams, h: Households,
          stations: list[ServiceStation], station_trains: np.ndarray,
          county_start: np.ndarray, county_stop: np.ndarray, ledger: FiscalLedger,
          county_params: Sequence[Parameters] | None = None) -> None:
    """A month of training in every county; ``station_trains`` is whether each county's
    station's training function works. Counts trainees on the stations, pays the subsidies.
    ``county_params``: each county's parameters when the levers differ by county (default:
    ``p`` everywhere)."""
    trains = station_trains.astype(float)
    rate = p.trainees_per_county_month * (0.5 + 0.5 * trains)
    practical = p.professional_services
    if county_params is None:
        if p.school_training_grant_yuan > 0:
            rate = rate + p.school_trainees_per_year / MONTHS_PER_YEAR
            practical = True
            ledger.add("school_training_grant",
                       p.school_training_grant_yuan * len(stations) / MONTHS_PER_YEAR)
    else:
        grant = np.array([q.school_training_grant_yuan for q in county_params])
        schools = grant > 0
        school_trainees = np.array([q.school_trainees_per_year for q in county_params])
        rate = rate + np.where(schools, school_trainees / MONTHS_PER_YEAR, 0.0)
        practical = schools | p.professional_services
        ledger.add("school_training_grant", float(grant.sum()) / MONTHS_PER_YEAR)
    sizes = county_stop - county_start
    n = streams.poisson("trainees", month, np.arange(len(sizes)),
                        to_model(rate, p.household_scale))
    n = np.where(sizes > 0, n, 0)
    total = int(n.sum())
    if total == 0:
        return
    picks, county = streams.picks("trainee_pick", month, n, sizes)
    idx = county_start[county] + picks
    if county_params is None:
        gain = p.training_skill_gain * (PRACTICAL_TRAINING_FACTOR if practical else 1.0)
        subsidy = np.full(total, p.training_subsidy_yuan)
    else:
        factor = np.where(practical, PRACTICAL_TRAINING_FACTOR, 1.0)[county]
        gain = (p.training_skill_gain * factor).astype(h.learned_skill.dtype)
        subsidy = np.array([q.training_subsidy_yuan for q in county_params])[county]
    h.learned_skill[idx] = np.minimum(h.learned_skill[idx] + gain, MAX_LEARNED_SKILL)
    h.status[idx] = np.where(h.status[idx] == UNAWARE, AWARE, h.status[idx])
    for s, k in zip(stations, n, strict=True):
        s.trained_total += int(k)
    pay_households(ledger, h, "training", idx, subsidy)
