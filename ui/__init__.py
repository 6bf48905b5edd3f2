"""The only Streamlit-aware helpers: caching, session keys, shared widgets."""
