"""Plotly figures built from frames; no Streamlit here."""
