"""Which adapter serves which port. Swapping the LLM provider is a configuration value."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from dependency_injector import containers, providers
from django.db import connections
from psycopg.conninfo import make_conninfo
from pydantic import SecretStr

from adapters.clock import SystemClock
from adapters.live.memory import MemoryAnswerFeed
from adapters.live.postgres import PostgresAnswerFeed
from adapters.llm.metered import MeteredChatModel
from adapters.llm.offline import OfflineChatModel
from adapters.llm.routing import RoutedChatModel
from adapters.mail.django_mail import DjangoMailer
from adapters.orm.blocking import DjangoBlocking
from adapters.orm.members import DjangoPasswordPolicy
from adapters.orm.queries import DjangoChatQueries
from adapters.orm.search import DjangoChatSearch
from adapters.orm.throttle import DjangoAttemptCounter
from adapters.orm.unit_of_work import DjangoUnitOfWork
from adapters.orm.usage import DjangoUsageQueries
from application.account_links import (
    MailLinks,
    RequestPasswordReset,
    ResetPassword,
    SendVerificationMail,
    SignUp,
    VerifyEmail,
)
from application.accounts import ChangePassword, DeleteAccount, ExportData, LogOutEverywhere
from application.asking import ChatSettings
from application.chats import DeleteChat, GetChat, ListChats, ListIntakeQuestions, UpdateChat
from application.feedback import RateAnswer, WithdrawRating
from application.following import FollowAnswer
from application.members import GetProfile, GiveConsent, RegisterMember, UpdateProfile
from application.moderation import ReportChat
from application.ports import AnswerFeed, ChatModel, IdentityProvider, ProviderUnlinker
from application.provider_links import CompleteProviderLink, ForgetProviderAccount
from application.recovery import RecoverInterruptedTurns
from application.rules import ChatRules
from application.search import SearchChats
from application.send_message import SendMessage
from application.social_login import (
    BeginSocialLogin,
    CompleteSocialLogin,
    RedeemLoginCode,
    UnlinkProvider,
)
from application.start_chat_session import StartChatSession
from application.streaming import LiveAnswers, StopAnswer, StreamAnswer
from application.throttling import Throttle
from application.usage import ListUsage
from django_project.config import ChatbotSettings, Provider
from domain.chat import Guide
from domain.consent import PolicyVersions
from domain.llm import Sampling
from domain.quota import DailyQuotaPolicy


def _revealed(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def provider_adapter(provider: Provider, settings: ChatbotSettings) -> ChatModel:
    """The one place that knows every provider: adding one is an adapter and a line here.

    Each SDK is imported only when its provider is configured: anthropic's costs a worker about
    50 MB and a second at start, openai's about 40 MB (docs/benchmarks.md)."""
    match provider:
        case "openai":
            from adapters.llm.openai_compatible import OpenAIChatModel

            return OpenAIChatModel(
                api_key=_revealed(settings.openai_api_key),
                base_url=settings.openai_base_url,
                timeout_s=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
            )
        case "anthropic":
            from adapters.llm.anthropic_messages import AnthropicChatModel

            return AnthropicChatModel(
                api_key=_revealed(settings.anthropic_api_key),
                base_url=settings.anthropic_base_url,
                timeout_s=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
                send_temperature=settings.anthropic_send_temperature,
            )
        case "offline":
            return OfflineChatModel(delay_ms=settings.offline_delay_ms)


def routed_chat_model(settings: ChatbotSettings) -> ChatModel:
    adapters: dict[Provider, ChatModel] = {}
    routes: dict[str, ChatModel] = {}
    for provider, model in settings.routes():
        if provider not in adapters:
            # Measured per provider: latency, tokens and errors at /metrics.
            adapters[provider] = MeteredChatModel(
                provider_adapter(provider, settings), provider=provider
            )
        routes[model] = adapters[provider]
    return RoutedChatModel(routes, default=adapters[settings.llm_provider])


