from typing import Any

from dependency_injector.wiring import Provide, inject
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.account_links import SendVerificationMail
from application.accounts import (
    ChangePassword,
    ChangePasswordInput,
    DeleteAccount,
    DeleteAccountInput,
    Export,
    ExportData,
)
from application.members import (
    GetProfile,
    GiveConsent,
    GiveConsentInput,
    UpdateProfile,
    UpdateProfileInput,
)
from django_project.api.authentication import logged_in_at, requesting_member, token_pair_for
from django_project.api.mail import mail_request
from django_project.api.serializers import (
    ConsentOutput,
    ProfileOutput,
    StrictBooleanField,
    TextField,
    chat_data,
    errors,
)
from django_project.api.throttling import MemberThrottle, check_password_attempt
from django_project.container import Container


class MeApi(APIView):
    @extend_schema_serializer(component_name="ProfileInput")
    class InputSerializer(serializers.Serializer[Any]):
        nickname = TextField(max_length=30, required=False)
        born_year = serializers.IntegerField(required=False, allow_null=True)
        job = TextField(max_length=100, required=False, allow_null=True, allow_blank=True)
        anonymous_by_default = StrictBooleanField(required=False)
        email = serializers.EmailField(
            max_length=254,
            required=False,
            help_text="Only for a member whose provider login gave no email (an address under "
            "oauth.invalid): stored unverified, and a verification link is mailed to it.",
        )

    @extend_schema(responses={200: ProfileOutput, **errors(401)}, tags=["me"])
    @inject
    def get(
        self, request: Request, get_profile: GetProfile = Provide[Container.get_profile]
    ) -> Response:
        return Response(ProfileOutput(get_profile(requesting_member(request))).data)

    @extend_schema(
        request=InputSerializer, responses={200: ProfileOutput, **errors(400, 401)}, tags=["me"]
    )
    @inject
    def patch(
        self, request: Request, update: UpdateProfile = Provide[Container.update_profile]
    ) -> Response:
        body = self.InputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes: dict[str, Any] = body.validated_data
        if "email" in changes:
            changes["request"] = mail_request(request)
        profile = update(UpdateProfileInput(member_id=requesting_member(request), **changes))
        return Response(ProfileOutput(profile).data)

    @extend_schema_serializer(component_name="DeleteAccountInput")
    class DeleteSerializer(serializers.Serializer[Any]):
        password = TextField(max_length=128, trim_whitespace=False, required=False)
        confirm = TextField(max_length=30, required=False)

    @extend_schema(
        request=DeleteSerializer,
        responses={204: OpenApiResponse(description="deleted"), **errors(400, 401, 429)},
        tags=["me"],
    )
    @inject
    def delete(
        self, request: Request, delete: DeleteAccount = Provide[Container.delete_account]
    ) -> Response:
        """Delete the account and everything of it: chats, profile, provider links, tokens.
        Confirmed by the password; a member without one types their nickname as `confirm`,
        within 10 minutes of logging in."""
        body = self.DeleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        password = body.validated_data.get("password")
        if password is not None:
            check_password_attempt(request, member_email(request))
        delete(
            DeleteAccountInput(
                member_id=requesting_member(request),
                password=password,
                confirm=body.validated_data.get("confirm"),
                logged_in_at=logged_in_at(request),
            )
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


_TOKENS = inline_serializer(
    "NewTokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class MePasswordApi(APIView):
    @extend_schema_serializer(component_name="ChangePasswordInput")
    class InputSerializer(serializers.Serializer[Any]):
        current_password = TextField(max_length=128, trim_whitespace=False)
        new_password = TextField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer, responses={200: _TOKENS, **errors(400, 401, 429)}, tags=["me"]
    )
    @inject
    def post(
        self, request: Request, change: ChangePassword = Provide[Container.change_password]
    ) -> Response:
        """Change the password. Every refresh token of the member is revoked; the answer is a
        new pair for this device."""
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check_password_attempt(request, member_email(request))
        change(ChangePasswordInput(member_id=requesting_member(request), **body.validated_data))
        return Response(token_pair_for(request.user))


class MeExportApi(APIView):
    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                description="everything kept about the member, as a JSON file"
            ),
            **errors(401),
        },
        tags=["me"],
    )
    @inject
    def get(
        self, request: Request, export: ExportData = Provide[Container.export_data]
    ) -> Response:
        """Everything the service keeps about the member, private fields too, as a download."""
        data = export(requesting_member(request))
        now = timezone.now()
        response = Response(export_data(data, now))
        filename = f"chatbot-export-{data.day.isoformat()}.json"  # the day its usage counts in
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


def export_data(data: Export, now: Any) -> dict[str, Any]:
    member = data.profile.member
    return {
        "exported_at": now.isoformat(),
        "profile": {
            "id": member.id,
            "email": member.email,
            "email_verified": member.email_verified,
            "nickname": member.nickname,
            "born_year": member.born_year,
            "job": member.job,
            "anonymous_by_default": member.anonymous_by_default,
            "date_joined": data.joined_at.isoformat(),
            "daily_limit": data.profile.quota.limit,
        },
        "linked_providers": list(data.profile.linked_providers),
        "consents": ConsentOutput(data.consents, many=True).data,
        "daily_usage": [{"day": day.isoformat(), "used": used} for day, used in data.usage],
        "chats": [chat_data(chat) for chat in data.chats],
        # The member's thumbs on answers, their own chats' and others'.
        "ratings": [
            {
                "chat_id": r.chat_id,
                "turn_id": r.turn_id,
                "rating": int(r.rating),
                "rated_at": r.rated_at.isoformat(),
            }
            for r in data.ratings
        ],
    }


class MeConsentApi(APIView):
    @extend_schema_serializer(component_name="ConsentInput")
    class InputSerializer(serializers.Serializer[Any]):
        accept_terms = StrictBooleanField(
            help_text="Must be true: the terms and the privacy policy in force are accepted."
        )
        over_14 = StrictBooleanField(help_text="Must be true: the member is 14 or older.")

    @extend_schema(
        request=InputSerializer,
        responses={204: OpenApiResponse(description="consent recorded"), **errors(400, 401)},
        tags=["me"],
    )
    @inject
    def post(
        self, request: Request, give: GiveConsent = Provide[Container.give_consent]
    ) -> Response:
        """Agree to the terms and the privacy policy in force and state being 14 or older:
        needed before chatting by members made by a provider login, and by everyone after a
        new version comes into force. Stored with the versions and the time."""
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        give(GiveConsentInput(member_id=requesting_member(request), **body.validated_data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerificationApi(APIView):
    """Mail the verification link again (nothing is sent once the email is verified)."""

    throttle_classes = (MemberThrottle,)
    throttle_scope = "verification"

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(description="mail sent"), **errors(401, 429)},
        tags=["me"],
    )
    @inject
    def post(
        self,
        request: Request,
        send: SendVerificationMail = Provide[Container.send_verification_mail],
    ) -> Response:
        send(requesting_member(request), mail_request(request))
        return Response(status=status.HTTP_202_ACCEPTED)


def member_email(request: Request) -> str:
    """The logged-in member's email (their row, loaded by the authentication these views use)."""
    email = getattr(request.user, "email", None)
    if not isinstance(email, str):
        raise NotAuthenticated()
    return email
