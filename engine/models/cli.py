"""`opsbot models webhook create|list|test`: register Opsbot's endpoint with the MLflow tracking
server through MLflow's client API, with the events the registry watch needs and the secret
Opsbot verifies. MLflow is imported inside the functions: the CLI starts without it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from engine.errors import InvalidInput, NotFound, Unavailable

PATH = "/webhooks/mlflow"
DEFAULT_NAME = "opsbot"
# What can change what the registry watch reports: a new model or version, an alias set or
# removed. Version status (READY, FAILED) has no event; the watch's poll covers it.
EVENTS = ("registered_model.created", "model_version.created",
          "model_version_alias.created", "model_version_alias.deleted")

SERVER_SETTINGS = (
    "The MLflow *server* decides which webhook URLs it accepts and calls, from its own "
    "environment (restart `mlflow server` after changing them):\n"
    "  MLFLOW_WEBHOOK_ALLOWED_SCHEMES   default `https`; `http,https` allows a plain-HTTP Opsbot "
    "(only inside a trusted network)\n"
    "  MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS default `false`; `true` lets it call a private or loopback "
    "address such as http://opsbot.internal:3000 or 127.0.0.1 (turns MLflow's SSRF guard off)\n"
    "  MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY a Fernet key; without it the server encrypts webhook "
    "secrets with a key that dies with the process, so signatures break after a restart")


@dataclass(frozen=True)
class Target:
    """Where to register: the tracking server, Opsbot's webhook URL and the shared secret."""

    tracking_uri: str
    secret: str


