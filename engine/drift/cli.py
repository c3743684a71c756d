"""`opsbot drift REF CUR`: the offline drift check for CI pipelines.

Exit codes: 0 no dataset drift, 1 dataset drift, 2 bad input or no feature could be compared
(the message names the file and the column). `-` as REF or CUR reads that side from stdin.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, TypeVar

from engine.errors import InvalidInput

# Only the standard library at module level: `opsbot drift --help` must not pay for numpy, pyarrow,
# pydantic or yaml. Each is imported where it is first needed (tests/unit/drift/test_drift_imports.py).
if TYPE_CHECKING:
    from engine.core.clock import Clock
    from engine.drift.sources import FileSource, SqlSource, Window
    from engine.drift.types import DriftOptions, DriftReport

T = TypeVar("T")
METHODS = ("ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi")


def add_drift_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
                      clock: Optional[Clock] = None) -> argparse.ArgumentParser:
    """Add the `drift` command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "drift", help="compare a reference and a current dataset (exit 1 on dataset drift)",
        description="Compare CUR against REF feature by feature with Evidently's DataDriftPreset "
                    "defaults. REF/CUR: CSV or Parquet path, glob, http(s) URL, '-' for stdin, or 'sql:QUERY' "
                    "with --db-url. Exit 0: no dataset drift; 1: dataset drift; 2: bad input or no feature "
                    "could be compared. Numerical distances (Wasserstein) are in reference standard deviations.")
    p.add_argument("reference", nargs="?", metavar="REF")
    p.add_argument("current", nargs="?", metavar="CUR")
    p.add_argument("--input-format", choices=("csv", "parquet"),
                   help="read REF and CUR as this format (default: from the extension, else the content)")
    p.add_argument("--delimiter", metavar="CHAR", help="CSV field separator (default ',' and tab for .tsv)")
    p.add_argument("--format", choices=("text", "json", "table"), default="text")
    p.add_argument("--evidently", metavar="REPORT.json", help="summarise an existing Evidently JSON report instead")
    p.add_argument("--column-mapping", metavar="FILE", help="JSON/YAML: numerical_features, categorical_features, "
                   "id, datetime, exclude, columns")
    p.add_argument("--exclude", action="append", default=[], metavar="COL", help="leave a column out (repeatable)")
    p.add_argument("--columns", metavar="A,B,...", help="test only these columns")
    p.add_argument("--method", action="append", default=[], metavar="[COL=]METHOD",
                   help=f"test for all or one column: {', '.join(METHODS)}")
    p.add_argument("--threshold", action="append", default=[], metavar="[COL=]VALUE")
    p.add_argument("--num-method", choices=METHODS)
    p.add_argument("--cat-method", choices=METHODS)
    p.add_argument("--drift-share", type=float, default=0.5)
    p.add_argument("--time-column", metavar="COL", help="timestamp column selecting current rows")
    p.add_argument("--window", metavar="24h", help="current rows from the last window (ending --until or now)")
    p.add_argument("--since", metavar="ISO-TIME")
    p.add_argument("--until", metavar="ISO-TIME")
    p.add_argument("--db-url", metavar="URL", help="SQLAlchemy URL for sql: sources")
    p.add_argument("--top", type=int, default=5, help="drivers shown in text output")
    p.set_defaults(func=_runner(clock))
    return p


