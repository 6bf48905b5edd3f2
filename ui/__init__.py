"""The only Streamlit-aware helpers: caching, session keys, shared widgets."""

from streamlit.runtime.pages_manager import PagesManager

# app.py owns navigation (st.navigation). Because a pages/ folder exists, Streamlit
# starts in its legacy folder mode until some session has run app.py, and a deep link
# (e.g. /segments) as a fresh server's first request would run the page on its own.
# Leave that mode as soon as any page imports ui; pages also initialise the session
# themselves when run on their own (see ui.cache.active_path).
PagesManager.uses_pages_directory = False
