"""Readers: CSV, Parquet, glob, http URL, SQL; time windows; bad input names file and column."""

from __future__ import annotations

import functools
import http.server
import threading
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from engine.drift import csvread
from engine.drift import DriftOptions, FileSource, SqlSource, TableSource, Window, compare
from engine.errors import InvalidInput


def _write(df: pd.DataFrame, path) -> str:
    if str(path).endswith(".parquet"):
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)
    return str(path)


def test_csv_and_parquet_give_the_same_report(tmp_path, frames):
    ref, cur = frames(600, 0.0, seed=1), frames(700, 0.5, seed=2)
    from_csv = compare(FileSource(_write(ref, tmp_path / "r.csv")), FileSource(_write(cur, tmp_path / "c.csv")))
    from_pq = compare(FileSource(_write(ref, tmp_path / "r.parquet")),
                      FileSource(_write(cur, tmp_path / "c.parquet")))
    in_memory = compare(TableSource(ref), TableSource(cur))
    for other in (from_pq, in_memory):
        assert [(f.name, f.method, f.drifted) for f in other.features] == \
               [(f.name, f.method, f.drifted) for f in from_csv.features]
        for a, b in zip(other.features, from_csv.features):
            assert a.score == pytest.approx(b.score, rel=1e-9, abs=1e-12)


def test_csv_column_that_turns_float_late_is_reread(tmp_path, monkeypatch):
    monkeypatch.setattr(csvread, "CHUNK_BYTES", 4096)  # the float shows up after the first block
    values = list(range(3000)) + [2.5]
    df = pd.DataFrame({"x": values, "y": np.arange(len(values)) % 4})
    path = _write(df, tmp_path / "late.csv")
    report = compare(FileSource(path), FileSource(path))
    x = next(f for f in report.features if f.name == "x")
    assert x.kind == "numerical" and not x.drifted and report.reference.rows == 3001


def test_glob_reads_every_matching_file(tmp_path, frames):
    for i in range(3):
        _write(frames(200, 0.0, seed=i), tmp_path / f"part-{i}.parquet")
    report = compare(FileSource(str(tmp_path / "part-*.parquet")), FileSource(str(tmp_path / "part-0.parquet")))
    assert report.reference.rows == 600 and report.current.rows == 200


def test_http_url_is_downloaded(tmp_path, frames):
    _write(frames(300, 0.0, seed=3), tmp_path / "ref.csv")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/ref.csv"
        report = compare(FileSource(url), FileSource(str(tmp_path / "ref.csv")))
        assert report.n_drifted == 0 and report.reference.rows == 300
        with pytest.raises(InvalidInput, match="missing.csv"):
            compare(FileSource(f"http://127.0.0.1:{server.server_port}/missing.csv"), FileSource(url))
    finally:
        server.shutdown()
        server.server_close()


def test_sql_query_source_with_window(tmp_path, frames):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    df = frames(1200, 0.0, seed=4)
    df["ts"] = pd.date_range("2026-01-01", periods=len(df), freq="h").strftime("%Y-%m-%d %H:%M:%S")
    df["churned"] = df["churned"].astype(int)
    engine = sa.create_engine(url)
    df.to_sql("events", engine, index=False)
    engine.dispose()
    window = Window("ts", datetime(2026, 1, 11, tzinfo=timezone.utc), datetime(2026, 1, 21, tzinfo=timezone.utc))
    report = compare(SqlSource(url, "SELECT * FROM events WHERE ts < '2026-01-11'"),
                     SqlSource(url, "SELECT * FROM events", window=window))
    assert report.reference.rows == 240 and report.current.rows == 240
    assert "ts" not in {f.name for f in report.features}
    with pytest.raises(InvalidInput, match="no rows with `ts`"):
        compare(SqlSource(url, "SELECT * FROM events"),
                SqlSource(url, "SELECT * FROM events", window=Window("ts", datetime(2030, 1, 1))))
    with pytest.raises(InvalidInput, match="query failed"):
        compare(SqlSource(url, "SELECT * FROM nope"), SqlSource(url, "SELECT 1"))


def test_file_window_on_timestamp_column(tmp_path, frames):
    df = frames(1000, 0.0, seed=5)
    df["when"] = pd.date_range("2026-02-01", periods=1000, freq="min", tz="UTC")
    path = _write(df, tmp_path / "d.parquet")
    window = Window("when", datetime(2026, 2, 1, 10, tzinfo=timezone.utc))
    report = compare(FileSource(path), FileSource(path, window=window))
    assert report.current.rows == 1000 - 600
    with pytest.raises(InvalidInput, match="time column `nope` not found"):
        compare(FileSource(path), FileSource(path, window=Window("nope")))


def test_bad_input_names_file_and_column(tmp_path, frames, monkeypatch):
    monkeypatch.setattr(csvread, "CHUNK_BYTES", 4096)
    good = _write(frames(100, 0.0), tmp_path / "good.csv")
    with pytest.raises(InvalidInput, match="nothing.csv: file not found"):
        compare(FileSource(good), FileSource(str(tmp_path / "nothing.csv")))
    with pytest.raises(InvalidInput, match="no files match"):
        compare(FileSource(good), FileSource(str(tmp_path / "x*.csv")))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match="broken.parquet: cannot read"):
        compare(FileSource(good), FileSource(str(broken)))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("a,b\n" + "1.5,x\n" * 2000 + "oops,y\n")  # a number column, then a word
    with pytest.raises(InvalidInput, match=r"mixed.csv: column `a` mixes types"):
        compare(FileSource(str(mixed)), FileSource(good))
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(InvalidInput, match="empty.csv: no rows"):
        compare(FileSource(good), FileSource(str(empty)))
    with pytest.raises(InvalidInput, match="column `salary` not found"):
        compare(FileSource(good), FileSource(good), DriftOptions(columns=["salary"]))
    sheet = tmp_path / "sheet.xlsx"
    sheet.write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="sheet.xlsx: unknown file type"):
        compare(FileSource(good), FileSource(str(sheet)))


def test_mixed_types_across_glob_files(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "p1.parquet")
    pd.DataFrame({"a": ["x", "y", "z"]}).to_parquet(tmp_path / "p2.parquet")
    with pytest.raises(InvalidInput, match=r"p2.parquet: column `a` mixes types"):
        compare(FileSource(str(tmp_path / "p*.parquet")), FileSource(str(tmp_path / "p1.parquet")))


def test_current_file_read_ahead_keeps_errors_in_order_and_retypes(tmp_path, frames, monkeypatch):
    # the current file's first piece is parsed while the reference is read: its errors still come
    # after the reference's, and a column that widens in the current file is still re-read
    monkeypatch.setattr(csvread, "CHUNK_BYTES", 4096)
    good = _write(frames(300, 0.0), tmp_path / "good.csv")
    with pytest.raises(InvalidInput, match="first.csv: file not found"):
        compare(FileSource(str(tmp_path / "first.csv")), FileSource(str(tmp_path / "second.csv")))
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01binary")
    with pytest.raises(InvalidInput, match="broken.csv: not a CSV file"):
        compare(FileSource(good), FileSource(str(broken)))
    late = pd.DataFrame({"x": list(range(3000)) + [2.5], "y": np.arange(3001) % 4})
    report = compare(FileSource(_write(late.iloc[:2000], tmp_path / "ref.csv")),
                     FileSource(_write(late, tmp_path / "late.csv")))
    x = next(f for f in report.features if f.name == "x")
    assert x.kind == "numerical" and report.current.rows == 3001
