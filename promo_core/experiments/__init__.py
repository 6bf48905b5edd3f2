"""Experiments: A/B/n readouts, test design and a bandit simulator (pure functions)."""

from promo_core.experiments.bandit import (
    POLICIES,
    POLICY_LABELS,
    BanditRun,
    compare_policies,
    simulate_bandit,
    summarise_allocation,
    summarise_outcomes,
)
from promo_core.experiments.design import (
    DesignResult,
    compute_power_curve,
    mde_means,
    mde_proportions,
    power_at,
    sample_size_means,
    sample_size_proportions,
    simulate_power_proportions,
)
from promo_core.experiments.readout import READOUT_COLUMNS, compute_readout, ratio_name
from promo_core.experiments.sources import (
    available_metrics,
    guess_arm_column,
    guess_control,
    list_promotions_with_control,
    load_promotion_outcomes,
    metric_candidates,
    read_uploaded_table,
)
from promo_core.experiments.srm import SampleRatioCheck, check_sample_ratio, count_units
from promo_core.experiments.timeline import compute_cumulative_lift
from promo_core.experiments.validation import validate_experiment

__all__ = [
    "POLICIES", "POLICY_LABELS", "READOUT_COLUMNS", "BanditRun", "DesignResult",
    "SampleRatioCheck", "available_metrics", "check_sample_ratio", "compare_policies",
    "compute_cumulative_lift", "compute_power_curve", "guess_arm_column", "guess_control",
    "metric_candidates", "compute_readout", "count_units",
    "list_promotions_with_control", "load_promotion_outcomes", "mde_means",
    "mde_proportions", "power_at", "ratio_name", "read_uploaded_table",
    "sample_size_means", "sample_size_proportions", "simulate_bandit",
    "simulate_power_proportions", "summarise_allocation", "summarise_outcomes",
    "validate_experiment",
]
