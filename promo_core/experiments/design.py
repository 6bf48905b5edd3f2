"""Test design: sample size per arm and minimum detectable effect (MDE).

Two-sample normal-approximation formulas, the textbook ones statsmodels implements:

- means: effect size d = δ / σ;
- proportions: Cohen's h = 2·asin√p₁ − 2·asin√p₀ (variance-stabilised, so the
  required n does not depend on which arm is larger);

``n_control = ((z_{1−α/s} + z_{power}) / effect)² · (1 + 1/ratio)``, with
``ratio = n_treatment / n_control`` and s = 2 for a two-sided test. For k > 2 arms each
treatment arm is compared with the control, and α is Bonferroni-adjusted to
α / (k − 1) — conservative next to the Holm correction the readout uses, so a test
sized here has at least the stated power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats


@dataclass(frozen=True)
class DesignResult:
    n_control: int
    n_treatment: int  # per treatment arm
    n_total: int
    arms: int
    alpha: float  # as given
    alpha_per_comparison: float  # after Bonferroni for k > 2 arms
    power: float
    effect_size: float  # Cohen's d or h
    mde_absolute: float
    mde_relative: float  # mde / baseline (NaN when baseline is 0)
    note: str


def _alpha_per_comparison(alpha: float, arms: int) -> float:
    if arms < 2:
        raise ValueError("a test needs at least 2 arms (control and one treatment)")
    return alpha / (arms - 1)


def _z_total(alpha_c: float, power: float, two_sided: bool) -> float:
    if not 0 < power < 1:
        raise ValueError("power must be between 0 and 1, e.g. 0.8")
    if not 0 < alpha_c < 1:
        raise ValueError("significance level must be between 0 and 1, e.g. 0.05")
    return stats.norm.ppf(1 - alpha_c / (2 if two_sided else 1)) + stats.norm.ppf(power)


def _note(arms: int, alpha: float, alpha_c: float) -> str:
    if arms > 2:
        return (f"{arms} arms: each of {arms - 1} treatment arms is compared with the control, "
                f"so significance is Bonferroni-adjusted to {alpha:g}/{arms - 1} = {alpha_c:.4g} "
                "per comparison.")
    return f"2 arms: one comparison at significance {alpha:g}."


def _result(effect: float, z: float, ratio: float, arms: int, alpha: float, alpha_c: float,
            power: float, mde: float, baseline: float) -> DesignResult:
    n_c = int(np.ceil((z / abs(effect)) ** 2 * (1 + 1 / ratio)))
    n_t = int(np.ceil(n_c * ratio))
    rel = mde / baseline if baseline else float("nan")
    return DesignResult(n_c, n_t, n_c + n_t * (arms - 1), arms, alpha, alpha_c, power,
                        float(effect), float(mde), float(rel), _note(arms, alpha, alpha_c))


def cohens_h(p_treatment: float, p_control: float) -> float:
    return float(2 * np.arcsin(np.sqrt(p_treatment)) - 2 * np.arcsin(np.sqrt(p_control)))


def sample_size_proportions(
    baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
    ratio: float = 1.0, arms: int = 2, two_sided: bool = True,
) -> DesignResult:
    """Units per arm to detect an absolute change ``mde`` of a ``baseline`` rate."""
    if not 0 < baseline < 1:
        raise ValueError("baseline rate must be between 0 and 1 (e.g. 0.05 for 5 %)")
    if mde == 0 or not 0 < baseline + mde < 1:
        raise ValueError("the detectable change must be non-zero and keep the rate in (0, 1)")
    alpha_c = _alpha_per_comparison(alpha, arms)
    z = _z_total(alpha_c, power, two_sided)
    return _result(cohens_h(baseline + mde, baseline), z, ratio, arms, alpha, alpha_c, power,
                   mde, baseline)


def sample_size_means(
    mean: float, sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
    ratio: float = 1.0, arms: int = 2, two_sided: bool = True,
) -> DesignResult:
    """Units per arm to detect an absolute change ``mde`` of a mean with spread ``sd``."""
    if sd <= 0:
        raise ValueError("standard deviation must be positive")
    if mde == 0:
        raise ValueError("the detectable change must be non-zero")
    alpha_c = _alpha_per_comparison(alpha, arms)
    z = _z_total(alpha_c, power, two_sided)
    return _result(mde / sd, z, ratio, arms, alpha, alpha_c, power, mde, mean)


def _effect_from_n(n_control: float, z: float, ratio: float, alpha_c: float, power: float,
                   two_sided: bool) -> float:
    """Effect detectable at ``n_control``: the closed form, refined by a root search
    that also counts the far rejection tail (as statsmodels does)."""
    if n_control <= 0:
        raise ValueError("the audience per arm must be positive")
    guess = z * np.sqrt((1 + 1 / ratio) / n_control)
    return float(optimize.brentq(
        lambda e: power_at(e, n_control, alpha_per_comparison=alpha_c, ratio=ratio,
                           two_sided=two_sided) - power, guess * 0.5, guess * 1.5))


def mde_proportions(
    baseline: float, n_control: int, *, alpha: float = 0.05, power: float = 0.8,
    ratio: float = 1.0, arms: int = 2, two_sided: bool = True,
) -> DesignResult:
    """Smallest upward change of a ``baseline`` rate detectable with ``n_control``."""
    if not 0 < baseline < 1:
        raise ValueError("baseline rate must be between 0 and 1 (e.g. 0.05 for 5 %)")
    alpha_c = _alpha_per_comparison(alpha, arms)
    z = _z_total(alpha_c, power, two_sided)
    h = _effect_from_n(n_control, z, ratio, alpha_c, power, two_sided)
    angle = np.arcsin(np.sqrt(baseline)) + h / 2
    if angle >= np.pi / 2:
        raise ValueError("the audience is too small: no rate below 100 % is detectable")
    p1 = float(np.sin(angle) ** 2)
    res = _result(h, z, ratio, arms, alpha, alpha_c, power, p1 - baseline, baseline)
    return _with_n(res, n_control, ratio, arms)


def mde_means(
    mean: float, sd: float, n_control: int, *, alpha: float = 0.05, power: float = 0.8,
    ratio: float = 1.0, arms: int = 2, two_sided: bool = True,
) -> DesignResult:
    """Smallest change of a mean detectable with ``n_control`` units in the control."""
    if sd <= 0:
        raise ValueError("standard deviation must be positive")
    alpha_c = _alpha_per_comparison(alpha, arms)
    z = _z_total(alpha_c, power, two_sided)
    d = _effect_from_n(n_control, z, ratio, alpha_c, power, two_sided)
    res = _result(d, z, ratio, arms, alpha, alpha_c, power, d * sd, mean)
    return _with_n(res, n_control, ratio, arms)


def _with_n(res: DesignResult, n_control: int, ratio: float, arms: int) -> DesignResult:
    n_t = int(round(n_control * ratio))
    return DesignResult(int(n_control), n_t, int(n_control) + n_t * (arms - 1), *[
        getattr(res, f) for f in ("arms", "alpha", "alpha_per_comparison", "power",
                                  "effect_size", "mde_absolute", "mde_relative", "note")])


def power_at(effect: float | np.ndarray, n_control: float | np.ndarray, *,
             alpha_per_comparison: float, ratio: float = 1.0,
             two_sided: bool = True) -> np.ndarray:
    """Power of the z-test for a standardised effect (d or h) at ``n_control``."""
    scale = np.sqrt(np.asarray(n_control, dtype=float) / (1 + 1 / ratio))
    crit = stats.norm.ppf(1 - alpha_per_comparison / (2 if two_sided else 1))
    shift = np.abs(np.asarray(effect, dtype=float)) * scale
    out = stats.norm.sf(crit - shift)
    if two_sided:
        out = out + stats.norm.cdf(-crit - shift)
    return out


def compute_power_curve(design: DesignResult, *, ratio: float = 1.0,
                        two_sided: bool = True, points: int = 60) -> pd.DataFrame:
    """Power against control-arm size, from a tenth to three times the design's n."""
    n = np.unique(np.geomspace(max(design.n_control / 10, 2), design.n_control * 3,
                               points).round())
    power = power_at(design.effect_size, n, alpha_per_comparison=design.alpha_per_comparison,
                     ratio=ratio, two_sided=two_sided)
    return pd.DataFrame({"n_control": n.astype(int), "power": power})


def simulate_power_proportions(
    baseline: float, mde: float, n_control: int, *, alpha_per_comparison: float,
    ratio: float = 1.0, runs: int = 4000, seed: int = 0,
) -> float:
    """Share of seeded simulated tests where the two-sided z-test rejects (checks the
    formulas; vectorised over runs)."""
    rng = np.random.default_rng(seed)
    n_t = int(round(n_control * ratio))
    x_c = rng.binomial(n_control, baseline, size=runs)
    x_t = rng.binomial(n_t, baseline + mde, size=runs)
    p_c, p_t = x_c / n_control, x_t / n_t
    se = np.sqrt(p_c * (1 - p_c) / n_control + p_t * (1 - p_t) / n_t)
    z = np.divide(p_t - p_c, se, out=np.zeros(runs), where=se > 0)
    return float(np.mean(np.abs(z) > stats.norm.ppf(1 - alpha_per_comparison / 2)))
