"""Segments: rules, RFM groups, clusters, category affinity and the saved-segment store.

``profiles`` computes the features; these modules select customers from them.
"""

from promo_core.segments import affinity, clusters, rfm, rules, store

__all__ = ["affinity", "clusters", "rfm", "rules", "store"]
