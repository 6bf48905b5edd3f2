"""Budget optimiser: the best promotion — or none — per customer, under constraints.

The problem is a multiple-choice knapsack with side constraints::

    max  Σ_ik v_ik x_ik − Σ_k F_k [k used]
    s.t. Σ_k x_ik ≤ 1 (one promotion per customer)      x_ik ∈ {0, 1}
         Σ c_ik x_ik + F ≤ budget                        (promotion cost incl. fixed)
         Σ x_ik ≤ max share × n                          (contacts)
         Σ_i x_ik ≤ cap_k                                (per-promotion caps)
         min_s ≤ Σ_{i∈s,k} x_ik ≤ max_s                  (per-segment contacts)
         Σ v x − F ≥ ρ (Σ c x + F)                       (minimum ROI)

with ``v`` the expected net incremental profit and ``c`` the promotion cost of each
option (:mod:`promo_core.economics`); options whose margin after the reward falls
below the margin floor are not offered.

Why not hand the MIP to HiGHS directly: with one row per customer it takes minutes at
10⁵ customers (measured). Instead we solve its **Lagrangian dual**, which has one
multiplier per side constraint (a handful) and decomposes per customer: for given
multipliers each customer independently takes the option with the best *reduced*
value — one vectorised argmax over (customers × promotions). The dual is minimised by
Kelley's cutting planes, the master LP solved by HiGHS (``scipy.optimize.linprog``).
Weak duality makes the best dual value an upper **bound** on any plan's profit (it
equals the LP relaxation's optimum at convergence); the plan is the argmax at the best
multipliers, repaired to feasibility by dropping the least efficient contacts and then
filled greedily. ``gap = bound − plan profit`` is reported, so the quality is proven,
not assumed. With few side constraints the LP optimum has at most that many fractional
customers, so the gap is tiny on real populations.

Fixed costs decide which promotions are used at all: start with every promotion, drop
the one whose contacts do not pay its fixed cost, re-solve (a local search over at
most K promotions); the bound is that of the chosen set.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from promo_core import economics as eco
from promo_core.errors import PromoLabError
from promo_core.forecast import CustomerForecast
from promo_core.scenarios import OTHERS


class InfeasibleError(PromoLabError):
    """The constraints cannot all hold; the message names the one(s) to relax."""


@dataclass(frozen=True)
class Constraints:
    budget: float
    max_contact_share: float = 1.0
    promo_caps: Mapping[str, int] = field(default_factory=dict)
    segment_min: Mapping[str, int] = field(default_factory=dict)
    segment_max: Mapping[str, int] = field(default_factory=dict)
    min_roi: float | None = None
    margin_floor: float | None = None  # min gross margin rate left after the reward


@dataclass(frozen=True)
class Options:
    """Per customer × promotion: expected net profit ``value`` and ``cost`` (member 0)."""

    keys: list[str]
    value: np.ndarray  # (n, K)
    cost: np.ndarray  # (n, K) promotion cost excluding fixed
    allowed: np.ndarray  # (n, K) bool
    fixed: np.ndarray  # (K,)
    segment: np.ndarray  # (n,) segment index, −1 for none
    segment_names: list[str]


@dataclass
class Plan:
    choice: np.ndarray  # per customer: index into keys, −1 for no promotion
    net_profit: float
    promotion_cost: float
    contacts: int
    bound: float
    gap: float
    used: list[str]
    iterations: int
    seconds: float

    @property
    def gap_share(self) -> float:
        return self.gap / abs(self.bound) if self.bound else 0.0


def build_options(forecasts: Mapping[str, CustomerForecast], promotions: Mapping[str, Mapping],
                  margin_rate: float, basket_sigma: float, segment: np.ndarray,
                  segment_names: Sequence[str], margin_floor: float | None = None) -> Options:
    """The option matrices from point forecasts (member 0) of each candidate."""
    keys = list(forecasts)
    value, cost, allowed = [], [], []
    for k in keys:
        f, promo = forecasts[k], promotions[k]
        m = 1.0 if f.value_is_margin else margin_rate
        e = eco.customer_economics(f.p0[0], f.p1[0], f.b0[0], f.b1[0], promo, m, basket_sigma)
        value.append(e["net_profit"])
        cost.append(e["promotion_cost"])
        ok = np.isfinite(e["net_profit"])
        if margin_floor is not None:
            ok &= eco.margin_after_reward(f.b1[0], promo, m) >= margin_floor
        allowed.append(ok)
    fixed = np.array([float(promotions[k].get("fixed_cost") or 0.0) for k in keys])
    return Options(keys, np.column_stack(value), np.column_stack(cost),
                   np.column_stack(allowed), fixed, np.asarray(segment), list(segment_names))


class _Problem:
    """The side constraints as vectors, for one set of promotions in use."""

    def __init__(self, o: Options, c: Constraints, used: np.ndarray) -> None:
        self.o, self.c, self.used = o, c, used
        self.F = float(o.fixed[used].sum())
        self.rho = c.min_roi
        self.cap = np.array([c.promo_caps.get(k, np.inf) for k in o.keys], dtype=float)
        s = len(o.segment_names)
        self.smax = np.array([c.segment_max.get(n, np.inf) for n in o.segment_names] + [np.inf])
        self.smin = np.array([c.segment_min.get(n, 0) for n in o.segment_names] + [0.0])
        seg = np.where(o.segment >= 0, o.segment, s)
        ok = o.allowed & used[None, :]
        # With every multiplier ≥ 0 (and a non-negative minimum ROI), an option's reduced
        # value never exceeds its own value, so unprofitable options can never be chosen:
        # leave those customers out of every pass (most customers, in real campaigns).
        if not self.smin[:-1].any() and (self.rho is None or self.rho >= 0):
            ok &= o.value > 0
        self.rows = np.nonzero(ok.any(axis=1))[0]
        ok = ok[self.rows]
        self.seg, self.cost = seg[self.rows], o.cost[self.rows]
        self.v_all = o.value[self.rows]
        self.value = np.where(ok, self.v_all, -np.inf)
        self.value32, self.cost32 = self.value.astype(np.float32), self.cost.astype(np.float32)
        self.max_contacts = float(np.floor(c.max_contact_share * len(o.segment) + 1e-9))
        # Multipliers: budget, contacts, caps (K), seg max (S+1), seg min (S+1), ROI.
        self.rhs = np.concatenate([[c.budget - self.F, self.max_contacts], self.cap,
                                   self.smax, -self.smin,
                                   [-(1 + (self.rho or 0)) * self.F]])
        active = np.isfinite(self.rhs)
        active[-len(self.smin) - 1:-1] &= self.smin > 0
        active[-1] = self.rho is not None
        self.active = active
        self.rhs = np.where(active, self.rhs, 0.0)

    def reduced(self, lam: np.ndarray) -> np.ndarray:
        """v(1 + λ_R) − c(λ_B + λ_R ρ) − λ_C − λ_cap[k] − (λ_max − λ_min)[segment].

        In float32 and in place: this pass over (customers × promotions) is the whole
        cost of an iteration, and it is memory-bound.
        """
        K, S1 = len(self.cap), len(self.smax)
        lb, lc, lcap = lam[0], lam[1], lam[2:2 + K]
        lsmax, lsmin = lam[2 + K:2 + K + S1], lam[2 + K + S1:2 + K + 2 * S1]
        lr, rho = lam[-1], self.rho or 0.0
        r = self.cost32 * np.float32(-(lb + lr * rho))
        r += self.value32 if lr == 0 else self.value32 * np.float32(1 + lr)
        r -= (lc + lcap).astype(np.float32)[None, :]
        pen = lsmax - lsmin
        if pen.any():
            r -= pen.astype(np.float32)[self.seg][:, None]
        return r

    def usage(self, choice: np.ndarray) -> np.ndarray:
        on = choice >= 0
        k = choice[on]
        rows = np.nonzero(on)[0]
        v, cost = self.v_all[rows, k], self.cost[rows, k]
        K, S1 = len(self.cap), len(self.smax)
        seg = np.bincount(self.seg[on], minlength=S1).astype(float)
        return np.concatenate([[cost.sum(), on.sum()], np.bincount(k, minlength=K),
                               seg, -seg, [((self.rho or 0) * cost - v).sum()]])

    def dual(self, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        red = self.reduced(lam)
        k = np.argmax(red, axis=1)
        best = red[np.arange(len(k)), k]
        choice = np.where(best > 0, k, -1)
        g = float(np.maximum(best, 0).sum(dtype=np.float64) + lam @ self.rhs)
        return g, self.rhs - self.usage(choice), choice


def _kelley(p: _Problem, max_iter: int, tol: float, start: np.ndarray | None = None
            ) -> tuple[float, np.ndarray, int, np.ndarray]:
    """Minimise the dual by cutting planes; return (bound, its choice, iterations, λ).

    From a ``start`` (multipliers of a sample), the master LP is kept in a box around
    the best λ so far, widened whenever the box binds: the cuts stay globally valid, so
    stopping only when the box does not bind is the plain Kelley criterion.
    """
    m = len(p.rhs)
    scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(p.value), p.value, 0)))))
    upper = np.where(p.active, 50.0 * scale, 0.0)
    upper[0] = upper[-1] = 0.0
    if p.active[0]:
        ratio = np.where(np.isfinite(p.value), p.value, 0) / np.maximum(p.cost, 1e-9)
        upper[0] = 10.0 * max(1.0, float(ratio.max()))
    if p.active[-1]:
        upper[-1] = 1e3
    lam = np.zeros(m) if start is None else np.clip(start, 0.0, upper)
    radius = None if start is None else np.maximum(0.3 * lam, 1e-3 * upper)
    cuts_a, cuts_b = [], []
    best_g, best_choice, best_lam, it = np.inf, None, lam, 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        g, sub, choice = p.dual(lam)
        if g < best_g:
            best_g, best_choice, best_lam = g, choice, lam
        # θ ≥ g + sub·(λ' − λ)  ⇔  −θ + sub·λ' ≤ sub·λ − g
        cuts_a.append(np.concatenate([[-1.0], sub]))
        cuts_b.append(float(sub @ lam - g))
        lo, hi = np.zeros(m), upper
        if radius is not None:
            lo, hi = np.maximum(0.0, best_lam - radius), np.minimum(upper, best_lam + radius)
        res = linprog(np.r_[1.0, np.zeros(m)], A_ub=np.array(cuts_a), b_ub=np.array(cuts_b),
                      bounds=[(None, None), *zip(lo, hi, strict=True)], method="highs")
        if res.status != 0:
            break
        lam = res.x[1:]
        binds = radius is not None and bool(
            (((lam <= lo + 1e-12) & (lo > 0)) | ((lam >= hi - 1e-12) & (hi < upper))).any())
        if best_g - float(res.x[0]) <= tol * max(1.0, abs(best_g)):
            if not binds:
                break
            radius = radius * 4.0
    return best_g, best_choice, it, best_lam


def _sample_start(o: Options, c: Constraints, used: np.ndarray, rows: np.ndarray,
                  tol: float) -> np.ndarray:
    """Multipliers of a random 5 % sample with every limit scaled to it (a warm start)."""
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(rows, size=max(20_000, len(rows) // 20), replace=False))
    f = len(pick) / len(rows)
    # Customers left out of ``rows`` can never be chosen, so they do not use any limit.
    so = Options(o.keys, o.value[pick], o.cost[pick], o.allowed[pick], o.fixed * f,
                 o.segment[pick], o.segment_names)
    share = min(1.0, c.max_contact_share * len(o.segment) / len(rows))
    sc_ = Constraints(
        budget=c.budget * f, max_contact_share=share,
        promo_caps={k: v * f for k, v in c.promo_caps.items()},
        segment_min={k: v * f for k, v in c.segment_min.items()},
        segment_max={k: v * f for k, v in c.segment_max.items()}, min_roi=c.min_roi,
        margin_floor=c.margin_floor)
    return _kelley(_Problem(so, sc_, used), 80, tol)[3]


def _keep_top(choice: np.ndarray, mask: np.ndarray, score: np.ndarray, limit: float) -> None:
    idx = np.nonzero(mask)[0]
    if len(idx) > limit:
        drop = idx[np.argsort(score[idx])[: len(idx) - int(limit)]]
        choice[drop] = -1


def _repair(p: _Problem, choice: np.ndarray) -> np.ndarray:
    """Drop the least efficient contacts until every ≤ constraint holds, then fill."""
    choice = choice.copy()
    rows = np.arange(len(choice))
    for _ in range(3):
        on = choice >= 0
        v = np.where(on, p.v_all[rows, np.maximum(choice, 0)], 0.0)
        cst = np.where(on, p.cost[rows, np.maximum(choice, 0)], 0.0)
        eff = v / np.maximum(cst, 1e-9)
        for k in np.nonzero(np.isfinite(p.cap))[0]:
            _keep_top(choice, choice == k, v, p.cap[k])
        for s in np.nonzero(np.isfinite(p.smax))[0]:
            _keep_top(choice, (choice >= 0) & (p.seg == s), v, p.smax[s])
        _keep_top(choice, choice >= 0, v, p.max_contacts)
        on = choice >= 0
        idx = np.nonzero(on)[0][np.argsort(eff[on])]
        over = cst[idx].sum() - (p.c.budget - p.F)
        if over > 0:
            n_drop = int(np.searchsorted(np.cumsum(cst[idx]), over - 1e-9) + 1)
            choice[idx[:n_drop]] = -1
        if p.rho is not None:
            on = choice >= 0
            idx = np.nonzero(on)[0][np.argsort(eff[on])]
            slack = (v[idx].sum() - p.F) - p.rho * (cst[idx].sum() + p.F)
            if slack < 0:
                gain = np.cumsum(p.rho * cst[idx] - v[idx])
                n_drop = int(np.searchsorted(gain, -slack - 1e-9) + 1)
                choice[idx[:n_drop]] = -1
    return _fill(p, choice)


def _fill(p: _Problem, choice: np.ndarray) -> np.ndarray:
    """Add unassigned customers with a profitable option, best ratio first, while all fits."""
    use = p.usage(choice)
    cand_v = np.where(p.value > 0, p.value, -np.inf)
    k = np.argmax(cand_v, axis=1)
    rows = np.arange(len(k))
    vk = cand_v[rows, k]
    free = np.nonzero((choice < 0) & np.isfinite(vk))[0]
    if len(free) == 0:
        return choice
    free = free[np.argsort(-vk[free] / np.maximum(p.cost[free, k[free]], 1e-9))]
    kf, sf = k[free], p.seg[free]
    K, S1 = len(p.cap), len(p.smax)
    ok = _rank_within(kf) < (p.cap - use[2:2 + K])[kf]
    ok &= _rank_within(sf) < (p.smax - use[2 + K:2 + K + S1])[sf]
    cst = p.cost[free, kf]
    ok &= np.cumsum(np.where(ok, cst, 0)) <= p.c.budget - p.F - use[0] + 1e-9
    ok &= np.cumsum(ok) <= p.max_contacts - use[1]
    if p.rho is not None:
        net = np.cumsum(np.where(ok, p.rho * cst - p.v_all[free, kf], 0))
        ok &= net <= -use[-1] - (1 + p.rho) * p.F
    choice = choice.copy()
    choice[free[ok]] = kf[ok]
    return choice


def _rank_within(labels: np.ndarray) -> np.ndarray:
    """0, 1, 2 … within each label, in the given order (vectorised cumcount)."""
    order = np.argsort(labels, kind="stable")
    sorted_l = labels[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_l))[0] + 1]
    counts = np.diff(np.r_[starts, len(labels)])
    rank = np.arange(len(labels)) - np.repeat(starts, counts)
    out = np.empty(len(labels), dtype=np.int64)
    out[order] = rank
    return out


def _check(o: Options, c: Constraints) -> None:
    """Constraints that cannot hold whatever the plan: say which one."""
    n = len(o.segment)
    if not c.budget > 0:
        raise InfeasibleError("the budget must be more than 0")
    if not 0 < c.max_contact_share <= 1:
        raise InfeasibleError("the maximum share of customers contacted must be in (0, 100 %]")
    sizes = np.bincount(o.segment[o.segment >= 0], minlength=len(o.segment_names))
    cheapest = np.where(o.allowed, o.cost, np.inf).min(axis=1)
    for s, name in enumerate(o.segment_names):
        lo, hi = c.segment_min.get(name, 0), c.segment_max.get(name, np.inf)
        if lo > sizes[s]:
            raise InfeasibleError(f"segment minimum: '{name}' has {sizes[s]:,} customers, "
                                  f"fewer than its minimum of {lo:,} contacts")
        if lo > hi:
            raise InfeasibleError(f"segment '{name}': minimum {lo:,} is above maximum {hi:,}")
        if lo > 0:
            need = np.sort(cheapest[o.segment == s])[:lo].sum()
            if need > c.budget:
                raise InfeasibleError(
                    f"segment minimum: {lo:,} contacts in '{name}' cost at least {need:,.0f}, "
                    f"more than the budget of {c.budget:,.0f}")
    total_min = sum(c.segment_min.values())
    if total_min > np.floor(c.max_contact_share * n + 1e-9):
        raise InfeasibleError(
            f"segment minimums add up to {total_min:,} contacts but the maximum share "
            f"allows {int(c.max_contact_share * n):,}")


def optimise(options: Options, constraints: Constraints, *, max_iter: int = 120,
             tol: float = 1e-4) -> Plan:
    """The best promotion or none per customer (module docstring), with its bound."""
    _check(options, constraints)
    start = time.perf_counter()
    used = (options.allowed & (options.value > 0)).any(axis=0)
    if constraints.segment_min:
        used |= options.allowed.any(axis=0)
    best: Plan | None = None
    total_it = 0
    while True:
        p = _Problem(options, constraints, used)
        choice = np.full(len(options.segment), -1)
        bound, it = 0.0, 0
        if used.any() and len(p.rows):
            start_lam = (_sample_start(options, constraints, used, p.rows, tol)
                         if len(p.rows) > 200_000 else None)
            bound, compact, it, _ = _kelley(p, max_iter, tol, start_lam)
            choice[p.rows] = _repair(p, compact)
        total_it += it
        plan = _score(options, choice, constraints, bound - p.F, total_it, start)
        if best is None or plan.net_profit > best.net_profit:
            best = plan
        # Drop the promotion whose contacts pay least towards its fixed cost, if negative.
        contrib = _contribution(options, choice) - options.fixed
        contrib = np.where(used, contrib, np.inf)
        worst = int(np.argmin(contrib))
        if not used.any() or contrib[worst] >= 0:
            break
        used = used.copy()
        used[worst] = False
    best.iterations, best.seconds = total_it, time.perf_counter() - start
    _check_lower_bounds(options, constraints, best)
    return best


def _contribution(o: Options, choice: np.ndarray) -> np.ndarray:
    on = choice >= 0
    v = o.value[np.nonzero(on)[0], choice[on]]
    return np.bincount(choice[on], weights=v, minlength=len(o.keys))


def _score(o: Options, choice: np.ndarray, c: Constraints, bound: float, it: int,
           start: float) -> Plan:
    on = choice >= 0
    rows = np.nonzero(on)[0]
    used = np.unique(choice[on])
    fixed = float(o.fixed[used].sum())
    net = float(o.value[rows, choice[on]].sum()) - fixed
    cost = float(o.cost[rows, choice[on]].sum()) + fixed
    bound = max(bound, net)
    return Plan(choice, net, cost, int(on.sum()), bound, bound - net,
                [o.keys[k] for k in used], it, time.perf_counter() - start)


def _check_lower_bounds(o: Options, c: Constraints, plan: Plan) -> None:
    on = plan.choice >= 0
    for s, name in enumerate(o.segment_names):
        lo = c.segment_min.get(name, 0)
        got = int((on & (o.segment == s)).sum())
        if got < lo:
            raise InfeasibleError(
                f"segment minimum: only {got:,} of the {lo:,} contacts required in '{name}' "
                "fit within the budget, the caps and the minimum ROI; relax one of them")
    if c.min_roi is not None and plan.promotion_cost > 0:
        roi = plan.net_profit / plan.promotion_cost
        if roi < c.min_roi - 1e-9:
            raise InfeasibleError(f"minimum ROI: the best plan reaches {roi:.0%}, below "
                                  f"{c.min_roi:.0%}; lower it or drop segment minimums")


FIXED_COST_ROW = "Fixed cost"
TOTAL_ROW = "Total"


def plan_by_segment(o: Options, plan: Plan) -> pd.DataFrame:
    """Contacts, cost and net profit per segment and promotion, then one fixed-cost row
    per promotion used and a total that equals the plan's figures."""
    on = plan.choice >= 0
    rows = np.nonzero(on)[0]
    names = np.array([*o.segment_names, OTHERS])
    seg = np.where(o.segment >= 0, o.segment, len(o.segment_names))
    frame = pd.DataFrame({
        "segment": names[seg[rows]], "promotion": np.array(o.keys)[plan.choice[on]],
        "contacts": 1, "promotion_cost": o.cost[rows, plan.choice[on]],
        "net_profit": o.value[rows, plan.choice[on]]})
    frame = (frame.groupby(["segment", "promotion"], as_index=False).sum()
             .sort_values(["segment", "net_profit"], ascending=[True, False]))
    used = sorted(set(plan.choice[on].tolist()))
    fixed = pd.DataFrame({"segment": FIXED_COST_ROW, "promotion": [o.keys[k] for k in used],
                          "contacts": 0, "promotion_cost": o.fixed[used],
                          "net_profit": -o.fixed[used]})
    total = pd.DataFrame([{"segment": TOTAL_ROW, "promotion": "", "contacts": plan.contacts,
                           "promotion_cost": plan.promotion_cost,
                           "net_profit": plan.net_profit}])
    parts = [f for f in (frame, fixed[fixed.promotion_cost > 0], total) if len(f)]
    return pd.concat(parts, ignore_index=True)


def efficient_frontier(o: Options, constraints: Constraints, budgets: Sequence[float]
                       ) -> pd.DataFrame:
    """Budget → best expected net profit (and its bound) with the other constraints kept."""
    rows = []
    for b in budgets:
        try:
            plan = optimise(o, Constraints(**{**constraints.__dict__, "budget": float(b)}),
                            max_iter=60)
            rows.append({"budget": float(b), "net_profit": plan.net_profit,
                         "bound": plan.bound, "spent": plan.promotion_cost,
                         "contacts": plan.contacts})
        except InfeasibleError:
            rows.append({"budget": float(b), "net_profit": np.nan, "bound": np.nan,
                         "spent": np.nan, "contacts": 0})
    return pd.DataFrame(rows)
