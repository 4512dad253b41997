from django.contrib import admin
from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from django_project import share
from django_project.api import auth, chats, feedback, health, me, moderation, oauth, usage
from django_project.observability.views import metrics_view
from django_project.robots import robots_txt


class _IdConverter:
    # At most 18 digits: any longer number is no id (and would overflow a bigint column).
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(_IdConverter, "id")

handler400 = "django_project.api.errors.bad_request"
handler404 = "django_project.api.errors.not_found"
handler500 = "django_project.api.errors.server_error"

urlpatterns = [
    path("robots.txt", robots_txt, name="robots"),
    path("healthz", health.healthz, name="healthz"),
    # A chat's share page, for link previews; it sends browsers on to the web app.
    path("c/<id:chat_id>", share.share_page, name="share"),
    path("readyz", health.readyz, name="readyz"),
    path("api/auth/signup/", auth.SignupApi.as_view(), name="signup"),
    path("api/auth/login/", auth.LoginApi.as_view(), name="login"),
    path("api/auth/refresh/", auth.RefreshApi.as_view(), name="refresh"),
    path("api/auth/logout/", auth.LogoutApi.as_view(), name="logout"),
    path("api/auth/email/verify/", auth.EmailVerifyApi.as_view(), name="email-verify"),
    path("api/auth/password/reset/", auth.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "api/auth/password/reset/confirm/",
        auth.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    path("api/auth/logout/all/", auth.LogoutAllApi.as_view(), name="logout-all"),
    path("api/auth/oauth/providers/", oauth.OAuthProvidersApi.as_view(), name="oauth-providers"),
    path("api/auth/oauth/exchange/", oauth.OAuthExchangeApi.as_view(), name="oauth-exchange"),
    path(
        "api/auth/oauth/kakao/unlinked/",
        oauth.KakaoUnlinkedApi.as_view(),
        name="oauth-kakao-unlinked",
    ),
    path(
        "api/auth/oauth/<slug:provider>/start/", oauth.OAuthStartApi.as_view(), name="oauth-start"
    ),
    path(
        "api/auth/oauth/<slug:provider>/callback/",
        oauth.OAuthCallbackApi.as_view(),
        name="oauth-callback",
    ),
    path("api/me/", me.MeApi.as_view(), name="me"),
    path(
        "api/me/email/verification/",
        me.EmailVerificationApi.as_view(),
        name="me-email-verification",
    ),
    path("api/me/password/", me.MePasswordApi.as_view(), name="me-password"),
    path("api/me/consent/", me.MeConsentApi.as_view(), name="me-consent"),
    path("api/me/export/", me.MeExportApi.as_view(), name="me-export"),
    path("api/me/oauth/<slug:provider>/", oauth.MeOAuthApi.as_view(), name="me-oauth"),
    path(
        "api/me/oauth/<slug:provider>/link/",
        oauth.MeOAuthLinkApi.as_view(),
        name="me-oauth-link",
    ),
    path("api/me/chats/", chats.MyChatsApi.as_view(), name="my-chats"),
    path("api/me/usage/", usage.MeUsageApi.as_view(), name="me-usage"),
    path("api/chats/", chats.ChatCollectionApi.as_view(), name="chats"),
    path("api/chats/intake/", chats.IntakeApi.as_view(), name="intake"),
    path("api/chats/<id:chat_id>/", chats.ChatDetailApi.as_view(), name="chat"),
    path(
        "api/chats/<id:chat_id>/messages/",
        chats.ChatMessageCreateApi.as_view(),
        name="chat-messages",
    ),
    path(
        "api/chats/<id:chat_id>/reports/",
        moderation.ChatReportCreateApi.as_view(),
        name="chat-reports",
    ),
    path(
        "api/chats/<id:chat_id>/turns/<id:turn_id>/stop/",
        chats.TurnStopApi.as_view(),
        name="turn-stop",
    ),
    path(
        "api/chats/<id:chat_id>/turns/<id:turn_id>/feedback/",
        feedback.TurnFeedbackApi.as_view(),
        name="turn-feedback",
    ),
    path(
        "api/chats/<id:chat_id>/turns/<id:turn_id>/stream/",
        chats.TurnStreamApi.as_view(),
        name="turn-stream",
    ),
    path("api/models/", chats.ModelListApi.as_view(), name="models"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the page's policy allows no inline one.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    # Prometheus scrapes it; 404 unless DEBUG, CHATBOT_METRICS_ALLOW or CHATBOT_METRICS_TOKEN.
    path("metrics", metrics_view, name="metrics"),
]