def identity_providers(settings: ChatbotSettings) -> dict[str, IdentityProvider]:
    """The login providers that are configured; the others do not exist for the API. Their
    OAuth client (authlib's, 17 MB a worker) is imported only when one is."""
    made: dict[str, IdentityProvider] = {}
    if settings.github_client_id:
        from adapters.oauth.github import GitHubIdentityProvider

        made["github"] = GitHubIdentityProvider(
            client_id=settings.github_client_id,
            client_secret=_revealed(settings.github_client_secret),
            auth_url=settings.github_base_url,
            api_url=settings.github_api_url,
            timeout_s=settings.oauth_timeout_s,
        )
    if settings.kakao_client_id:
        from adapters.oauth.kakao import KakaoIdentityProvider

        made["kakao"] = KakaoIdentityProvider(
            client_id=settings.kakao_client_id,
            client_secret=_revealed(settings.kakao_client_secret),
            auth_url=settings.kakao_auth_url,
            api_url=settings.kakao_api_url,
            timeout_s=settings.oauth_timeout_s,
        )
    return made


def provider_unlinkers(settings: ChatbotSettings) -> dict[str, ProviderUnlinker]:
    """The providers told when a member drops their link or leaves: Kakao, given its admin key."""
    made: dict[str, ProviderUnlinker] = {}
    if settings.kakao_client_id and settings.kakao_admin_key:
        from adapters.oauth.kakao import KakaoAppUnlinker

        made["kakao"] = KakaoAppUnlinker(
            admin_key=settings.kakao_admin_key.get_secret_value(),
            api_url=settings.kakao_api_url,
            timeout_s=settings.oauth_timeout_s,
        )
    return made


def _database_conninfo() -> str:
    """The application database's, as it is when asked (a test run renames it)."""
    db = connections["default"].settings_dict
    # sslmode and the like; the pool's and statement preparation's settings are Django's.
    options = {k: str(v) for k, v in db.get("OPTIONS", {}).items() if isinstance(v, str)}
    return make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        **options,
    )


def answer_feed(settings: ChatbotSettings) -> AnswerFeed:
    """How answers are followed across processes (docs/streaming.md)."""
    url = settings.live_url
    channel = f"{settings.live_prefix}_answers"
    if url is None:
        postgres = connections["default"].vendor == "postgresql"
        url = "postgres" if postgres else "memory"
    if url == "postgres":
        return PostgresAnswerFeed(_database_conninfo, channel)
    if url.startswith(("redis://", "rediss://")):
        from adapters.live.redis import RedisAnswerFeed  # 20 MB a worker: only when used

        return RedisAnswerFeed(url, channel)
    return MemoryAnswerFeed()