def endpoint(url: str) -> str:
    """Return Opsbot's MLflow webhook URL from a base URL or the full one."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{url!r} is not an http(s) URL", hint="e.g. https://opsbot.example.com")
    return url if url.endswith(PATH) else url + PATH


def explain_refusal(message: str) -> str | None:
    """Return what to change on the MLflow server when its answer is a URL refusal, else None."""
    lowered = message.lower()
    if "scheme" in lowered or "non-public ip" in lowered or "not a public ip" in lowered:
        return SERVER_SETTINGS
    return None


def _client(target: Target) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.tracking_uri)


def _call(fn: Callable[[], Any], what: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return fn()
    except MlflowException as exc:
        if "Max retries exceeded" in exc.message or "Failed to establish" in exc.message:
            raise Unavailable(f"MLflow is not reachable to {what}: {exc.message[:300]}",
                              hint="check MLFLOW_TRACKING_URI / --tracking-uri") from None
        raise InvalidInput(f"MLflow refused to {what}: {exc.message}", hint=explain_refusal(exc.message)) from None
    except OSError as exc:  # connection refused, DNS: requests' errors are OSErrors
        raise Unavailable(f"MLflow is not reachable to {what}: {exc}") from None


def _all(client: Any) -> list[Any]:
    hooks: list[Any] = []
    token: str | None = None
    while True:
        page = _call(partial(client.list_webhooks, max_results=100, page_token=token), "list webhooks")
        hooks.extend(page)
        token = page.token
        if not token:
            return hooks


def _line(hook: Any) -> str:
    events = ",".join(sorted(str(e) for e in hook.events))
    return f"{hook.webhook_id}  {hook.name:<16} {hook.status.value if hasattr(hook.status, 'value') else hook.status:<8} {hook.url}  [{events}]"


def create(target: Target, url: str, name: str = DEFAULT_NAME, out: Callable[[str], None] = print) -> str:
    """Create (or bring up to date) the webhook named `name`; return its id."""
    client = _client(target)
    url = endpoint(url)
    existing = next((h for h in _all(client) if h.name == name), None)
    if existing is None:
        hook = _call(lambda: client.create_webhook(
            name=name, url=url, events=list(EVENTS), secret=target.secret,
            description="Opsbot registry watch: wakes the models-watch job"), "create the webhook")
        out(f"created {_line(hook)}")
    else:  # one webhook per Opsbot: a second `create` updates it rather than doubling deliveries
        hook = _call(lambda: client.update_webhook(existing.webhook_id, url=url, events=list(EVENTS),
                                                   secret=target.secret, status="ACTIVE"), "update the webhook")
        out(f"updated {_line(hook)}")
    webhook_id: str = hook.webhook_id
    out(f"next: opsbot models webhook test {webhook_id}")
    return webhook_id


def list_hooks(target: Target, out: Callable[[str], None] = print) -> int:
    """Print every registry webhook of the server; return how many point at an Opsbot."""
    hooks = _all(_client(target))
    for hook in hooks:
        out(("* " if hook.url.rstrip("/").endswith(PATH) else "  ") + _line(hook))
    if not hooks:
        out("no webhooks on this MLflow server: opsbot models webhook create --url https://<opsbot>")
    return sum(1 for h in hooks if h.url.rstrip("/").endswith(PATH))


def send_test(target: Target, webhook_id: str | None, name: str = DEFAULT_NAME,
         out: Callable[[str], None] = print) -> bool:
    """Ask MLflow to send a test delivery; print what Opsbot answered; return success."""
    client = _client(target)
    if webhook_id is None:
        hook = next((h for h in _all(client) if h.name == name), None)
        if hook is None:
            raise NotFound(f"no webhook named {name!r} on {target.tracking_uri}",
                           hint="opsbot models webhook create --url https://<opsbot>")
        webhook_id = hook.webhook_id
    result = _call(lambda: client.test_webhook(webhook_id, event=EVENTS[1]), "test the webhook")
    if result.success:
        out(f"ok: Opsbot answered {result.response_status}: {(result.response_body or '')[:200]}")
        return True
    detail = result.error_message or f"HTTP {result.response_status}: {(result.response_body or '')[:200]}"
    out(f"FAILED: {detail}")
    if result.response_status == 401:
        out("Opsbot refused the signature: the webhook's secret must equal models.webhook_secret "
            "(run `opsbot models webhook create` again to reset it)")
    hint = explain_refusal(detail)
    if hint:
        out(hint)
    return False


def _target(args: argparse.Namespace) -> Target:
    from engine.config import load_config
    from engine.settings import EngineSettings

    settings = EngineSettings()
    config = load_config(settings.config_path)
    models = config.models
    uri = args.tracking_uri or settings.mlflow_tracking_uri or (models.tracking_uri if models else None)
    if not uri or not uri.startswith(("http://", "https://")):
        raise InvalidInput("webhooks need an MLflow tracking *server*",
                           hint="set MLFLOW_TRACKING_URI (or models.tracking_uri) to its http(s) URL, or pass --tracking-uri")
    if models is None or models.webhook_secret is None or not models.webhook_secret.get_secret_value():
        raise InvalidInput("models.webhook_secret is not set, so Opsbot would refuse every delivery",
                           hint="set models.webhook_secret in opsbot.yaml (a long random string), then run this again")
    return Target(uri, models.webhook_secret.get_secret_value())


def _run(args: argparse.Namespace) -> int:
    target = _target(args)
    if args.webhook_command == "create":
        create(target, args.url, args.name)
        return 0
    if args.webhook_command == "list":
        list_hooks(target)
        return 0
    return 0 if send_test(target, args.webhook_id, args.name) else 1


def add_models_command(sub: Any) -> None:
    """Add `models webhook create|list|test` to the opsbot CLI."""
    p = sub.add_parser("models", help="model registry tools (MLflow webhooks)")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="WHAT")
    w = msub.add_parser("webhook", help="register Opsbot's endpoint with the MLflow tracking server",
                        description=f"Events: {', '.join(EVENTS)}. The secret is models.webhook_secret.\n\n"
                                    + SERVER_SETTINGS, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--tracking-uri", default=None,
                        help="MLflow server (default MLFLOW_TRACKING_URI or models.tracking_uri)")
    common.add_argument("--name", default=DEFAULT_NAME, help=f"webhook name in MLflow (default {DEFAULT_NAME})")
    wsub = w.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    c = wsub.add_parser("create", parents=[common], help="create or update the webhook (idempotent)")
    c.add_argument("--url", required=True, help=f"Opsbot's public base URL, or the full URL ending in {PATH}")
    wsub.add_parser("list", parents=[common], help="list the server's webhooks (* = an Opsbot endpoint)")
    t = wsub.add_parser("test", parents=[common], help="have MLflow send a signed test delivery now")
    t.add_argument("webhook_id", nargs="?", default=None, help="default: the webhook named --name")
    w.set_defaults(func=_run)

