"""Runbooks: YAML remediation procedures, validated at load and run once after approval."""

from engine.runbooks.executor import KIND, RunbookExecutor
from engine.runbooks.loader import LoadedRunbook, Registry, load_dirs, parse_runbook
from engine.runbooks.service import Preview, RunbookService, parse_args

__all__ = ["KIND", "LoadedRunbook", "Preview", "Registry", "RunbookExecutor", "RunbookService",
           "load_dirs", "parse_args", "parse_runbook"]
