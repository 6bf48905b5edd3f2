"""Multi-armed bandit simulator for promotion variants, vectorised across runs.

Every policy state is an array of shape (runs, arms); the only Python loop is over
batches (daily sends). Within a batch the policy fixes an allocation probability per
arm from what it has seen so far, the batch's contacts are split by a multinomial
draw, and each arm's successes (or revenue sum) are drawn in one call:

- ``thompson`` — Beta(1+s, 1+f) posteriors for conversion, or a Gaussian posterior of
  the mean (known reward sd, wide N(0, (10·sd)²) prior) for revenue per contact. The
  batch is allocated by each arm's probability of being best, estimated from
  ``thompson_draws`` posterior draws (batched Thompson sampling).
- ``ucb1`` — the whole batch to the arm with the highest upper confidence bound
  mean + scale·√(2 ln t / n) (scale 1 for 0/1 outcomes, the reward sd for revenue).
- ``epsilon_greedy`` — a share ε of contacts spread evenly, the rest to the best mean.
- ``fixed`` — equal split throughout (the classic A/B/n test).

The first batch is an equal split for every policy: it is the warm-up send that gives
each variant data. Regret is the expected (pseudo-)regret Σ contacts × (best − arm
true mean), so it is free of outcome noise; conversions are the realised outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

POLICIES = ("thompson", "ucb1", "epsilon_greedy", "fixed")
POLICY_LABELS = {"thompson": "Thompson sampling", "ucb1": "UCB1",
                 "epsilon_greedy": "ε-greedy", "fixed": "Fixed equal split"}
Reward = Literal["bernoulli", "gaussian"]


@dataclass(frozen=True)
class BanditRun:
    policy: str
    arm_names: list[str]
    true_means: np.ndarray  # (arms,)
    batch_sizes: np.ndarray  # (batches,)
    allocation: np.ndarray  # (batches, runs, arms) contacts per arm and batch
    rewards: np.ndarray  # (batches, runs) realised conversions / revenue per batch


def _batch_sizes(horizon: int, n_batches: int) -> np.ndarray:
    edges = np.linspace(0, horizon, n_batches + 1).round().astype(np.int64)
    return np.diff(edges)


def _greedy_onehot(means: np.ndarray) -> np.ndarray:
    onehot = np.zeros_like(means)
    onehot[np.arange(means.shape[0]), means.argmax(axis=1)] = 1.0
    return onehot


def _probabilities(
    policy: str, pulls: np.ndarray, totals: np.ndarray, rng: np.random.Generator,
    reward: Reward, reward_sd: float, epsilon: float, draws: int,
) -> np.ndarray:
    runs, arms = pulls.shape
    if policy == "fixed":
        return np.full((runs, arms), 1.0 / arms)
    if policy == "thompson":
        if reward == "bernoulli":
            a = (1.0 + totals)[:, :, None]
            b = (1.0 + pulls - totals)[:, :, None]
            samples = rng.beta(a, b, size=(runs, arms, draws))
        else:
            prior_precision = 1.0 / (10.0 * reward_sd) ** 2
            precision = pulls / reward_sd**2 + prior_precision
            mean = (totals / reward_sd**2) / precision
            samples = rng.standard_normal((runs, arms, draws)) / np.sqrt(precision)[:, :, None]
            samples += mean[:, :, None]
        best = samples.argmax(axis=1)  # (runs, draws)
        return (best[:, :, None] == np.arange(arms)).mean(axis=1)
    means = totals / np.maximum(pulls, 1)
    if policy == "ucb1":
        scale = 1.0 if reward == "bernoulli" else reward_sd
        t = pulls.sum(axis=1, keepdims=True)
        return _greedy_onehot(means + scale * np.sqrt(2 * np.log(t) / pulls))
    if policy == "epsilon_greedy":
        return epsilon / arms + (1 - epsilon) * _greedy_onehot(means)
    raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")


def simulate_bandit(
    true_means: Sequence[float],
    *,
    policy: str = "thompson",
    horizon: int = 100_000,
    n_batches: int = 100,
    runs: int = 1000,
    seed: int = 0,
    reward: Reward = "bernoulli",
    reward_sd: float = 1.0,
    epsilon: float = 0.1,
    thompson_draws: int = 64,
    arm_names: Sequence[str] | None = None,
) -> BanditRun:
    """Simulate ``runs`` independent campaigns of ``horizon`` contacts in ``n_batches``
    sends. ``true_means`` are conversion rates (bernoulli) or mean revenue per contact
    (gaussian, with ``reward_sd`` the per-contact sd)."""
    mu = np.asarray(true_means, dtype="float64")
    _check_inputs(mu, policy, horizon, n_batches, runs, reward, reward_sd, epsilon)
    names = list(arm_names) if arm_names is not None else [f"Arm {i + 1}" for i in range(mu.size)]
    rng = np.random.default_rng(seed)
    arms = mu.size
    sizes = _batch_sizes(horizon, n_batches)
    pulls = np.zeros((runs, arms))
    totals = np.zeros((runs, arms))
    allocation = np.empty((n_batches, runs, arms), dtype=np.int64)
    rewards = np.empty((n_batches, runs))
    for b, size in enumerate(sizes):
        if b == 0:
            probs = np.full((runs, arms), 1.0 / arms)
        else:
            probs = _probabilities(policy, pulls, totals, rng, reward, reward_sd, epsilon,
                                   thompson_draws)
        alloc = rng.multinomial(size, probs)
        if reward == "bernoulli":
            got = rng.binomial(alloc, mu).astype("float64")
        else:
            # a sum of n Gaussian rewards is exactly N(n·μ, n·sd²)
            got = alloc * mu + np.sqrt(alloc) * reward_sd * rng.standard_normal(alloc.shape)
        pulls += alloc
        totals += got
        allocation[b] = alloc
        rewards[b] = got.sum(axis=1)
    return BanditRun(policy, names, mu, sizes, allocation, rewards)


def _check_inputs(mu: np.ndarray, policy: str, horizon: int, n_batches: int, runs: int,
                  reward: Reward, reward_sd: float, epsilon: float) -> None:
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if mu.size < 2:
        raise ValueError("a bandit needs at least 2 arms")
    if reward == "bernoulli" and ((mu < 0) | (mu > 1)).any():
        raise ValueError("conversion rates must be between 0 and 1 (e.g. 0.05 for 5 %)")
    if reward not in ("bernoulli", "gaussian"):
        raise ValueError("reward must be 'bernoulli' or 'gaussian'")
    if reward == "gaussian" and reward_sd <= 0:
        raise ValueError("the revenue sd per contact must be positive")
    if not 1 <= n_batches <= horizon:
        raise ValueError("need at least one batch and at most one batch per contact")
    if runs < 1:
        raise ValueError("need at least one run")
    if not 0 <= epsilon <= 1:
        raise ValueError("ε must be between 0 and 1")


def summarise_allocation(run: BanditRun) -> pd.DataFrame:
    """Per batch and arm: share of the batch's contacts, mean and 5–95 % over runs."""
    share = run.allocation / run.batch_sizes[:, None, None]
    q05, q95 = np.quantile(share, [0.05, 0.95], axis=1)
    batches, _, arms = share.shape
    return pd.DataFrame({
        "policy": POLICY_LABELS[run.policy],
        "batch": np.repeat(np.arange(1, batches + 1), arms),
        "contacts": np.repeat(np.cumsum(run.batch_sizes), arms),
        "arm": np.tile(run.arm_names, batches),
        "share_mean": share.mean(axis=1).ravel(),
        "share_p05": q05.ravel(),
        "share_p95": q95.ravel(),
    })


