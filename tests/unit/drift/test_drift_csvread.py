"""The CSV reader: a mapped file and a read one are cut into the same pieces and give the same batches."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pytest

from engine.drift import csvread

BODIES = {
    "plain": "a,b\n" + "".join(f"{i * 0.5},v{i % 3}\n" for i in range(2000)),
    "no final line end": "a,b\n" + "".join(f"{i},x{i % 5}\n" for i in range(1500)) + "7,x1",
    "blank tail": "a,b\n" + "".join(f"{i},y\n" for i in range(900)) + "\n\n  \n",
    "long line": "a,b\n1,short\n2," + "w" * 9000 + "\n3,short\n" + "4,z\n" * 700,
    "crlf": "a,b\r\n" + "".join(f"{i},{'t' if i % 2 else 'f'}\r\n" for i in range(1200)),
    "header only": "a,b\n",
}


def _pieces_read(path) -> list[bytes]:
    with open(path, "rb") as fh:
        fh.readline()
        return [bytes(p) for p in csvread._chunks(fh)]


def _pieces_mapped(path) -> list[bytes]:
    with open(path, "rb") as fh:
        start = len(fh.readline())
        mapped = csvread._map(fh)
        assert mapped is not None
        return [bytes(p) for p in csvread._mapped_chunks(mapped, start)]


@pytest.mark.parametrize("chunk", [4096, 5000, 1 << 20])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_mapped_file_is_cut_where_reads_cut_it(tmp_path, monkeypatch, name, chunk):
    monkeypatch.setattr(csvread, "CHUNK_BYTES", chunk)
    path = tmp_path / "d.csv"
    path.write_bytes(BODIES[name].encode())
    read, mapped = _pieces_read(path), _pieces_mapped(path)
    assert mapped == read
    if name != "header only":
        assert len(read) >= (2 if chunk < 8000 else 1) and all(p.endswith(b"\n") for p in read)


def test_mapped_and_gzipped_files_give_the_same_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(csvread, "CHUNK_BYTES", 4096)  # many pieces, parsed PARSERS at a time
    body = BODIES["plain"] + BODIES["no final line end"].split("\n", 1)[1].replace("x", "v")
    plain, packed = tmp_path / "d.csv", tmp_path / "d.csv.gz"
    plain.write_bytes(body.encode())
    packed.write_bytes(gzip.compress(body.encode()))
    mapped = pa.Table.from_batches(list(csvread.csv_batches(str(plain), ",", {}, False, mapped=True)))
    read = pa.Table.from_batches(list(csvread.csv_batches(str(packed), ",", {}, True, mapped=True)))
    assert mapped.num_rows == read.num_rows == 3501
    assert mapped.equals(read)


def test_pages_of_parsed_pieces_are_released_as_parsing_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(csvread, "CHUNK_BYTES", 16384)
    path = tmp_path / "d.csv"
    path.write_bytes(("a\n" + "123456789\n" * 20_000).encode())
    released = []
    real = csvread._Mapping.release

    def spy(self):
        real(self)
        released.append(self.released)

    monkeypatch.setattr(csvread._Mapping, "release", spy)
    rows = sum(b.num_rows for b in csvread.csv_batches(str(path), ",", {}, False, mapped=True))
    assert rows == 20_000
    # one release per piece, in order, never past the file, ending within a page of its end
    assert len(released) >= 200_000 // 16384 and released == sorted(released)
    assert 200_002 - 4096 <= released[-1] <= 200_002


def test_only_sources_that_ask_are_mapped(tmp_path, frames, monkeypatch):
    from engine.drift import DriftOptions, FileSource, compare

    path = tmp_path / "d.csv"
    frames(300).to_csv(path, index=False)
    maps = []
    real = csvread._map
    monkeypatch.setattr(csvread, "_map", lambda fh: maps.append(fh.name) or real(fh))
    plain = compare(FileSource(str(path)), FileSource(str(path)), DriftOptions())
    assert maps == []  # the bot's checks read: a file truncated under a map would end the whole bot
    mapped = compare(FileSource(str(path), mapped=True), FileSource(str(path), mapped=True), DriftOptions())
    assert maps == [str(path), str(path)]
    assert mapped.to_dict() == plain.to_dict()
