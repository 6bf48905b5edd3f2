"""Reading an uploaded or local file into a table of strings, or refusing it clearly.

Every reader returns an Arrow table whose CSV columns are all text: types are decided
later, in SQL, where a value that does not parse can be counted and located by row
(``TRY_CAST``) instead of failing the whole read. Parquet and XLSX keep their own types.

The file's content decides how it is read, not only its name: a workbook renamed to
``.csv`` or a CSV renamed to ``.parquet`` is caught from its first bytes (magic numbers).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from promo_core.errors import ValidationError, ValidationProblem

FileSource = Path | str | tuple[str, bytes]

# Uploads and local files above this size are refused (the browser upload limit in
# .streamlit/config.toml is 200 MB; this one also protects the CLI and gz bombs).
DEFAULT_MAX_MB = float(os.environ.get("PROMO_LAB_MAX_IMPORT_MB", "200"))

SUPPORTED = (".csv", ".csv.gz", ".parquet", ".xlsx")

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"PAR1": "parquet",
    b"PK\x03\x04": "zip/xlsx",
    b"\xd0\xcf\x11\xe0": "old Excel (.xls)",
    b"%PDF": "PDF",
}


def max_bytes(limit_mb: float | None = None) -> int:
    return int((DEFAULT_MAX_MB if limit_mb is None else limit_mb) * 1024 * 1024)


def source_name(source: FileSource) -> str:
    return source[0] if isinstance(source, tuple) else Path(source).name


def source_bytes(source: FileSource) -> bytes:
    if isinstance(source, tuple):
        return source[1]
    try:
        return Path(source).read_bytes()
    except OSError as e:  # a CLI path that is missing or unreadable
        raise _fail(Path(source).name, f"cannot open {source}: {e.strerror}") from e


def _kind_of_content(data: bytes) -> str:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    return "text"


def _extension(name: str) -> str:
    lower = name.lower()
    for ext in (".csv.gz", ".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".gz"):
        if lower.endswith(ext):
            return ext
    return Path(lower).suffix


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError(name, [ValidationProblem(message)])


def _check_kind(name: str, ext: str, data: bytes) -> None:
    kind = _kind_of_content(data)
    expected = {
        ".csv": "text", ".tsv": "text", ".txt": "text", ".csv.gz": "gzip", ".gz": "gzip",
        ".parquet": "parquet", ".xlsx": "zip/xlsx",
    }.get(ext)
    if expected is None:
        raise _fail(name, f"unsupported file type '{ext or name}'; use one of "
                    + ", ".join(SUPPORTED))
    if kind != expected:
        raise _fail(name, f"the file is named {ext} but its content is {kind}, not "
                    f"{expected}; save it again in the format its name says")


def _decode_check(name: str, text: bytes) -> bytes:
    """Refuse text that is not UTF-8, naming the first bad row (1-based, after header)."""
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(name, "the file is UTF-16 encoded; save it as CSV UTF-8")
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]  # Excel's "CSV UTF-8" writes a BOM; harmless once removed
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as e:
        line = text.count(b"\n", 0, e.start)  # header is line 0, so this is the data row
        bad = text[e.start : e.start + 1]
        raise ValidationError(name, [ValidationProblem(
            f"the file is not UTF-8 encoded (byte {bad!r}; probably Latin-1/Windows-1252): "
            "save it as CSV UTF-8", count=1, examples=[max(line, 1)])]) from e
    return text


def _read_csv_text(name: str, text: bytes) -> pa.Table:
    text = _decode_check(name, text)
    if not text.strip():
        raise _fail(name, "the file is empty")
    first = text.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader([first], delimiter=delimiter))
    blank = [i + 1 for i, h in enumerate(header) if not h.strip()]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if blank or dupes:
        what = f"blank column names at position {blank}" if blank else f"repeated {dupes}"
        raise _fail(name, f"the header row is not usable: {what}")
    try:
        table = pcsv.read_csv(
            pa.py_buffer(text),
            parse_options=pcsv.ParseOptions(delimiter=delimiter),
            convert_options=pcsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True
            ),
            read_options=pcsv.ReadOptions(block_size=16 << 20),
        )
    except pa.ArrowInvalid as e:
        raise _fail(name, f"the CSV cannot be read: {e}") from e
    if table.num_rows == 0:
        raise _fail(name, "the file has a header but no data rows")
    return table


def _gunzip(name: str, data: bytes, limit: int) -> bytes:
    # Decompress with a cap so a small upload cannot expand into gigabytes.
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit * 10 + 1)
    except zlib.error as e:
        raise _fail(name, f"the gzip file is damaged: {e}") from e
    if len(out) > limit * 10:
        raise _fail(name, f"the file expands to more than {limit * 10 / 2**20:,.0f} MB")
    return out


def read_table(name: str, data: bytes | Path, *, limit_mb: float | None = None) -> pa.Table:
    """Read one file into Arrow (CSV columns as text); ``ValidationError`` when unusable."""
    if isinstance(data, Path):
        data = data.read_bytes()
    limit = max_bytes(limit_mb)
    if len(data) > limit:
        raise _fail(name, f"the file is {len(data) / 2**20:,.1f} MB; the limit is "
                    f"{limit / 2**20:,.0f} MB")
    if not data:
        raise _fail(name, "the file is empty (0 bytes)")
    ext = _extension(name)
    _check_kind(name, ext, data)
    if ext in (".csv.gz", ".gz"):
        return _read_csv_text(name, _gunzip(name, data, limit))
    if ext == ".parquet":
        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError) as e:
            raise _fail(name, f"the Parquet file cannot be read: {e}") from e
    elif ext == ".xlsx":
        try:
            # dtype=str keeps ids like 00123 intact; dates become ISO text.
            frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str, engine="openpyxl")
        except Exception as e:  # openpyxl raises many kinds for a damaged workbook
            raise _fail(name, f"the workbook cannot be read: {e}") from e
        frame.columns = [str(c) for c in frame.columns]
        table = pa.Table.from_pandas(frame, preserve_index=False)
    else:
        return _read_csv_text(name, data)
    if table.num_rows == 0:
        raise _fail(name, "the file has no data rows")
    return table


def read_file(name: str, data: bytes | Path) -> pd.DataFrame:
    """Read CSV, CSV.gz, Parquet or XLSX into a frame (CSV columns as text).

    ``name`` carries the extension the content must match. Raises ``ValidationError``
    for empty files, wrong encodings, a content that is not what the name says, or a
    file over the size limit (``PROMO_LAB_MAX_IMPORT_MB``, default 200).
    """
    return read_table(name, data).to_pandas()


def gzip_bytes(text: str) -> bytes:
    """Small helper for templates and tests: gzip a text deterministically."""
    return gzip.compress(text.encode("utf-8"), mtime=0)
