"""Promo Lab: the router and frame. Pages live in pages/; logic in promo_core."""

from pathlib import Path

import streamlit as st

from ui import widgets

st.set_page_config(page_title="Promo Lab", page_icon=":material/sell:", layout="wide")

widgets.ensure_demo_built()
widgets.init_session()

# (section, file, title, icon); a page is registered only once its file exists.
PAGES = [
    ("Shop", "pages/overview.py", "Overview", ":material/home:"),
    ("Shop", "pages/data.py", "Data", ":material/table_chart:"),
    ("Shop", "pages/import_data.py", "Import data", ":material/upload_file:"),
    ("Analyse", "pages/segments.py", "Segments", ":material/groups:"),
    ("Analyse", "pages/uplift.py", "Uplift models", ":material/trending_up:"),
    ("Analyse", "pages/explain.py", "Explanations", ":material/psychology:"),
    ("Plan", "pages/scenarios.py", "Scenarios", ":material/compare_arrows:"),
    ("Plan", "pages/plans.py", "Plans & review", ":material/event_note:"),
    ("Plan", "pages/experiments.py", "Experiments", ":material/science:"),
]
ROOT = Path(__file__).parent
sections: dict[str, list] = {}
for section, file, title, icon in PAGES:
    if (ROOT / file).exists():
        sections.setdefault(section, []).append(
            st.Page(file, title=title, icon=icon, default=file == "pages/overview.py")
        )

page = st.navigation(sections)
widgets.render_sidebar()
widgets.render_flash()
page.run()
