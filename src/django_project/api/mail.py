from django.utils import translation
from rest_framework.request import Request

from application.account_links import MailRequest


def mail_request(request: Request) -> MailRequest:
    """The reader of a mail this request causes: their Accept-Language, and the API's origin."""
    return MailRequest(
        language=translation.get_language_from_request(request._request),
        origin=request.build_absolute_uri("/"),
    )
