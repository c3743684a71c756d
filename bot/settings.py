"""Bot settings from the environment: Slack credentials, HTTP listener, webhook auth."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    """Everything the Slack side needs; secrets stay SecretStr and are never logged."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    webhook_token: SecretStr | None = Field(default=None, validation_alias="OPSBOT_WEBHOOK_TOKEN")
    host: str = Field(default="0.0.0.0", validation_alias="OPSBOT_HOST")
    port: int = Field(default=3000, validation_alias="OPSBOT_PORT")
    log_level: str = Field(default="INFO", validation_alias="OPSBOT_LOG_LEVEL")
    max_webhook_bytes: int = Field(default=4 * 1024 * 1024, validation_alias="OPSBOT_MAX_WEBHOOK_BYTES")
    # Where templates/ is when it is not beside the source tree (the container image sets it).
    templates_dir: Path | None = Field(default=None, validation_alias="OPSBOT_TEMPLATES_DIR")
    # prometheus_client's multiprocess directory (serve --workers N makes one when unset).
    prometheus_multiproc_dir: str | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")

    @property
    def socket_mode(self) -> bool:
        """Return True when Socket Mode is configured (SLACK_APP_TOKEN set)."""
        return bool(self.slack_app_token and self.slack_app_token.get_secret_value())

    def missing_credential(self) -> str | None:
        """Say which credential the Slack door lacks, or None when it can open."""
        if not self.slack_bot_token.get_secret_value():
            return "SLACK_BOT_TOKEN is not set; set it to the bot token (xoxb-...), or try `opsbot demo`"
        if not self.socket_mode and not self.slack_signing_secret.get_secret_value():
            return ("SLACK_SIGNING_SECRET is not set; HTTP mode verifies every Slack request with it "
                    "(set SLACK_APP_TOKEN instead for Socket Mode)")
        return None

    @property
    def api_base_url(self) -> str:
        """Return the Web API base URL with the trailing slash slack_sdk expects."""
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"