def summarise_outcomes(run: BanditRun) -> pd.DataFrame:
    """Per batch: cumulative regret and cumulative conversions (or revenue), mean and
    5–95 % band over runs."""
    gap = run.true_means.max() - run.true_means
    regret = np.cumsum(run.allocation @ gap, axis=0)  # (batches, runs)
    conversions = np.cumsum(run.rewards, axis=0)
    r05, r95 = np.quantile(regret, [0.05, 0.95], axis=1)
    c05, c95 = np.quantile(conversions, [0.05, 0.95], axis=1)
    return pd.DataFrame({
        "policy": POLICY_LABELS[run.policy],
        "batch": np.arange(1, len(run.batch_sizes) + 1),
        "contacts": np.cumsum(run.batch_sizes),
        "regret_mean": regret.mean(axis=1), "regret_p05": r05, "regret_p95": r95,
        "conversions_mean": conversions.mean(axis=1),
        "conversions_p05": c05, "conversions_p95": c95,
    })


def compare_policies(
    true_means: Sequence[float], policies: Sequence[str] = POLICIES, **kwargs: object
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run each policy with the same seed and settings; returns (allocation, outcomes)
    frames stacked by policy. The last outcomes row per policy is the final tally."""
    runs = [simulate_bandit(true_means, policy=p, **kwargs) for p in policies]  # type: ignore[arg-type]
    return (pd.concat([summarise_allocation(r) for r in runs], ignore_index=True),
            pd.concat([summarise_outcomes(r) for r in runs], ignore_index=True))
