"""Audit anchors: reading `SEQ:HASH` wherever it is written, and checking a walked chain against them."""

from __future__ import annotations

import pytest

from engine.audit.anchors import Anchor, anchor_line, check_anchors, parse_anchor, read_anchors
from engine.errors import InvalidInput

H1, H2 = "a" * 64, "b" * 64


def test_parse_anchor_reads_seq_hash_and_a_bare_hash():
    assert parse_anchor(f" 42:{H1.upper()} ") == Anchor(42, H1)
    assert parse_anchor(H2) == Anchor(None, H2)


@pytest.mark.parametrize("bad", ["", "42", f"x:{H1}", f"42:{H1[:-1]}", f"²:{H1}", f"{'9' * 30}:{H1}"])
def test_parse_anchor_refuses_what_is_not_an_anchor(bad):
    with pytest.raises(InvalidInput):
        parse_anchor(bad)


def test_read_anchors_finds_pairs_in_files_and_logs(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(anchor_line(3, H1, "t") + f'{{"msg": "audit anchor 7:{H2} at t"}}\nnoise 12:short\n')
    assert read_anchors(f) == [Anchor(3, H1), Anchor(7, H2)]
    (tmp_path / "empty").write_text("nothing")
    with pytest.raises(InvalidInput, match="no SEQ:HASH"):
        read_anchors(tmp_path / "empty")
    with pytest.raises(InvalidInput, match="cannot read"):
        read_anchors(tmp_path / "missing")


def test_check_anchors_passes_growth_and_names_the_rewrite():
    chain = {3: H1, 7: H2}
    assert check_anchors([Anchor(3, H1), Anchor(0, "0" * 64)], chain, None, 9) == (None, "")
    seq, problem = check_anchors([Anchor(3, H2)], chain, None, 9)
    assert seq == 3 and "rewritten" in problem
    seq, problem = check_anchors([Anchor(12, H1)], chain, None, 9)
    assert seq == 12 and "gone" in problem
    assert check_anchors([Anchor(None, H2)], chain, {H1, H2}, 9) == (None, "")
    assert "no event has" in check_anchors([Anchor(None, "c" * 64)], chain, {H1, H2}, 9)[1]
