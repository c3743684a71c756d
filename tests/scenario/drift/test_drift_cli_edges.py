"""`opsbot drift` at the edges, run as a user runs it: `python -m bot.main drift ...` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).parents[3]


def drift(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `python -m bot.main drift ARGV` from the worktree root; return the finished process."""
    return subprocess.run([sys.executable, "-m", "bot.main", "drift", *argv], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=120)


def frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Return n rows: two numbers, an integer and two categorical columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "income": rng.normal(40_000 + 8_000 * shift, 10_000, n).round(2),
        "latency": rng.lognormal(3 + shift, 0.5, n).round(3),
        "age": rng.integers(18, 80, n),
        "country": rng.choice(["US", "DE", "FR"], n, p=[0.5 - 0.3 * shift, 0.3, 0.2 + 0.3 * shift]),
        "plan": rng.choice(["free", "pro", "team"], n, p=[0.6 - 0.3 * shift, 0.3, 0.1 + 0.3 * shift]),
    })


@pytest.fixture
def ref_csv(tmp_path) -> Path:
    path = tmp_path / "ref.csv"
    frame(3000, 1).to_csv(path, index=False)
    return path


def test_no_columns_in_common_is_exit_2_with_the_reason(ref_csv, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n3,4\n")
    res = drift(str(ref_csv), str(other))
    assert res.returncode == 2, res.stdout
    err = res.stderr.decode()
    assert "have no columns in common" in err and "income" in err and "a, b" in err
    assert res.stdout == b""  # no "No dataset drift: 0 of 0" verdict


def test_semicolon_file_is_read_by_its_header_and_one_column_is_exit_2(ref_csv, tmp_path):
    semi = tmp_path / "semi.csv"
    frame(500, 2).to_csv(semi, index=False, sep=";")
    res = drift(str(ref_csv), str(semi))  # the header says ';': read as five columns, not one
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().startswith("No dataset drift: 0 of 5 features drifted")
    colon = tmp_path / "colon.csv"
    frame(500, 2).to_csv(colon, index=False, sep=":")
    res = drift(str(ref_csv), str(colon))
    assert res.returncode == 2 and res.stdout == b""
    err = res.stderr.decode()
    assert "read as one column `income:latency:age:country:plan`" in err and "--delimiter" in err
    res = drift(str(colon), str(colon), "--delimiter", ":")  # the flag the hint names works
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().startswith("No dataset drift: 0 of 5 features drifted")


def test_every_column_empty_is_exit_2(ref_csv, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("income,latency,age,country,plan\n" + ",,,,\n" * 40)
    res = drift(str(ref_csv), str(empty))
    assert res.returncode == 2
    assert "every column in common is empty on one side" in res.stderr.decode()


def test_binary_file_error_never_echoes_raw_bytes(ref_csv, tmp_path):
    junk = tmp_path / "current.csv"
    junk.write_bytes(bytes(range(256)) * 40 + b"\x1b[31mred\x07")
    res = drift(str(ref_csv), str(junk))
    assert res.returncode == 2
    err = res.stderr
    assert b"not a CSV file (binary content" in err
    assert all(b == 0x0A or 0x20 <= b < 0x7F for b in err), err  # plain printable ASCII only
    assert b"--input-format parquet" in err  # the hint names a flag that exists


def test_input_format_flag_reads_parquet_files_without_extension(ref_csv, tmp_path):
    ref, cur = tmp_path / "reference.export", tmp_path / "current.export"
    frame(3000, 1).to_parquet(ref, index=False)
    frame(3000, 3, shift=1.0).to_parquet(cur, index=False)
    res = drift(str(ref), str(cur), "--input-format", "parquet")  # the flag applies to REF and CUR
    assert res.returncode == 1, res.stderr
    assert res.stdout.decode().startswith("DATASET DRIFT")
    res = drift(str(ref_csv), str(cur))  # without the flag, the content says Parquet
    assert res.returncode == 1, res.stderr
    wrong = tmp_path / "current.csv"
    frame(3000, 3).to_parquet(wrong, index=False)
    res = drift(str(ref_csv), str(wrong))
    assert res.returncode == 2 and "this is a Parquet file, not CSV" in res.stderr.decode()
    assert "--input-format parquet" in res.stderr.decode()


def test_dash_reads_current_from_stdin(ref_csv):
    same = frame(3000, 4).to_csv(index=False).encode()
    res = drift(str(ref_csv), "-", "--format", "json", stdin=same)
    assert res.returncode == 0, res.stderr
    assert b'"name": "stdin"' in res.stdout and b'"rows": 3000' in res.stdout
    moved = frame(3000, 5, shift=1.0).to_csv(index=False).encode()
    res = drift(str(ref_csv), "-", stdin=moved)
    assert res.returncode == 1 and b"current: stdin (3,000 rows)" in res.stdout
    res = drift("-", "-", stdin=moved)
    assert res.returncode == 2 and b"only one of REF and CUR can be '-'" in res.stderr


def test_duplicate_column_names_are_an_error_naming_them(ref_csv, tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("income,age,income,plan,plan\n1,2,3,a,b\n4,5,6,c,d\n")
    res = drift(str(ref_csv), str(dup))
    assert res.returncode == 2
    assert "duplicate column names: `income`, `plan`" in res.stderr.decode()


def test_one_row_current_keeps_categorical_columns_tested(ref_csv, tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("income,latency,age,country,plan\n41000,20.5,33,US,pro\n")
    res = drift(str(ref_csv), str(one), "--format", "table")
    assert res.returncode in (0, 1), res.stderr
    kinds = {line.split()[0]: line.split()[1] for line in res.stdout.decode().splitlines()[1:]}
    assert kinds["country"] == "categorical" and kinds["plan"] == "categorical"
    assert b"free text" not in res.stdout
