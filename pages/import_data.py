"""Import data: upload files, map columns, import into a data set, see what was dropped."""

from pathlib import Path

import streamlit as st

from promo_core import datasets, db, importers, paths
from promo_core.errors import ValidationError
from promo_core.importers.files import DEFAULT_MAX_MB
from ui import state, widgets

# Page session keys. FILES holds uploads as {table or "preset": [(name, bytes)]}; the
# uploaders fill it, and tests set it directly (AppTest cannot drive st.file_uploader).
FILES = "import_data.files"
LAST = "import_data.last_result"
KIND = "import_data.kind"
GENERIC = "generic"
IGNORE = "(ignore)"
TEMPLATES = paths.REPO_ROOT / "data" / "templates"
TYPES = ["csv", "gz", "parquet", "xlsx"]

st.title("Import data")
st.caption(f"CSV, CSV.gz, Parquet or XLSX, up to {DEFAULT_MAX_MB:,.0f} MB a file. Everything "
           "is checked before anything is written: a file with a problem changes nothing.")

last = st.session_state.get(LAST)
if last:
    st.subheader(f"Last import: {last['name']}")
    st.dataframe([{"table": t, "rows loaded": n} for t, n in last["counts"].items()],
                 hide_index=True, key="import_data.loaded")
    if last["dropped"]:
        st.markdown("**Not loaded, and why**")
        st.dataframe([{"table": t, "reason": r, "rows": n} for t, r, n in last["dropped"]],
                     hide_index=True, key="import_data.dropped")
    for note in last["notes"]:
        st.info(note)
    st.page_link("pages/data.py", label="See the data-quality report of this data set",
                 icon=":material/fact_check:")

kind = st.radio("What are you importing?", [GENERIC, *importers.PRESETS], key=KIND,
                format_func=lambda k: "My own tables" if k == GENERIC else k.replace("_", " ")
                .title(), horizontal=True)
if kind != GENERIC:
    st.caption(importers.PRESETS[kind])
uploads: dict[str, list[tuple[str, bytes]]] = dict(st.session_state.get(FILES) or {})


def _take(slot: str, label: str) -> None:
    """Upload → bytes, the one step tests skip by filling FILES themselves."""
    got = st.file_uploader(label, type=TYPES, accept_multiple_files=True,
                           key=f"import_data.upload.{kind}.{slot}")
    if got:
        uploads[slot] = [(f.name, f.getvalue()) for f in got]


mappings: dict[str, dict[str, str]] = {}
problems: list[ValidationError] = []
if kind == GENERIC:
    with st.expander("Templates: the columns each table takes"):
        for table in importers.IMPORTABLE:
            template = TEMPLATES / f"{table}.csv"
            st.download_button(f"{table}.csv", template.read_bytes(), file_name=template.name,
                               mime="text/csv", key=f"import_data.template.{table}")
    for table in importers.IMPORTABLE:
        with st.expander(table.replace("_", " ").capitalize(), expanded=table in uploads):
            _take(table, f"{table} file(s)")
            if table not in uploads:
                continue
            name, data = uploads[table][0]
            try:
                preview = importers.read_table(name, data).slice(0, 200).to_pandas()
            except ValidationError as e:
                problems.append(e)
                continue
            proposed = importers.propose_mapping(preview, table)
            canon = list(db.TABLES[table])
            mapping = {}
            for col in preview.columns:
                options = [IGNORE, *canon]
                if proposed.get(col) and proposed[col] not in options:
                    options.append(proposed[col])  # an extra customer attribute, kept
                choice = st.selectbox(f"`{col}` →", options,
                                      index=options.index(proposed.get(col, IGNORE)),
                                      key=f"import_data.map.{table}.{col}")
                if choice != IGNORE:
                    mapping[col] = choice
            mappings[table] = mapping
            st.dataframe(preview.head(10), hide_index=True, key=f"import_data.preview.{table}")
else:
    _take("preset", "Data file(s)")
    for name, data in uploads.get("preset", []):
        try:
            st.dataframe(importers.read_table(name, data).slice(0, 10).to_pandas(),
                         hide_index=True, key=f"import_data.preview.{name}")
        except ValidationError as e:
            problems.append(e)

for e in problems:
    widgets.render_error(e)

name = st.text_input("Data set name", key="import_data.name",
                     placeholder="e.g. Online shop 2024")
target = None
if name.strip():
    try:
        target = paths.dataset_path(datasets.slugify(name))
    except ValueError as e:
        st.error(str(e))
append = False
if target is not None and target.exists():
    append = st.checkbox(f"Add to the existing data set '{datasets.label(target)}'",
                         key="import_data.append")
    if not append:
        st.warning("A data set with this name exists: choose another name, or add to it.")

slots = [t for t in uploads if t != "preset"] if kind == GENERIC else ["preset"]
ready = target is not None and (append or not target.exists()) and not problems and any(
    uploads.get(s) for s in slots)
if st.button("Import", type="primary", disabled=not ready, key="import_data.go"):
    bar = st.progress(0.0, text="Starting…")
    try:
        result = importers.import_dataset(
            Path(target),
            sources={t: uploads[t] for t in slots} if kind == GENERIC else None,
            preset=None if kind == GENERIC else kind,
            files=None if kind == GENERIC else uploads["preset"],
            mappings=mappings or None, dataset_name=name.strip(),
            if_exists="append" if append else "error",
            progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text),
        )
    except ValidationError as e:
        bar.empty()
        widgets.render_error(e)
        st.stop()
    st.session_state[LAST] = {"name": name.strip(), "counts": result.row_counts,
                              "dropped": result.dropped, "notes": result.notes}
    st.session_state.pop(FILES, None)
    st.session_state[state.ACTIVE_DATASET] = str(result.path)
    st.session_state.pop(state.AS_OF, None)  # the new data set has its own dates
    st.session_state[state.FLASH] = f"Imported {name.strip()}: {result.summary()}."
    st.rerun()
