"""The demo shop: a simulated online shop whose promotion effects are known exactly.

``build_demo`` writes a complete data set file; ``true_uplift`` gives the true expected
outcome of any promotion for any customers as of any date (see ``effect`` for the
documented formulas the models are tested against).
"""

from promo_core.demo.build import build_demo
from promo_core.demo.effect import NON_DRIVERS, UPLIFT_DRIVERS
from promo_core.demo.truth import customer_kinds, true_uplift

__all__ = ["NON_DRIVERS", "UPLIFT_DRIVERS", "build_demo", "customer_kinds", "true_uplift"]
