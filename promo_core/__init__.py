"""Promo Lab's domain library: everything the app shows, without Streamlit.

Modules (import what you need; heavy ones such as ``uplift`` load LightGBM):

- ``db``, ``paths``, ``datasets``, ``errors`` — storage, files and error types
- ``demo`` — the demo shop generator and its ground truth (``demo.effect``)
- ``importers`` — validated, all-or-nothing imports and presets
- ``overview``, ``profiles``, ``segments`` — what the shop and its customers look like
- ``uplift``, ``explain`` — uplift models and SHAP explanations of the uplift
- ``promotions``, ``economics``, ``forecast``, ``scenarios``, ``depth_curve``,
  ``optimise`` — promotion economics, scenarios and the budget optimiser
- ``plans`` — plan versions, exports and the plan-vs-actual review
- ``experiments`` — A/B/n readouts, test design, bandit simulation
- ``charts`` — plotly figures built from frames
- ``cli`` — ``python -m promo_core``
"""

__version__ = "0.1.0"