def _runner(clock: Optional[Clock]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from engine.drift.sources import printable
        from engine.drift.text import format_table, format_text

        try:
            with _stdin_spooled(args):
                report = _report(args, clock)
        except InvalidInput as exc:
            print(f"opsbot drift: {printable(str(exc))}", file=sys.stderr)
            return 2
        if args.format == "json":
            text = report.to_json(indent=2)
        elif args.format == "table":
            text = format_table(report)
        else:
            text = format_text(report, args.top)
        try:
            print(text, flush=True)
        except BrokenPipeError:
            # the reader stopped early (`| head`): the verdict is the exit code, not a database error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail too
        return 1 if report.dataset_drift else 0
    return run


def _report(args: argparse.Namespace, clock: Optional[Clock]) -> DriftReport:
    from engine.drift.service import compare

    if args.evidently:
        from engine.drift.evidently_report import load_evidently_report

        return load_evidently_report(args.evidently)
    if not args.reference or not args.current:
        raise InvalidInput("give REF and CUR (or --evidently REPORT.json)")
    options = _options(args)
    window = _window(args, clock)

    return compare(_source(args.reference, args, None), _source(args.current, args, window), options)


def _source(spec: str, args: argparse.Namespace, window: Optional[Window]) -> FileSource | SqlSource:
    from engine.drift.sources import FileSource, SqlSource

    if spec.startswith("sql:"):
        if not args.db_url:
            raise InvalidInput(f"{spec[:40]}: a sql: source needs --db-url")
        return SqlSource(args.db_url, spec[4:], window=window, label=f"query `{spec[4:60]}`")
    if args.delimiter is not None and len(args.delimiter.replace("\\t", "\t")) != 1:
        raise InvalidInput(f"--delimiter {args.delimiter!r}: give one character, e.g. ';' or '\\t'")
    delimiter = args.delimiter.replace("\\t", "\t") if args.delimiter else None
    if spec == "-":
        return FileSource(args.stdin_path, format=args.input_format, window=window, delimiter=delimiter,
                          label="stdin", mapped=True)
    # one-shot command: files are memory-mapped (see engine/drift/csvread.py)
    return FileSource(spec, format=args.input_format, window=window, delimiter=delimiter, mapped=True)


@contextmanager
def _stdin_spooled(args: argparse.Namespace) -> Iterator[None]:
    """Copy stdin to a temporary file when REF or CUR is '-': a CSV may need a second pass."""
    args.stdin_path = None
    sides = [s for s in (args.reference, args.current) if s == "-"]
    if not sides:
        yield
        return
    if len(sides) > 1:
        raise InvalidInput("only one of REF and CUR can be '-' (stdin)")
    import shutil
    import tempfile  # with shutil, 10-20 ms of imports (bz2, lzma, random) only a pipe needs

    fd, path = tempfile.mkstemp(prefix="opsbot-drift-stdin-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)  # to disk: memory stays flat
        if os.path.getsize(path) == 0:
            raise InvalidInput("stdin: no data (pipe a CSV or Parquet file into '-')")
        args.stdin_path = path
        yield
    finally:
        os.unlink(path)


def _window(args: argparse.Namespace, clock: Optional[Clock]) -> Optional[Window]:
    from engine.core.bounds import parse_duration
    from engine.drift.sources import Window

    if not args.time_column:
        if args.window or args.since or args.until:
            raise InvalidInput("--window/--since/--until need --time-column")
        return None
    until = _time(args.until, "--until") if args.until else None
    since = _time(args.since, "--since") if args.since else None
    if args.window:
        if until is None:
            from engine.core.clock import SystemClock  # engine.ports comes with it: only windows need it

            until = (clock or SystemClock()).now()
        since = until - parse_duration(args.window, "--window")

    return Window(args.time_column, since, until)


def _options(args: argparse.Namespace) -> DriftOptions:
    from engine.drift.types import DriftOptions

    mapping = _mapping(args.column_mapping) if args.column_mapping else {}
    exclude = list(args.exclude) + list(mapping.get("exclude") or [])
    exclude += [mapping[k] for k in ("id", "datetime") if mapping.get(k)]
    columns = args.columns.split(",") if args.columns else mapping.get("columns")
    per_method, method = _pairs(args.method, "--method", str)
    per_threshold, threshold = _pairs(args.threshold, "--threshold", float)
    try:
        return DriftOptions(
            drift_share=args.drift_share, method=method, num_method=args.num_method, cat_method=args.cat_method,
            per_column_method=per_method, threshold=threshold, per_column_threshold=per_threshold,
            columns=columns, exclude=exclude, numerical=mapping.get("numerical_features") or [],
            categorical=mapping.get("categorical_features") or [])
    except ValueError as exc:
        raise InvalidInput(f"bad drift options: {str(exc).splitlines()[-1].strip()}") from None


def _pairs(values: list[str], flag: str, cast: Callable[[str], T]) -> tuple[dict[str, T], Optional[T]]:
    per_column: dict[str, T] = {}
    overall: Optional[T] = None
    for item in values:
        column, _, value = item.rpartition("=")
        try:
            parsed = cast(value)
        except ValueError:
            raise InvalidInput(f"{flag} {item}: bad value") from None
        if flag == "--method" and parsed not in METHODS:
            raise InvalidInput(f"{flag} {item}: unknown method; use one of {', '.join(METHODS)}")
        if column:
            per_column[column] = parsed
        else:
            overall = parsed
    return per_column, overall


def _mapping(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)  # YAML is a superset of JSON
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read column mapping ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: column mapping must be a mapping of keys to column names")
    return data


def _time(text: str, flag: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{flag} {text}: not an ISO time (e.g. 2026-01-31T00:00:00Z)") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def main(argv: Optional[list[str]] = None) -> int:
    """Run `drift` standalone (the lead wires add_drift_command into `opsbot`)."""
    parser = argparse.ArgumentParser(prog="opsbot")
    add_drift_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