def kakao_admin_key(settings: ChatbotSettings) -> str | None:
    """What Kakao's unlink callback must present; None: the callback is not offered."""
    return _revealed(settings.kakao_admin_key) if settings.kakao_client_id else None


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    # A new unit of work per use case call: each one holds its own transaction state.
    uow = providers.Factory(DjangoUnitOfWork)
    queries = providers.Singleton(DjangoChatQueries)
    usage_queries = providers.Singleton(DjangoUsageQueries)
    chat_search = providers.Singleton(DjangoChatSearch)
    passwords = providers.Singleton(DjangoPasswordPolicy)
    attempt_counter = providers.Singleton(DjangoAttemptCounter)
    throttle = providers.Factory(Throttle, counter=attempt_counter, clock=clock)

    # Every configured provider's adapter, each request routed by its model's name.
    chat_model = providers.Singleton(routed_chat_model, config.raw)

    chat_settings = providers.Singleton(
        ChatSettings,
        guide=providers.Singleton(
            Guide,
            system_prompt=config.system_prompt,
            sampling=providers.Singleton(
                Sampling,
                model=config.llm_model,
                temperature=config.llm_temperature,
                max_tokens=config.llm_max_tokens,
            ),
            history_budget=config.history_budget_chars,
        ),
        policy=providers.Singleton(
            DailyQuotaPolicy,
            limit=config.daily_limit,
            time_zone=providers.Singleton(ZoneInfo, config.time_zone),
        ),
        models=config.model_names,
        lease=providers.Factory(timedelta, seconds=config.turn_lease_s),
        rules=providers.Singleton(
            ChatRules,
            versions=providers.Singleton(
                PolicyVersions, terms=config.terms_version, privacy=config.privacy_version
            ),
            require_verified_email=config.require_verified_email,
        ),
    )
    blocking = providers.Singleton(DjangoBlocking)
    # The answers this process is generating: one registry per process.
    live_answers = providers.Singleton(LiveAnswers)
    # Their progress, for followers in every process: one feed per process.
    answer_feed = providers.Singleton(answer_feed, config.raw)

    register_member = providers.Factory(
        RegisterMember, uow=uow, passwords=passwords, settings=chat_settings, clock=clock
    )
    mailer = providers.Singleton(DjangoMailer)
    mail_links = providers.Singleton(MailLinks, frontend_url=config.frontend_url)
    send_verification_mail = providers.Factory(
        SendVerificationMail, uow=uow, mailer=mailer, links=mail_links, clock=clock
    )
    sign_up = providers.Factory(
        SignUp, register=register_member, verification=send_verification_mail
    )
    verify_email = providers.Factory(VerifyEmail, uow=uow, clock=clock)
    request_password_reset = providers.Factory(
        RequestPasswordReset, uow=uow, mailer=mailer, links=mail_links, clock=clock
    )
    reset_password = providers.Factory(ResetPassword, uow=uow, passwords=passwords, clock=clock)
    get_profile = providers.Factory(GetProfile, uow=uow, settings=chat_settings, clock=clock)
    update_profile = providers.Factory(
        UpdateProfile,
        uow=uow,
        get_profile=get_profile,
        settings=chat_settings,
        clock=clock,
        verification=send_verification_mail,
    )
    give_consent = providers.Factory(GiveConsent, uow=uow, settings=chat_settings, clock=clock)
    start_chat_session = providers.Factory(
        StartChatSession, uow=uow, model=chat_model, settings=chat_settings, clock=clock
    )
    send_message = providers.Factory(
        SendMessage, uow=uow, model=chat_model, settings=chat_settings, clock=clock
    )
    stream_answer = providers.Factory(
        StreamAnswer,
        uow=uow,
        model=chat_model,
        clock=clock,
        blocking=blocking,
        live=live_answers,
        lease=chat_settings.provided.lease,
        feed=answer_feed,
    )
    follow_answer = providers.Factory(
        FollowAnswer, queries=queries, live=live_answers, feed=answer_feed, blocking=blocking
    )
    recover_interrupted_turns = providers.Factory(RecoverInterruptedTurns, uow=uow, clock=clock)
    stop_answer = providers.Factory(StopAnswer, uow=uow, live=live_answers)
    list_chats = providers.Factory(ListChats, queries=queries)
    search_chats = providers.Factory(SearchChats, index=chat_search)
    get_chat = providers.Factory(GetChat, queries=queries)
    delete_chat = providers.Factory(DeleteChat, uow=uow)
    update_chat = providers.Factory(UpdateChat, uow=uow, queries=queries)
    list_intake_questions = providers.Factory(ListIntakeQuestions)
    rate_answer = providers.Factory(RateAnswer, uow=uow, clock=clock)
    withdraw_rating = providers.Factory(WithdrawRating, uow=uow)
    list_usage = providers.Factory(
        ListUsage, uow=uow, usage=usage_queries, settings=chat_settings, clock=clock
    )
    report_chat = providers.Factory(
        ReportChat, uow=uow, clock=clock, reports_to_hide=config.reports_to_hide
    )
    change_password = providers.Factory(ChangePassword, uow=uow, passwords=passwords)
    log_out_everywhere = providers.Factory(LogOutEverywhere, uow=uow)
    provider_unlinkers = providers.Singleton(provider_unlinkers, config.raw)
    kakao_admin_key = providers.Singleton(kakao_admin_key, config.raw)
    delete_account = providers.Factory(
        DeleteAccount,
        uow=uow,
        passwords=passwords,
        settings=chat_settings,
        clock=clock,
        unlinkers=provider_unlinkers,
    )
    export_data = providers.Factory(
        ExportData,
        uow=uow,
        queries=queries,
        get_profile=get_profile,
        settings=chat_settings,
        clock=clock,
    )

    identity_providers = providers.Singleton(identity_providers, config.raw)
    begin_social_login = providers.Factory(BeginSocialLogin, providers=identity_providers)
    complete_social_login = providers.Factory(
        CompleteSocialLogin,
        uow=uow,
        providers=identity_providers,
        clock=clock,
        settings=chat_settings,
    )
    redeem_login_code = providers.Factory(RedeemLoginCode, uow=uow, clock=clock)
    unlink_provider = providers.Factory(
        UnlinkProvider, uow=uow, providers=identity_providers, unlinkers=provider_unlinkers
    )
    complete_provider_link = providers.Factory(
        CompleteProviderLink, uow=uow, providers=identity_providers, clock=clock
    )
    forget_provider_account = providers.Factory(ForgetProviderAccount, uow=uow)
