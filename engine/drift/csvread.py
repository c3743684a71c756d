"""Read a CSV file as Arrow record batches with bounded memory, one line-aligned chunk at a time.

pyarrow's streaming reader (`open_csv`) reads the file ahead of its parser without a bound: on a
400 MB file it held about 450 MB before the first batch came out. Here the file is cut into
CHUNK_BYTES pieces at line ends and each piece is parsed by `read_csv` (on every core), so at
most one raw chunk and its parsed batch are alive. Like pyarrow's default (`newlines_in_values`
off), a line end always ends a row.
"""

from __future__ import annotations

import gzip
import io
from typing import Iterator

import pyarrow as pa
import pyarrow.csv as pcsv

CHUNK_BYTES = 16 << 20


def csv_batches(path: str, delimiter: str, types: dict[str, pa.DataType], compressed: bool
                ) -> Iterator[pa.RecordBatch]:
    """Yield one record batch per chunk; column types are inferred from the first chunk, then fixed."""
    with (gzip.open(path, "rb") if compressed else open(path, "rb")) as fh:
        header = fh.readline()
        parse = pcsv.ParseOptions(delimiter=delimiter)
        names = pcsv.read_csv(pa.py_buffer(header), parse_options=parse).schema.names
        fixed = dict(types)
        for chunk in _chunks(fh):
            try:
                table = pcsv.read_csv(
                    pa.py_buffer(chunk), parse_options=parse,
                    read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 20),
                    convert_options=pcsv.ConvertOptions(strings_can_be_null=True, column_types=fixed))
            except pa.ArrowInvalid as exc:
                exc.csv_names, exc.csv_types = names, fixed  # what the caller needs to widen the column
                raise
            if len(fixed) < len(names):
                # later chunks must parse as the first did (a contradiction raises, and the caller widens);
                # an all-empty column stays free until values show its type
                fixed.update({f.name: f.type for f in table.schema if not pa.types.is_null(f.type)})
            yield from table.combine_chunks().to_batches()


def _chunks(fh: io.BufferedIOBase) -> Iterator[bytes]:
    rest = b""
    while True:
        block = fh.read(CHUNK_BYTES)
        if not block:
            if rest.strip():
                yield rest if rest.endswith(b"\n") else rest + b"\n"
            return
        data = rest + block
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        yield data[:cut + 1]
        rest = data[cut + 1:]
