"""Where drift data comes from: files (CSV, Parquet; path, glob or URL), SQL, or in-memory tables.

Every source is read as a stream of Arrow record batches, so memory stays bounded by the
batch size plus what the profiles keep.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterator, Optional

import pyarrow as pa

from engine.drift.csvread import csv_batches
from engine.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

BATCH_ROWS = 131_072
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
_CSV_COLUMN_ERROR = re.compile(r"CSV column #(\d+).*conversion error to (\w+)")
# When a later CSV block contradicts the type inferred from the first, widen and re-read.
# A double column meeting text is a real mix of numbers and words: that is reported, not guessed.
_WIDER = {"int64": pa.float64(), "null": pa.float64(), "double": None}


@dataclass(frozen=True)
class Window:
    """Keep rows whose `column` lies in [start, end); open ends are allowed."""

    column: str
    start: Optional[datetime] = None
    end: Optional[datetime] = None


@dataclass(frozen=True)
class FileSource:
    """A CSV or Parquet file: local path, glob pattern, or http(s) URL."""

    path: str
    format: Optional[str] = None  # "csv" | "parquet"; guessed from the name (then the content) when None
    window: Optional[Window] = None
    delimiter: Optional[str] = None  # CSV field separator; ',' (tab for .tsv) when None
    label: Optional[str] = None  # shown instead of the path (e.g. "stdin" for a spooled pipe)
    # memory-map uncompressed local CSV files (faster; a file truncated while read ends the process,
    # so only the one-shot `opsbot drift` command sets it)
    mapped: bool = False

    @property
    def name(self) -> str:
        """Return the label used in messages."""
        return self.label or self.path


@dataclass(frozen=True)
class SqlSource:
    """Rows of a SQL query run through SQLAlchemy."""

    url: str
    query: str
    window: Optional[Window] = None
    label: str = "SQL query"

    @property
    def name(self) -> str:
        """Return the label used in messages (never the URL, which may hold a password)."""
        return self.label


@dataclass(frozen=True)
class TableSource:
    """An in-memory pyarrow Table or pandas DataFrame."""

    data: Any = field(repr=False)
    label: str = "table"
    window: Optional[Window] = None

    @property
    def name(self) -> str:
        """Return the label used in messages."""
        return self.label


Source = FileSource | SqlSource | TableSource


class RetypeNeeded(Exception):
    """A CSV column must be re-read with a wider type (raised before anything is trusted)."""

    def __init__(self, path: str, column: str, arrow_type: pa.DataType) -> None:
        super().__init__(f"{path}: re-read `{column}` as {arrow_type}")
        self.path, self.column, self.arrow_type = path, column, arrow_type


def iter_batches(source: Source, csv_types: dict[str, dict[str, pa.DataType]] | None = None
                 ) -> Iterator[tuple[pa.RecordBatch, str]]:
    """Yield (batch, origin) pairs, window applied; origin names the file or query."""
    for batch, origin in _raw_batches(source, csv_types or {}):
        if source.window is not None:
            batch = apply_window(batch, source.window, origin)
        yield batch, origin


def _raw_batches(source: Source, csv_types: dict[str, dict[str, pa.DataType]]) -> Iterator[tuple[pa.RecordBatch, str]]:
    if isinstance(source, TableSource):
        table = source.data if isinstance(source.data, pa.Table) else pa.Table.from_pandas(
            source.data, preserve_index=False)
        for batch in table.to_batches(BATCH_ROWS):
            yield batch, source.name
    elif isinstance(source, SqlSource):
        from engine.drift.sql import sql_batches
        yield from sql_batches(source.url, source.query, source.name, BATCH_ROWS)
    else:
        for path in _expand(source.path):
            origin = source.label or path
            if path.startswith(("http://", "https://")):
                local = _download(path)
                try:
                    fmt = source.format or guess_format(path, local)
                    yield from _file_batches(local, fmt, origin, csv_types.get(origin, {}), source.delimiter,
                                              source.mapped)
                finally:
                    os.unlink(local)
            else:
                fmt = source.format or guess_format(path, path)
                yield from _file_batches(path, fmt, origin, csv_types.get(origin, {}), source.delimiter,
                                         source.mapped)


def _expand(path: str) -> list[str]:
    if path.startswith(("http://", "https://")):
        return [path]
    if any(ch in path for ch in "*?["):
        import glob  # patterns only

        matches = sorted(glob.glob(path))
        if not matches:
            raise InvalidInput(f"{path}: no files match this pattern")
        return matches
    if not os.path.exists(path):
        raise InvalidInput(f"{path}: file not found")
    return [path]


def guess_format(name: str, local: str) -> str:
    """Return "csv" or "parquet" from the name's extension, else from the first bytes of `local`."""
    lower = name.lower().split("?")[0]
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    head = _head(local)
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head and _is_text(head) and "." not in os.path.basename(lower):  # stdin, or a name without extension
        return "csv"
    raise InvalidInput(f"{name}: unknown file type",
                       hint="name it .csv or .parquet, or give --input-format csv|parquet")


