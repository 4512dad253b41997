"""Who may ask the model: the rules every chat request checks before anything is reserved or
stored."""

from dataclasses import dataclass, field

from application.errors import ConsentRequired, EmailUnverified
from domain.consent import PolicyVersions
from domain.member import Member


@dataclass(frozen=True, slots=True)
class ChatRules:
    """`versions`: the terms and privacy policy in force (CHATBOT_TERMS_VERSION,
    CHATBOT_PRIVACY_VERSION). `require_verified_email`: CHATBOT_REQUIRE_VERIFIED_EMAIL; without
    it anyone could sign up with a made-up address for a new daily allowance."""

    versions: PolicyVersions = field(default_factory=PolicyVersions)
    require_verified_email: bool = True

    def check(self, member: Member) -> None:
        """Raise ConsentRequired or EmailUnverified, in that order: a member made by a provider
        login agrees first, then (without an address from the provider) gives one to verify."""
        if not member.has_consented(self.versions):
            raise ConsentRequired(
                "Agree to the terms and the privacy policy (and confirm you are 14 or older) "
                "before chatting."
            )
        if self.require_verified_email and not member.email_verified:
            raise EmailUnverified(
                "Verify your email before chatting: open the link we mailed you, or ask for a "
                "new one."
            )
