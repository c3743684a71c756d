"""Stream the rows of a SQL query (SQLAlchemy) as Arrow record batches."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import InvalidInput


def sql_batches(url: str, query: str, origin: str, batch_rows: int) -> Iterator[tuple[pa.RecordBatch, str]]:
    """Yield the query's rows in batches of at most batch_rows."""
    try:
        engine = sa.create_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise InvalidInput(f"{origin}: bad database URL ({type(exc).__name__})") from None
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(sa.text(query))
            names = list(result.keys())
            while rows := result.fetchmany(batch_rows):
                columns = list(zip(*rows))
                yield pa.RecordBatch.from_arrays(
                    [_column(values, name, origin) for name, values in zip(names, columns)], names=names), origin
    except SQLAlchemyError as exc:
        raise InvalidInput(f"{origin}: query failed ({str(exc).splitlines()[0][:200]})") from None
    finally:
        engine.dispose()


def _column(values: tuple, name: str, origin: str) -> pa.Array:
    if any(isinstance(v, Decimal) for v in values):
        values = tuple(None if v is None else float(v) for v in values)
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise InvalidInput(f"{origin}: column `{name}` mixes types",
                           hint="cast the column to one type in the query") from None
