#!/usr/bin/env bash
# One command to run Promo Lab on the demo shop: set up .venv, build the demo
# database if it is missing (progress bar in the terminal), start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements.txt
.venv/bin/python -m promo_core demo build --if-missing
exec .venv/bin/python -m streamlit run app.py "$@"