def _head(path: str, size: int = 65_536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a multi-byte character cut by the 64 KiB read
    return True


def _check_csv(path: str, origin: str) -> str | None:
    """Refuse binary content before the CSV parser echoes it back; return the header's separator."""
    head = _head(path)
    if head.startswith(GZIP_MAGIC):
        return None
    if head.startswith(PARQUET_MAGIC):
        raise InvalidInput(f"{origin}: this is a Parquet file, not CSV", hint="give --input-format parquet")
    if not _is_text(head):
        raise InvalidInput(f"{origin}: not a CSV file (binary content, not UTF-8 text)",
                           hint="give a CSV (UTF-8) or Parquet file; for Parquet give --input-format parquet")
    return sniff_delimiter(head.split(b"\n", 1)[0].decode("utf-8", "replace"))


def sniff_delimiter(header: str) -> str | None:
    """Return the separator of a header line: ',' if it has one, else the most frequent of ; tab |."""
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in (";", "\t", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else None


def _download(url: str) -> str:
    import shutil
    import tempfile
    import urllib.error
    import urllib.request  # 35 ms of imports that only a URL source needs

    fd, local = tempfile.mkstemp(prefix="opsbot-drift-", suffix=os.path.basename(url.split("?")[0])[-40:])
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(resp, out, 1 << 20)  # streamed to disk: memory stays flat
    except (urllib.error.URLError, OSError, ValueError) as exc:
        os.unlink(local)
        raise InvalidInput(f"{url}: could not download ({exc})") from None
    return local


def _file_batches(path: str, fmt: str, origin: str, types: dict[str, pa.DataType], delimiter: Optional[str] = None,
                  mapped: bool = False) -> Iterator[tuple[pa.RecordBatch, str]]:
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq  # only when a Parquet file is read: it costs 0.1 s to import

            schema = pq.read_schema(path)
            # text columns come back dictionary-encoded: counting indices beats hashing strings
            strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            for batch in pq.ParquetFile(path, read_dictionary=strings).iter_batches(batch_size=BATCH_ROWS):
                yield batch, origin
            return
        sniffed = _check_csv(path, origin)
        # Excel exports in many locales use ';': read them as the user sees them, not as one column
        delimiter = delimiter or ("\t" if origin.lower().endswith(".tsv") else sniffed or ",")
        try:
            for batch in csv_batches(path, delimiter, types, _head(path, 2) == GZIP_MAGIC, mapped):
                yield batch, origin
        except pa.ArrowInvalid as exc:
            if not hasattr(exc, "csv_names"):
                raise
            _raise_retype(origin, exc.csv_names, exc.csv_types, exc)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise InvalidInput(f"{origin}: cannot read as {fmt} ({_short(exc)})") from None


def _raise_retype(origin: str, names: list[str], types: dict[str, pa.DataType], exc: Exception) -> None:
    match = _CSV_COLUMN_ERROR.search(str(exc))
    if not match:
        raise InvalidInput(f"{origin}: cannot read as csv ({_short(exc)})") from None
    column = names[int(match.group(1))]
    wider = _WIDER.get(str(types.get(column, pa.null())), pa.string())
    if wider is None:
        raise InvalidInput(f"{origin}: column `{column}` mixes types ({_short(exc)})",
                           hint="make the column hold one type in every row") from None
    raise RetypeNeeded(origin, column, wider) from None


def apply_window(batch: pa.RecordBatch, window: Window, origin: str) -> pa.RecordBatch:
    """Return the rows of batch inside the window."""
    import pandas as pd  # windows only: pandas parses every ISO and epoch flavour of time

    if window.column not in batch.schema.names:
        raise InvalidInput(f"{origin}: time column `{window.column}` not found",
                           hint=f"columns are: {', '.join(batch.schema.names)[:300]}")
    times = to_utc_series(batch.column(window.column), origin, window.column)
    keep = pd.Series(True, index=times.index)
    if window.start is not None:
        keep &= times >= pd.Timestamp(_utc(window.start))
    if window.end is not None:
        keep &= times < pd.Timestamp(_utc(window.end))
    return batch.filter(pa.array(keep.to_numpy()))


def to_utc_series(arr: pa.Array, origin: str, column: str) -> "pd.Series":
    """Return a column of timestamps (or ISO strings, or epoch seconds) as UTC pandas times."""
    import pandas as pd

    try:
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            values = pd.to_datetime(arr.to_pandas(), utc=True)
        elif pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
            values = pd.to_datetime(arr.to_pandas(), unit="s", utc=True)
        else:
            values = pd.to_datetime(arr.to_pandas(), utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(f"{origin}: time column `{column}` does not hold times ({_short(exc)})") from None
    return values.reset_index(drop=True)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _short(exc: Exception) -> str:
    return printable(str(exc).splitlines()[0][:200])


def printable(text: str) -> str:
    """Return text with control and undecodable characters escaped, so errors never echo raw bytes."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
