"""The tables. docs/erd.md draws them; tests/integration/test_erd.py keeps the two in step."""

import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from domain.member import nickname_key


class MemberManager(BaseUserManager["Member"]):
    use_in_migrations = True

    @staticmethod
    def normalize_email_address(email: str) -> str:
        # The whole address is compared case-insensitively, so store it in one case.
        return email.strip().lower()

    def get_by_natural_key(self, username: str | None) -> "Member":
        return self.get(email=self.normalize_email_address(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "Member":
        member = self.model(email=self.normalize_email_address(email), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "Member":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Member(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    nickname = models.CharField(max_length=30)
    # What makes two nicknames the same to a reader (domain.member.nickname_key): unique, so no
    # member can take a name that only looks different in code points or case. Kept in step
    # with `nickname` by save() and by every UPDATE of it.
    nickname_key = models.TextField(unique=True, editable=False)
    born_year = models.PositiveSmallIntegerField(null=True, blank=True)
    job = models.CharField(max_length=100, null=True, blank=True)
    daily_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Model requests a day for this member; empty means the service default.",
    )
    email_verified = models.BooleanField(
        default=False,
        help_text=(
            "Whether the product knows the member owns the email: true for members made by a "
            "provider login with an address the provider verified; false for password sign-ups."
        ),
    )
    anonymous_by_default = models.BooleanField(
        default=False,
        db_default=False,
        help_text="New chats hide their author unless the member says otherwise.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MemberManager] = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["nickname"]

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="member_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} <{self.email}>"

    def clean(self) -> None:
        # The admin's forms: a taken nickname is a message on the field, not an IntegrityError.
        super().clean()
        key = nickname_key(unicodedata.normalize("NFC", self.nickname))
        if Member.objects.filter(nickname_key=key).exclude(pk=self.pk).exists():
            raise ValidationError({"nickname": "This nickname is taken."})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.nickname = unicodedata.normalize("NFC", self.nickname)
        self.nickname_key = nickname_key(self.nickname)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "nickname" in update_fields:
            kwargs["update_fields"] = {*update_fields, "nickname_key"}
        super().save(*args, **kwargs)


class Chat(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="chats")
    title = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    turn_count = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=200, help_text="The model every turn of the chat asks.")
    anonymous = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Shown without its author to everyone but its owner.",
    )
    # Hidden by staff or by reports (domain.moderation.Hidden): 404 to everyone but its owner
    # and staff, gone from the feed. `hidden_by` empty with a time set: hidden by reports.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=20, blank=True, default="", db_default="")
    hidden_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes: ClassVar = [models.Index(fields=["member", "-id"], name="chat_member_newest")]

    def __str__(self) -> str:
        return self.title


class SearchTermsField(models.Field):  # type: ignore[type-arg]
    """The index terms of a text (domain.search.index_terms): a tsvector on PostgreSQL, which a
    GIN index serves; nothing elsewhere (SQLite matches the text itself). Assigned a list of
    terms."""

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return ""
        return terms_literal(value or [])


def terms_literal(terms: list[str]) -> str:
    """The text form of a tsvector of `terms`, each quoted (the form escapes ' and \\)."""
    return " ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


class ChatSearch(models.Model):
    """What search reads of a chat, kept by the same statements that write the chat: its text
    normalized (domain.search.normalize), and on PostgreSQL the terms of that text
    (docs/search.md). One row per chat, gone with it."""

    chat = models.OneToOneField(
        Chat, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    head = models.TextField(help_text="The title and the intake answers, normalized.")
    body = models.TextField(help_text="The head, every message and every answer, normalized.")
    from_text = models.TextField(help_text="The current-state answer, normalized.")
    to_text = models.TextField(help_text="The goal answer, normalized.")
    head_terms = SearchTermsField(default=list)
    body_terms = SearchTermsField(default=list)

    def __str__(self) -> str:
        return f"search of chat {self.chat_id}"


class Prompt(models.Model):
    """An intake question as asked, with the member's answer (the seed's Prompt)."""

    class Kind(models.TextChoices):
        CURRENT_STATE = "current_state"
        GOAL = "goal"
        MISC = "misc"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="prompts")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    question = models.TextField()
    answer = models.TextField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chat", "position"], name="prompt_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.answer[:40]}"


class Turn(models.Model):
    """One exchange with the model: the member's message, the request exactly as sent (the
    seed's ChatBotConfig plus the messages) and the response as received (its ChatBotReply;
    the choices are rows of Choice)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        FAILED = "failed"
        STOPPED = "stopped"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    content = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error_code = models.CharField(max_length=40, null=True, blank=True)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    # While pending: the answer's text so far, saved about once a second by the process
    # generating it, for followers in other processes (docs/streaming.md); emptied once the
    # outcome (its text in Choice) is stored.
    answer_so_far = models.TextField(blank=True, default="", db_default="")
    # The request.
    model = models.CharField(max_length=200)
    temperature = models.FloatField()
    max_tokens = models.PositiveIntegerField()
    stream = models.BooleanField(default=False)
    messages = models.JSONField(help_text="The messages exactly as sent: [{role, content}].")
    private_messages = models.JSONField(
        default=list, help_text="Positions in `messages` that only the owner may read."
    )
    # The response; empty until the model answers.
    response_id = models.CharField(max_length=200, null=True, blank=True)
    response_created = models.BigIntegerField(null=True, blank=True)
    response_model = models.CharField(max_length=200, null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    total_tokens = models.PositiveIntegerField(null=True, blank=True)
    # Providers that do not speak Chat Completions: their own bodies, as sent and received.
    native_request = models.JSONField(null=True, blank=True)
    native_response = models.JSONField(null=True, blank=True)
    # The request taken from the member's allowance for this turn, given back when no answer
    # text came; a pending turn whose lease ran out lost its process (see RecoverInterrupted).
    reservation = models.ForeignKey(
        "QuotaReservation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chat", "index"], name="turn_index_unique")
        ]
        indexes: ClassVar = [
            # Only pending turns, a handful at any time: the sweep for interrupted ones stays
            # an index lookup however many turns there are.
            models.Index(
                fields=["lease_until"],
                name="turn_pending_lease",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"chat {self.chat_id} turn {self.index} ({self.status})"


class Choice(models.Model):
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="choices")
    index = models.PositiveIntegerField()
    role = models.CharField(max_length=20)
    content = models.TextField()
    finish_reason = models.CharField(max_length=40, null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["turn", "index"], name="choice_index_unique")
        ]

    def __str__(self) -> str:
        return f"choice {self.index} of turn {self.turn_id}"


class AnswerRating(models.Model):
    """A member's thumbs up (1) or down (-1) on one answer: one per member per answer, replaced
    when they change it. Shown to the member who gave it and counted per model for staff; who
    rated what is shown to no one."""

    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="ratings")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="ratings")
    rating = models.SmallIntegerField()
    rated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["turn", "member"], name="rating_once_per_member"),
            models.CheckConstraint(
                condition=models.Q(rating__in=(1, -1)), name="rating_up_or_down"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating:+d} on turn {self.turn_id} by {self.member_id}"


class ModelRating(AnswerRating):
    """The admin's ratings per model (a proxy, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "rating per model"
        verbose_name_plural = "ratings per model"


class DailyUsage(models.Model):
    """The quota ledger: requests taken per member per local day. Kept apart from chats so that
    deleting a chat never gives quota back."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="daily_usage")
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "day"], name="daily_usage_unique")
        ]
        verbose_name_plural = "daily usage"

    def __str__(self) -> str:
        return f"{self.member_id} on {self.day}: {self.used}"


class DepartedUsage(models.Model):
    """What a member who deleted their account had used of that day's allowance, under a keyed
    hash of their email (HMAC-SHA-256 with the secret key) and nothing else: a new member with
    the same email starts that day from there. Rows of past days are dropped."""

    email_hash = models.CharField(max_length=64)
    day = models.DateField()
    used = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["email_hash", "day"], name="departed_usage_unique")
        ]
        verbose_name_plural = "departed usage"

    def __str__(self) -> str:
        return f"{self.email_hash[:8]}… on {self.day}: {self.used}"


class QuotaReservation(models.Model):
    """One request taken from a day's allowance; `refunded_at` makes refunds idempotent."""

    id = models.UUIDField(primary_key=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reservations")
    day = models.DateField()
    created_at = models.DateTimeField()
    refunded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.member_id} on {self.day} ({'refunded' if self.refunded_at else 'taken'})"


class SocialAccount(models.Model):
    """A member's account at a login provider (GitHub, Kakao), found by the provider's id."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="social_accounts")
    provider = models.CharField(max_length=20)
    account_id = models.CharField(max_length=64, help_text="The provider's id for the account.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["provider", "account_id"], name="social_account_unique"
            ),
            models.UniqueConstraint(fields=["member", "provider"], name="social_member_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.account_id} → {self.member_id}"


class LoginCode(models.Model):
    """A one-time code the front end trades for a JWT pair after a provider login. Only its
    SHA-256 is stored; it lives a minute and is deleted when used."""

    code_hash = models.CharField(max_length=64, primary_key=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="login_codes")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"login code for {self.member_id} until {self.expires_at}"


class AccountToken(models.Model):
    """A one-time link mailed to a member (verify the email, reset the password). Only its
    SHA-256 is stored; `used_at` is set by the one atomic UPDATE that accepts it."""

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        RESET_PASSWORD = "reset_password"  # noqa: S105 - a name, not a password

    token_hash = models.CharField(max_length=64, primary_key=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} for {self.member_id} until {self.expires_at}"


class Consent(models.Model):
    """A consent a member gave (the terms, the privacy policy, the statement that they are 14 or
    older), to the version in force then, and when. Rows are only added: a new version in force
    means a new row, and the history stays."""

    class What(models.TextChoices):
        TERMS = "terms"
        PRIVACY = "privacy"
        OVER_14 = "over_14"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    what = models.CharField(max_length=20, choices=What.choices)
    version = models.CharField(max_length=40)
    given_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar = [
            # Every chat request reads the latest version of each consent of its member.
            models.Index(fields=["member", "what", "given_at"], name="consent_member_latest")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} agreed to {self.what} {self.version} at {self.given_at}"


class UsedOAuthState(models.Model):
    """The state of a provider login whose code was traded, by its SHA-256: a state works once
    even when a browser keeps (or someone saved) its cookie. Kept as long as a state is good for;
    expired rows go with each new one."""

    state_hash = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"used state until {self.expires_at}"


class ThrottleWindow(models.Model):
    """The attempts counted under one throttle key (the SHA-256 of the scope and the client's
    address or the account it names) in the key's current window. One row per key, counted by
    one upsert per attempt (adapters/orm/throttle.py); rows of long-ended windows are purged."""

    key = models.CharField(max_length=64, primary_key=True)
    hits = models.PositiveIntegerField()
    ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hits} until {self.ends_at:%Y-%m-%d %H:%M:%S}"


class ReportedChat(Chat):
    """The admin's moderation queue: chats with open reports, and hidden chats (a proxy, no table
    of its own)."""

    class Meta:
        proxy = True
        verbose_name = "reported chat"


class Report(models.Model):
    """A member's report of a chat, once per member per chat. Open until staff dismiss it (or
    restore the chat, which closes its reports as reviewed)."""

    class Reason(models.TextChoices):
        SPAM = "spam"
        ABUSE = "abuse"
        PERSONAL_DATA = "personal_data"
        ILLEGAL = "illegal"
        OTHER = "other"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="reports")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chat", "member"], name="report_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.reason} on chat {self.chat_id} by {self.member_id}"


class ModerationAction(models.Model):
    """The moderation log: every hide, restore, dismissal and deactivation, by whom (empty:
    the service, hiding a chat on reports), when and why. Kept when the chat or member goes."""

    class Kind(models.TextChoices):
        AUTO_HIDE = "auto_hide", "hidden by reports"
        HIDE = "hide", "hidden"
        RESTORE = "restore", "restored"
        DISMISS = "dismiss", "reports dismissed"
        DEACTIVATE = "deactivate", "author deactivated"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chat = models.ForeignKey(
        Chat, on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation"
    )
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation"
    )
    reason = models.CharField(max_length=20, blank=True, default="")
    note = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"
