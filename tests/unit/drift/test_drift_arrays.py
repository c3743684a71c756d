"""Arrow buffers read directly give what pyarrow.compute gives, with nulls and slice offsets."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.drift.arrays import float_values, value_counts


def _sliced(values: list, arrow_type: pa.DataType, rng: random.Random) -> pa.Array:
    arr = pa.array(values, arrow_type)
    start = rng.randrange(len(arr))
    return arr.slice(start, rng.randrange(len(arr) - start + 1))


def _expected_counts(arr: pa.Array) -> list:
    vc = pc.value_counts(pc.drop_null(arr))
    return sorted(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def test_float_values_match_a_cast_with_nulls_as_nan():
    rng = random.Random(5)
    for arrow_type, make in ((pa.int64(), lambda: rng.randrange(-9, 9)), (pa.uint8(), lambda: rng.randrange(9)),
                             (pa.float32(), lambda: rng.random()), (pa.float64(), lambda: rng.gauss(0, 1)),
                             (pa.decimal128(6, 2), lambda: Decimal(rng.randrange(999)) / 100)):
        for _ in range(30):
            values = [None if rng.random() < 0.2 else make() for _ in range(rng.randrange(1, 40))]
            arr = _sliced(values, arrow_type, rng)
            expected = pc.fill_null(pc.cast(arr, pa.float64()), float("nan")).to_numpy(zero_copy_only=False)
            np.testing.assert_array_equal(float_values(arr), expected)
    assert np.isnan(float_values(pa.nulls(3))).all()


def test_value_counts_of_booleans_dictionaries_and_text_match_pyarrow():
    rng = random.Random(7)
    for _ in range(60):
        n = rng.randrange(1, 50)
        flags = [None if rng.random() < 0.2 else rng.random() < 0.5 for _ in range(n)]
        words = [None if rng.random() < 0.2 else rng.choice("abcde") for _ in range(n)]
        for arr in (_sliced(flags, pa.bool_(), rng), _sliced(words, pa.string(), rng),
                    _sliced(words, pa.string(), rng).dictionary_encode()):
            assert sorted((v, c) for v, c in value_counts(arr) if c) == _expected_counts(arr)
