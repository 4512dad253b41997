"""The service's own settings, read from the environment once and validated, so a typo in a
variable stops the process at start-up with a clear message instead of failing a request later."""

import os
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator

DEFAULT_SYSTEM_PROMPT = (
    "You are a supportive, practical coach. The member has told you where they are now, the goal "
    "they want to reach and any other requirements. Help them get from one to the other with "
    "concrete, realistic steps, and ask a clarifying question when something important is "
    "missing. Answer in the language the member writes in. Use Markdown."
)


# The shortest lease renewals every quarter of it keep alive with room for a slow database,
# and what a plain request's lease must have beyond the model's timeout for its two writes.
MIN_TURN_LEASE_S = 10.0
LEASE_MARGIN_S = 10.0

Provider = Literal["openai", "anthropic", "offline"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "offline")


class ChatbotSettings(BaseModel):
    daily_limit: int = Field(5, ge=0)
    time_zone: str = "Asia/Seoul"
    llm_provider: Provider
    llm_model: str
    llm_temperature: float = Field(0.7, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(1024, ge=1)
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=5)
    llm_models: list[str] = Field(default_factory=list)
    offline_delay_ms: float = Field(20, ge=0, le=5000)
    history_budget_chars: int = Field(12_000, ge=0)
    sse_heartbeat_s: float = Field(15.0, gt=0, le=300)
    # A pending turn whose process sends no news for this long counts as interrupted: its
    # request is given back (application/recovery.py). Streamed answers renew it every quarter;
    # a plain request renews nothing, so it must outlast the model's timeout (see below).
    turn_lease_s: float = Field(120.0, gt=0)
    # How answers are followed across server processes (docs/streaming.md): "postgres"
    # (LISTEN/NOTIFY, the default on PostgreSQL), "redis://…", or "memory" (one process; the
    # default on SQLite). The channel's name starts with the prefix.
    live_url: str | None = Field(None, pattern=r"^(memory|postgres|rediss?://.+)$")
    live_prefix: str = Field("chatbot", pattern=r"^[a-z0-9_-]{1,40}$")
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    # Secrets are SecretStr: their repr is asterisks, so no repr of these settings (a debug
    # page, a log line, a traceback's local variables) shows them. Only the adapters see them.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_send_temperature: bool = False
    # Logging in with GitHub and Kakao: a provider is offered when its client id is set.
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    github_base_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"
    kakao_client_id: str | None = None
    kakao_client_secret: SecretStr | None = None
    kakao_auth_url: str = "https://kauth.kakao.com"
    kakao_api_url: str = "https://kapi.kakao.com"
    # The app's admin key: unlinking at Kakao when a member unlinks or leaves, and proof that a
    # call to the unlink callback comes from Kakao.
    kakao_admin_key: SecretStr | None = None
    oauth_timeout_s: float = Field(10.0, gt=0, le=60)
    # Where a provider login lands: the web app's page; its route goes after a "#".
    frontend_url: str = "/"
    # Distinct verified members whose open reports hide a chat pending review; 0: never.
    reports_to_hide: int = Field(3, ge=0)
    # Chatting needs a verified email and consent to the texts in these versions.
    require_verified_email: bool = True
    terms_version: str = Field("1", min_length=1, max_length=40, pattern=r"^[\w.\-]+$")
    privacy_version: str = Field("1", min_length=1, max_length=40, pattern=r"^[\w.\-]+$")

    @property
    def oauth_providers(self) -> list[str]:
        return [
            name
            for name, client_id in (
                ("github", self.github_client_id),
                ("kakao", self.kakao_client_id),
            )
            if client_id
        ]

    def routes(self) -> list[tuple[Provider, str]]:
        """(provider, model) for every model a chat may use, the default first. An entry of
        CHATBOT_LLM_MODELS is `model` (served by CHATBOT_LLM_PROVIDER) or `provider:model`."""
        routes: list[tuple[Provider, str]] = [(self.llm_provider, self.llm_model)]
        for entry in self.llm_models:
            provider, _, model = entry.rpartition(":")
            if provider and provider not in PROVIDERS:
                # A colon inside a model name (e.g. Ollama's llama3.2:3b): the default provider.
                provider, model = "", entry
            route = (provider or self.llm_provider, model)
            if model and route not in routes:
                # provider is one of PROVIDERS here, which mypy cannot narrow str to.
                routes.append(route)  # type: ignore[arg-type]
        return routes

    @property
    def model_names(self) -> list[str]:
        return [model for _, model in self.routes()]

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _providers_reachable(self) -> "ChatbotSettings":
        used = {provider for provider, _ in self.routes()}
        if "openai" in used and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("the openai provider needs OPENAI_API_KEY or OPENAI_BASE_URL")
        if "anthropic" in used and not (self.anthropic_api_key or self.anthropic_base_url):
            raise ValueError("the anthropic provider needs ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL")
        if self.github_client_id and not self.github_client_secret:
            raise ValueError("CHATBOT_GITHUB_CLIENT_ID needs CHATBOT_GITHUB_CLIENT_SECRET")
        if self.kakao_admin_key and not self.kakao_client_id:
            raise ValueError("CHATBOT_KAKAO_ADMIN_KEY needs CHATBOT_KAKAO_CLIENT_ID")
        if self.turn_lease_s < max(MIN_TURN_LEASE_S, self.llm_timeout_s + LEASE_MARGIN_S):
            # A lease the server cannot keep alive gets a live answer swept, its request given
            # back: streamed answers renew every quarter lease, looking every half second, and
            # a plain request waits up to the timeout for its answer, retries included
            # (adapters/llm/deadline.py), renewing nothing.
            raise ValueError(
                f"CHATBOT_TURN_LEASE_S must be at least {MIN_TURN_LEASE_S:g} s and at least "
                f"{LEASE_MARGIN_S:g} s longer than CHATBOT_LLM_TIMEOUT_S"
            )
        names = self.model_names
        if len(set(names)) != len(names):
            raise ValueError("CHATBOT_LLM_MODELS names one model under two providers")
        return self


_DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "offline": "offline-guide",
}


def from_environment(env: dict[str, str] | None = None) -> ChatbotSettings:
    env = dict(os.environ if env is None else env)
    api_key = env.get("OPENAI_API_KEY") or None
    anthropic_key = env.get("ANTHROPIC_API_KEY") or None
    provider = env.get("CHATBOT_LLM_PROVIDER") or (
        "openai" if api_key else "anthropic" if anthropic_key else "offline"
    )
    raw = {
        "daily_limit": env.get("CHATBOT_DAILY_LIMIT"),
        "time_zone": env.get("CHATBOT_TIME_ZONE"),
        "llm_provider": provider,
        "llm_model": env.get("CHATBOT_LLM_MODEL") or _DEFAULT_MODELS.get(provider, ""),
        "llm_temperature": env.get("CHATBOT_LLM_TEMPERATURE"),
        "llm_max_tokens": env.get("CHATBOT_LLM_MAX_TOKENS"),
        "llm_timeout_s": env.get("CHATBOT_LLM_TIMEOUT_S"),
        "llm_max_retries": env.get("CHATBOT_LLM_MAX_RETRIES"),
        "llm_models": [m.strip() for m in env.get("CHATBOT_LLM_MODELS", "").split(",") if m.strip()]
        or None,
        "offline_delay_ms": env.get("CHATBOT_OFFLINE_DELAY_MS"),
        "history_budget_chars": env.get("CHATBOT_HISTORY_BUDGET_CHARS"),
        "sse_heartbeat_s": env.get("CHATBOT_SSE_HEARTBEAT_S"),
        "turn_lease_s": env.get("CHATBOT_TURN_LEASE_S"),
        "live_url": env.get("CHATBOT_LIVE_URL"),
        "live_prefix": env.get("CHATBOT_LIVE_PREFIX"),
        "system_prompt": env.get("CHATBOT_SYSTEM_PROMPT"),
        "openai_api_key": api_key,
        "openai_base_url": env.get("OPENAI_BASE_URL") or None,
        "anthropic_api_key": anthropic_key,
        "anthropic_base_url": env.get("ANTHROPIC_BASE_URL") or None,
        "anthropic_send_temperature": env.get("ANTHROPIC_SEND_TEMPERATURE"),
        "github_client_id": env.get("CHATBOT_GITHUB_CLIENT_ID"),
        "github_client_secret": env.get("CHATBOT_GITHUB_CLIENT_SECRET"),
        "github_base_url": env.get("CHATBOT_GITHUB_BASE_URL"),
        "github_api_url": env.get("CHATBOT_GITHUB_API_URL"),
        "kakao_client_id": env.get("CHATBOT_KAKAO_CLIENT_ID"),
        "kakao_client_secret": env.get("CHATBOT_KAKAO_CLIENT_SECRET"),
        "kakao_auth_url": env.get("CHATBOT_KAKAO_AUTH_URL"),
        "kakao_api_url": env.get("CHATBOT_KAKAO_API_URL"),
        "kakao_admin_key": env.get("CHATBOT_KAKAO_ADMIN_KEY"),
        "oauth_timeout_s": env.get("CHATBOT_OAUTH_TIMEOUT_S"),
        "frontend_url": env.get("CHATBOT_FRONTEND_URL"),
        "reports_to_hide": env.get("CHATBOT_REPORTS_TO_HIDE"),
        "require_verified_email": env.get("CHATBOT_REQUIRE_VERIFIED_EMAIL"),
        "terms_version": env.get("CHATBOT_TERMS_VERSION"),
        "privacy_version": env.get("CHATBOT_PRIVACY_VERSION"),
    }
    try:
        return ChatbotSettings.model_validate({k: v for k, v in raw.items() if v not in (None, "")})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ImproperlyConfigured(f"Invalid chatbot configuration: {problems}") from None
