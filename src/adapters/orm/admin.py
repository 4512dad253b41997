from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from adapters.clock import SystemClock
from adapters.orm.models import (
    Chat,
    Choice,
    DailyUsage,
    Member,
    ModelRating,
    ModerationAction,
    Prompt,
    QuotaReservation,
    Report,
    ReportedChat,
    Turn,
)
from adapters.orm.unit_of_work import DjangoUnitOfWork
from application.errors import ApplicationError
from application.moderation import (
    DeactivateAuthor,
    DismissReports,
    HideChat,
    HideChatInput,
    ModerateInput,
    RestoreChat,
)
from domain.ids import ChatId, MemberId


@admin.register(Member)
class MemberAdmin(UserAdmin[Member]):
    ordering = ("-id",)
    list_display = ("email", "nickname", "daily_limit", "is_active", "is_staff", "date_joined")
    search_fields = ("email", "nickname")
    list_filter = ("is_active", "is_staff")
    # Set by the product when it knows the member owns the address, never by hand.
    readonly_fields = ("email_verified",)
    fieldsets = (
        (None, {"fields": ("email", "email_verified", "password")}),
        ("Profile", {"fields": ("nickname", "born_year", "job")}),
        ("Quota", {"fields": ("daily_limit",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "nickname", "password1", "password2")}),
    )


