"""Reports of chats and what staff do about them (docs/security.md, "Reports and moderation")."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidValue
from domain.ids import ChatId, MemberId

DETAIL_MAX = 1000


class ReportReason(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    PERSONAL_DATA = "personal_data"
    ILLEGAL = "illegal"
    OTHER = "other"


# Why a chat is hidden, as its owner is told: a reason staff chose, or REPORTS when enough
# members' reports hid it pending review.
REPORTS = "reports"
HIDDEN_REASONS = (REPORTS, *(r.value for r in ReportReason))


class ModerationKind(StrEnum):
    """What a ModerationAction did."""

    AUTO_HIDE = "auto_hide"  # enough open reports: hidden pending review, by no one in person
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"
    DEACTIVATE = "deactivate"


def validate_detail(detail: str | None) -> str:
    text = (detail or "").strip()
    if len(text) > DETAIL_MAX:
        raise InvalidValue(
            f"A report's detail has at most {DETAIL_MAX} characters.", field="detail"
        )
    return text


@dataclass(frozen=True, slots=True)
class Hidden:
    """A chat taken out of public view: by staff (`by` the staff member) or by reports (`by`
    None, `reason` REPORTS)."""

    reason: str
    at: datetime
    by: MemberId | None = None

    def __post_init__(self) -> None:
        if self.reason not in HIDDEN_REASONS:
            raise InvalidValue(f"Hide for one of: {', '.join(HIDDEN_REASONS)}.", field="reason")


@dataclass(frozen=True, slots=True)
class ModerationRecord:
    """One line of the moderation log: who did what to which chat or member, when and why.
    `actor` None: the service itself (an automatic hide)."""

    kind: ModerationKind
    at: datetime
    actor: MemberId | None
    chat_id: ChatId | None = None
    member_id: MemberId | None = None
    reason: str = ""
    note: str = ""


def hides_now(open_reporters: int, threshold: int) -> bool:
    """Whether a visible chat with reports open from `open_reporters` distinct verified members
    is hidden pending review (CHATBOT_REPORTS_TO_HIDE; 0 turns it off)."""
    return threshold > 0 and open_reporters >= threshold
