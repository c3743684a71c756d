"""Arrow arrays to numpy without pyarrow.compute on the common paths.

`import pyarrow.compute` builds a Python wrapper for each of about 280 kernels: 0.05-0.1 s of CPU,
a quarter of what `opsbot drift` needs for 100,000 rows. Numbers and dictionary-encoded text are
and booleans are read straight from their buffers here; only rare types (decimals, half floats,
text not dictionary-encoded) import it, on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

_NUMPY_TYPES = {"double": np.float64, "float": np.float32, "int64": np.int64, "int32": np.int32,
                "int16": np.int16, "int8": np.int8, "uint64": np.uint64, "uint32": np.uint32,
                "uint16": np.uint16, "uint8": np.uint8}


def valid_mask(arr: pa.Array) -> np.ndarray | None:
    """Return a boolean array, True where arr holds a value; None when nothing is null."""
    if arr.null_count == 0:
        return None
    if arr.null_count == len(arr) or arr.buffers()[0] is None:  # null-typed arrays have no bitmap
        return np.zeros(len(arr), dtype=bool)
    bits = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little")[arr.offset:arr.offset + len(arr)].view(bool)


def _plain(arr: pa.Array, dtype: Any) -> np.ndarray:
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * np.dtype(dtype).itemsize)


def float_values(arr: pa.Array) -> np.ndarray:
    """Return a numeric Arrow array as float64 numpy values, nulls as NaN.

    Reads the data buffer directly: pyarrow's to_numpy() imports pandas (half a second) on the
    first call.
    """
    if pa.types.is_null(arr.type):
        return np.full(len(arr), np.nan)
    dtype = _NUMPY_TYPES.get(str(arr.type))
    if dtype is None:  # decimals, half floats: rare enough to pay for the compute module
        import pyarrow.compute as pc

        arr, dtype = pc.cast(arr, pa.float64()), np.float64
    mask = valid_mask(arr)
    values = _plain(arr, dtype).astype(np.float64, copy=mask is not None)
    if mask is not None:
        values[~mask] = np.nan
    return values


def dictionary_counts(arr: pa.DictionaryArray) -> np.ndarray:
    """Return the number of rows holding each dictionary entry (nulls not counted)."""
    indices = arr.indices
    values = _plain(indices, _NUMPY_TYPES[str(indices.type)])
    mask = valid_mask(indices)
    if mask is not None:
        values = values[mask]
    return np.bincount(values, minlength=len(arr.dictionary))


def value_counts(arr: pa.Array) -> list[tuple[Any, int]]:
    """Return (value, count) pairs of the non-null values of arr."""
    if pa.types.is_dictionary(arr.type):
        return list(zip(arr.dictionary.to_pylist(), dictionary_counts(arr).tolist()))
    if pa.types.is_boolean(arr.type):
        bits = np.unpackbits(np.frombuffer(arr.buffers()[1], dtype=np.uint8), bitorder="little")
        values = bits[arr.offset:arr.offset + len(arr)].view(bool)
        mask = valid_mask(arr)
        if mask is not None:
            values = values[mask]
        trues = int(np.count_nonzero(values))
        return [(value, n) for value, n in ((False, len(values) - trues), (True, trues)) if n]
    import pyarrow.compute as pc  # plain text: hashing strings is what the kernel is for

    vc = pc.value_counts(pc.drop_null(arr))
    return list(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))