class PromptInline(admin.TabularInline[Prompt, Chat]):
    model = Prompt
    extra = 0


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin[Chat]):
    list_display = ("id", "title", "member", "turn_count", "created_at", "hidden_reason")
    list_select_related = ("member",)
    list_filter = (("hidden_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "member__nickname")
    raw_id_fields = ("member",)
    # Hidden only through the moderation queue's actions, which keep the log.
    readonly_fields = ("hidden_at", "hidden_reason", "hidden_by")
    inlines: ClassVar = [PromptInline]


class ModerationActionForm(ActionForm):
    """The action bar of the queue: why, for the log (and the reason a hide needs)."""

    reason = forms.ChoiceField(
        choices=[("", "reason (for Hide)"), *Report.Reason.choices], required=False
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": "note: why (kept in the log)"}),
    )


class ReportInline(admin.TabularInline[Report, ReportedChat]):
    model = Report
    extra = 0
    fields = ("created_at", "member", "reason", "detail", "closed_at")
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportedChat)
class ReportedChatAdmin(admin.ModelAdmin[ReportedChat]):
    """The queue: every chat with open reports, and every hidden chat (to restore), most reported
    first, then newest. The actions call the moderation use cases (application/moderation.py),
    which keep the log."""

    action_form = ModerationActionForm
    actions = ("hide", "restore", "dismiss", "deactivate_author")
    list_display = (
        "id", "title", "member", "open_reports", "reasons", "last_reported_at", "hidden_reason",
    )  # fmt: skip
    list_display_links = ("id", "title")
    list_select_related = ("member",)
    list_filter = (("hidden_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "member__nickname")
    fields = (
        "title",
        "member",
        "created_at",
        "anonymous",
        "hidden_at",
        "hidden_reason",
        "hidden_by",
    )
    readonly_fields = fields
    inlines: ClassVar = [ReportInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportedChat]:
        still_open = Q(reports__closed_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count("reports", filter=still_open),
                last_reported=Max("reports__created_at", filter=still_open),
            )
            .filter(Q(open_count__gt=0) | Q(hidden_at__isnull=False))
            .order_by("-open_count", "-last_reported", "-id")
        )

    @admin.display(description="open reports", ordering="open_count")
    def open_reports(self, chat: Any) -> int:
        return int(chat.open_count)

    @admin.display(description="latest report", ordering="last_reported")
    def last_reported_at(self, chat: Any) -> datetime:
        return chat.last_reported  # type: ignore[no-any-return]

    @admin.display(description="reasons")
    def reasons(self, chat: ReportedChat) -> str:
        counts = (
            Report.objects.filter(chat=chat, closed_at__isnull=True)
            .values_list("reason")
            .annotate(n=Count("id"))
            .order_by("-n", "reason")
        )
        return ", ".join(f"{reason} ({n})" for reason, n in counts)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _each(
        self,
        request: HttpRequest,
        chats: QuerySet[ReportedChat],
        act: Callable[[ChatId, MemberId, str], None],
        done: str,
    ) -> None:
        note = request.POST.get("note", "").strip()[:1000]
        assert request.user.pk is not None, "the admin lets staff alone in"
        actor = MemberId(request.user.pk)
        count = 0
        for chat_id in chats.values_list("pk", flat=True):
            try:
                act(ChatId(chat_id), actor, note)
            except ApplicationError as error:
                self.message_user(request, f"Chat {chat_id}: {error.detail}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done}: {count} chat(s).", messages.SUCCESS)

    @admin.action(description="Hide, for the reason chosen", permissions=["change"])
    def hide(self, request: HttpRequest, chats: QuerySet[ReportedChat]) -> None:
        reason = request.POST.get("reason", "")
        if reason not in Report.Reason.values:
            self.message_user(request, "Choose the reason to hide for.", messages.ERROR)
            return
        use = HideChat(DjangoUnitOfWork(), SystemClock())
        self._each(
            request,
            chats,
            lambda chat, actor, note: use(HideChatInput(chat, actor, note, reason=reason)),
            "Hidden",
        )

    @admin.action(description="Restore (visible again)", permissions=["change"])
    def restore(self, request: HttpRequest, chats: QuerySet[ReportedChat]) -> None:
        use = RestoreChat(DjangoUnitOfWork(), SystemClock())
        self._each(
            request,
            chats,
            lambda chat, actor, note: use(ModerateInput(chat, actor, note)),
            "Restored",
        )

    @admin.action(description="Dismiss the open reports", permissions=["change"])
    def dismiss(self, request: HttpRequest, chats: QuerySet[ReportedChat]) -> None:
        use = DismissReports(DjangoUnitOfWork(), SystemClock())
        self._each(
            request,
            chats,
            lambda chat, actor, note: use(ModerateInput(chat, actor, note)),
            "Reports dismissed",
        )

    @admin.action(description="Deactivate the author", permissions=["change"])
    def deactivate_author(self, request: HttpRequest, chats: QuerySet[ReportedChat]) -> None:
        use = DeactivateAuthor(DjangoUnitOfWork(), SystemClock())
        self._each(
            request,
            chats,
            lambda chat, actor, note: use(ModerateInput(chat, actor, note)),
            "Authors deactivated",
        )


class _ReadOnly:
    """Staff look, nobody adds, changes or deletes from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(_ReadOnly, admin.ModelAdmin[ModerationAction]):
    """The log, read-only: written by the moderation use cases alone."""

    list_display = ("at", "kind", "actor", "chat", "member", "reason", "note")
    list_filter = ("kind",)
    list_select_related = ("actor", "chat", "member")
    date_hierarchy = "at"
    ordering = ("-at", "-id")


class ChoiceInline(admin.TabularInline[Choice, Turn]):
    model = Choice
    extra = 0


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin[Turn]):
    list_display = ("id", "chat", "index", "status", "model", "total_tokens", "created_at")
    list_filter = ("status", "model")
    raw_id_fields = ("chat",)
    inlines: ClassVar = [ChoiceInline]


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin[DailyUsage]):
    list_display = ("member", "day", "used")
    list_filter = ("day",)
    raw_id_fields = ("member",)


@admin.register(QuotaReservation)
class QuotaReservationAdmin(admin.ModelAdmin[QuotaReservation]):
    list_display = ("id", "member", "day", "created_at", "refunded_at")
    raw_id_fields = ("member",)


@admin.register(ModelRating)
class ModelRatingAdmin(_ReadOnly, admin.ModelAdmin[ModelRating]):
    """Thumbs up and down counted per model, for staff to compare models; read-only, and no
    member is named (the ratings of one member are theirs)."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        counts = (
            ModelRating.objects.values("turn__model")
            .annotate(
                up=Count("id", filter=Q(rating=1)),
                down=Count("id", filter=Q(rating=-1)),
                answers=Count("turn", distinct=True),
            )
            .order_by("turn__model")
        )
        rows = [
            {
                "model": row["turn__model"],
                "up": row["up"],
                "down": row["down"],
                "answers": row["answers"],
                "share": f"{row['up'] / (row['up'] + row['down']):.0%}",
            }
            for row in counts
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Ratings per model",
            "opts": self.model._meta,
            "rows": rows,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/chatbot/ratings_per_model.html", context)
