from typing import ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from adapters.orm.models import Chat, Choice, DailyUsage, Member, Prompt, QuotaReservation, Turn


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
    list_display = ("id", "title", "member", "turn_count", "created_at")
    list_select_related = ("member",)
    search_fields = ("title", "member__nickname")
    raw_id_fields = ("member",)
    inlines: ClassVar = [PromptInline]


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
