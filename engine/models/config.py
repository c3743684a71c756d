"""The `models` section of opsbot.yaml: MLflow settings, watch interval, gates per model and alias."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from engine.errors import InvalidInput
from engine.models.freeze import FreezeWindow, parse_window
from engine.models.gates import Gate, parse_gate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelRules(_Strict):
    """Rules for models matching a name or glob; unset fields fall back to `defaults`."""

    env: str | None = Field(default=None, description="environment for policy decisions")
    channel: str | None = Field(default=None, description="where this model's notices go")
    gates: dict[str, list[str]] | None = Field(
        default=None, description="alias (or *) -> gate expressions, e.g. auc >= champion.auc - 0.002")
    freeze: list[str] | None = Field(default=None, description="freeze windows, e.g. 'sat-sun Europe/Paris'")
    key_metrics: list[str] | None = None

    @field_validator("gates")
    @classmethod
    def _gates_parse(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        for alias, gates in (v or {}).items():
            for g in gates:
                try:
                    parse_gate(g)
                except InvalidInput as exc:
                    raise ValueError(f"gates.{alias}: {exc}") from None
        return v

    @field_validator("freeze")
    @classmethod
    def _freeze_parse(cls, v: list[str] | None) -> list[str] | None:
        for w in v or []:
            try:
                parse_window(w)
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None
        return v


class ResolvedRules(_Strict):
    """Rules for one model after merging its match over the defaults."""

    env: str
    channel: str
    gates: dict[str, list[str]]
    freeze: list[str]
    key_metrics: list[str]

    def gates_for(self, alias: str) -> list[Gate]:
        """Return the parsed gates guarding an alias (its own list, else the `*` list)."""
        return [parse_gate(g) for g in self.gates.get(alias, self.gates.get("*", []))]

    def windows(self) -> list[FreezeWindow]:
        """Return the parsed freeze windows."""
        return [parse_window(w) for w in self.freeze]


class ModelsConfig(_Strict):
    """MLflow connection, the registry watch, and per-model promotion rules."""

    tracking_uri: str = "http://127.0.0.1:5000"
    registry_uri: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    watch_interval_seconds: float = Field(default=60.0, ge=5)
    default_alias: str = "champion"
    aliases: list[str] = Field(default_factory=lambda: ["champion", "challenger"], description=(
        "aliases a promotion may set without `new-alias`, besides those a model holds or has gates for"))
    webhook_secret: SecretStr | None = Field(default=None, description="HMAC secret of MLflow registry webhooks")
    defaults: ModelRules = Field(default_factory=lambda: ModelRules(
        gates={"champion": ["auc >= champion.auc - 0.002"]}, key_metrics=["auc", "latency_p95_ms"]))
    models: dict[str, ModelRules] = Field(default_factory=dict, description="model name or glob -> rules")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # A blank secret would sign with a key anyone knows; leaving it out turns webhooks off.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("webhook_secret is empty: set a random secret, or remove it to refuse MLflow webhooks")
        return value

    def rules_for(self, name: str, *, env: str = "production", channel: str = "ops") -> ResolvedRules:
        """Return the rules of a model: first matching entry (exact name first), then defaults."""
        match = self.models.get(name) or next(
            (r for pat, r in self.models.items() if fnmatchcase(name, pat)), ModelRules())
        d = self.defaults

        def pick(field: str, fallback):
            for source in (match, d):
                value = getattr(source, field)
                if value is not None:
                    return value
            return fallback

        return ResolvedRules(env=pick("env", env), channel=pick("channel", channel), gates=pick("gates", {}),
                             freeze=pick("freeze", []), key_metrics=pick("key_metrics", ["auc"]))

    def known_aliases(self, gates: dict[str, list[str]], held: Iterable[str]) -> set[str]:
        """Return the aliases a promotion may name without `new-alias` (anything else is a typo)."""
        return {*self.aliases, self.default_alias, *held, *(a for a in gates if a != "*")}
