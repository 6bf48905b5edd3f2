"""Uplift models (placeholder docstring, completed below)."""
