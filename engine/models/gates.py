"""Promotion gates: a tiny safe expression language (no eval) and its per-gate verdicts.

    auc >= champion.auc - 0.002            metric vs the current holder of the alias
    latency_p95_ms <= 1.1 * champion.latency_p95_ms
    validation_status == passed            a tag of the candidate (bare word or "quoted")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from engine.errors import InvalidInput

_TOKEN = re.compile(r"""\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<str>"[^"]*"|'[^']*')
    |(?P<name>[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)?)|(?P<op>>=|<=|==|!=|[<>+\-*/()]))""", re.X)
COMPARATORS = (">=", "<=", "==", "!=", ">", "<")
CURRENT_PREFIXES = ("champion", "current")  # `current.x` reads the holder of whatever alias is targeted


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Word:
    text: str  # a bare word or quoted string, compared with tags


@dataclass(frozen=True)
class Ref:
    scope: str  # "candidate" or the alias whose holder is read ("champion", "current", ...)
    metric: str


@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


Expr = Union[Num, Word, Ref, BinOp, Neg]


@dataclass(frozen=True)
class Gate:
    """A parsed gate: `left <op> right`, with its source text."""

    source: str
    left: Expr
    op: str
    right: Expr

    @property
    def is_tag_gate(self) -> bool:
        """Return True when the gate compares a tag with a word."""
        return isinstance(self.right, Word) and isinstance(self.left, Ref) and self.op in ("==", "!=")

    @property
    def subject(self) -> str:
        """Return the metric or tag the gate is about (its first candidate reference)."""
        ref = _first_ref(self.left) or _first_ref(self.right)
        return ref.metric if ref else self.source


def _first_ref(e: Expr) -> Ref | None:
    if isinstance(e, Ref):
        return e if e.scope == "candidate" else None
    if isinstance(e, BinOp):
        return _first_ref(e.left) or _first_ref(e.right)
    if isinstance(e, Neg):
        return _first_ref(e.operand)
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise InvalidInput(f"gate `{text}`: cannot read `{text[pos:].strip()[:20]}`",
                                   hint="use metrics, champion.<metric>, numbers, + - * / ( ) and one comparison")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise InvalidInput(f"gate `{self.text}`: ends too early")
        self.i += 1
        return tok

    def gate(self) -> Gate:
        left = self.expr()
        tok = self.take()
        if tok[0] != "op" or tok[1] not in COMPARATORS:
            raise InvalidInput(f"gate `{self.text}`: expected a comparison ({' '.join(COMPARATORS)}), got `{tok[1]}`")
        right = self.expr()
        if self.peek() is not None:
            raise InvalidInput(f"gate `{self.text}`: unexpected `{self.peek()[1]}` after the comparison")
        if isinstance(right, Word) and tok[1] not in ("==", "!="):
            raise InvalidInput(f"gate `{self.text}`: words can only be compared with == or !=")
        return Gate(self.text.strip(), left, tok[1], right)

    def expr(self) -> Expr:
        node = self.term()
        while (t := self.peek()) and t[1] in ("+", "-"):
            self.take()
            node = BinOp(t[1], node, self.term())
        return node

    def term(self) -> Expr:
        node = self.factor()
        while (t := self.peek()) and t[1] in ("*", "/"):
            self.take()
            node = BinOp(t[1], node, self.factor())
        return node

    def factor(self) -> Expr:
        kind, text = self.take()
        if kind == "num":
            return Num(float(text))
        if kind == "str":
            return Word(text[1:-1])
        if kind == "name":
            if "." in text:
                scope, metric = text.split(".", 1)
                return Ref(scope, metric) if scope != "candidate" else Ref("candidate", metric)
            # a bare name after a comparison with == / != is a word; the evaluator decides by position
            return Ref("candidate", text)
        if text == "(":
            node = self.expr()
            if self.take()[1] != ")":
                raise InvalidInput(f"gate `{self.text}`: missing `)`")
            return node
        if text == "-":
            return Neg(self.factor())
        raise InvalidInput(f"gate `{self.text}`: unexpected `{text}`")


def parse_gate(text: str) -> Gate:
    """Parse one gate expression, raising InvalidInput that says what is wrong."""
    gate = _Parser(text).gate()
    # `validation_status == passed`: a bare name on the right of ==/!= is a word, not a metric
    if gate.op in ("==", "!=") and isinstance(gate.right, Ref) and gate.right.scope == "candidate" \
            and isinstance(gate.left, Ref):
        gate = Gate(gate.source, gate.left, gate.op, Word(gate.right.metric))
    return gate
