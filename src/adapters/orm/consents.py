from datetime import datetime

from adapters.orm.models import Consent as ConsentRow
from application.ports import ConsentRepository
from domain.consent import Consent, GivenConsent
from domain.ids import MemberId


class DjangoConsentRepository(ConsentRepository):
    def record(self, member_id: MemberId, given: dict[Consent, str], at: datetime) -> None:
        ConsentRow.objects.bulk_create(
            ConsentRow(member_id=member_id, what=what.value, version=version, given_at=at)
            for what, version in given.items()
        )

    def of(self, member_id: MemberId) -> list[GivenConsent]:
        rows = ConsentRow.objects.filter(member_id=member_id).order_by("given_at", "id")
        return [
            GivenConsent(Consent(what), version, given_at)
            for what, version, given_at in rows.values_list("what", "version", "given_at")
        ]
