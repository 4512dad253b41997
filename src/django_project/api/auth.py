from typing import Any

from dependency_injector.wiring import Provide, inject
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from adapters.orm.members import lock_member
from application.account_links import (
    RequestPasswordReset,
    ResetPassword,
    ResetPasswordInput,
    SignUp,
    SignUpInput,
    VerifyEmail,
)
from application.accounts import LogOutEverywhere
from application.members import RegisterMemberInput
from django_project.api.authentication import (
    MemberRefreshToken,
    refresh_token,
    refused,
    requesting_member,
)
from django_project.api.mail import mail_request
from django_project.api.serializers import MemberOutput, StrictBooleanField, TextField, errors
from django_project.api.throttling import (
    CountedScopedThrottle,
    LoginThrottle,
    PasswordResetThrottle,
)
from django_project.container import Container
from domain.ids import MemberId

_TOKENS = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class SignupApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (CountedScopedThrottle,)
    throttle_scope = "signup"

    @extend_schema_serializer(component_name="SignupInput")
    class InputSerializer(serializers.Serializer[Any]):
        # Anything else in the body (is_staff, id, ...) is ignored: only these fields are read.
        email = serializers.EmailField(max_length=254)
        password = TextField(max_length=128, trim_whitespace=False)
        nickname = TextField(max_length=30)
        born_year = serializers.IntegerField(required=False, allow_null=True)
        job = TextField(max_length=100, required=False, allow_null=True, allow_blank=True)
        accept_terms = StrictBooleanField(
            help_text="Must be true: the terms and the privacy policy in force are accepted."
        )
        over_14 = StrictBooleanField(help_text="Must be true: the person is 14 or older.")

    @extend_schema(
        request=InputSerializer,
        responses={201: MemberOutput, **errors(400, 429)},
        tags=["auth"],
        auth=[],
        description="Also mails a link to verify the email, in the Accept-Language (ko or en). "
        "`accept_terms` or `over_14` not true is a 400 `invalid` naming the field; a `born_year` "
        "that makes the person under 14 is a 400 `under_14` naming `born_year`.",
    )
    @inject
    def post(self, request: Request, sign_up: SignUp = Provide[Container.sign_up]) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = sign_up(
            SignUpInput(RegisterMemberInput(**body.validated_data), mail_request(request))
        )
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)


class EmailVerifyApi(APIView):
    """The token of a verification mail's link in; the member's email counts as theirs."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema_serializer(component_name="EmailVerifyInput")
    class InputSerializer(serializers.Serializer[Any]):
        token = TextField(max_length=200)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer("EmailVerified", {"email_verified": serializers.BooleanField()}),
            **errors(400),
        },
        tags=["auth"],
        auth=[],
    )
    @inject
    def post(
        self, request: Request, verify: VerifyEmail = Provide[Container.verify_email]
    ) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        verify(body.validated_data["token"])
        return Response({"email_verified": True})


class PasswordResetApi(APIView):
    """Mail a password-reset link to the address if a member has it. The answer is the same
    202 either way, so it tells nobody whether the address is registered."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (PasswordResetThrottle,)
    throttle_scope = "password_reset"

    @extend_schema_serializer(component_name="PasswordResetInput")
    class InputSerializer(serializers.Serializer[Any]):
        email = serializers.EmailField(max_length=254)

    @extend_schema(
        request=InputSerializer,
        responses={
            202: OpenApiResponse(description="a link mailed if a member has the address"),
            **errors(400, 429),
        },
        tags=["auth"],
        auth=[],
    )
    @inject
    def post(
        self,
        request: Request,
        reset: RequestPasswordReset = Provide[Container.request_password_reset],
    ) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reset(body.validated_data["email"], mail_request(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    """The token of a reset mail's link and a new password in. Every refresh token of the
    member is revoked, and the email counts as verified."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema_serializer(component_name="PasswordResetConfirmInput")
    class InputSerializer(serializers.Serializer[Any]):
        token = TextField(max_length=200)
        password = TextField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={204: OpenApiResponse(description="password changed"), **errors(400)},
        tags=["auth"],
        auth=[],
    )
    @inject
    def post(
        self, request: Request, reset: ResetPassword = Provide[Container.reset_password]
    ) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reset(ResetPasswordInput(**body.validated_data))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="TokenObtainPair")
class LoginSerializer(TokenObtainPairSerializer):
    """simplejwt's login, with the pair stamped with the login's time (`auth_time`)."""

    token_class = MemberRefreshToken


@extend_schema(tags=["auth"], responses={200: _TOKENS, **errors(400, 401, 429)}, auth=[])
class LoginApi(TokenObtainPairView):
    """Email and password in, a JWT pair out. An unknown email and a wrong password get the
    same answer."""

    serializer_class = LoginSerializer
    throttle_classes = (LoginThrottle,)
    throttle_scope = "login"


@extend_schema_serializer(component_name="TokenRefresh")
class RotatingRefreshSerializer(TokenRefreshSerializer):
    """A refresh token is good for one refresh."""

    # simplejwt's rotation revokes the old token after checking it, so two requests with one
    # token can both pass the check and both get a new pair. Here the revocation is the check:
    # the old token's blacklist row is inserted first, and that row is unique per token, so of
    # any number of simultaneous refreshes, on any number of processes, exactly one inserts it;
    # the others get the database's IntegrityError, which is a 401.
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        token = refresh_token(attrs["refresh"])
        member_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
        try:
            member = (
                get_user_model().objects.filter(**{jwt_settings.USER_ID_FIELD: member_id}).first()
            )
        except (TypeError, ValueError) as error:  # signed with our key, yet no member id
            raise refused("The token names no member.") from error
        if member is None or not jwt_settings.USER_AUTHENTICATION_RULE(member):
            raise refused("The member of this token is gone or inactive.")
        old = {
            "jti": token.payload[jwt_settings.JTI_CLAIM],
            "defaults": {
                "user": member,
                "created_at": token.current_time,
                "token": str(token),
                "expires_at": datetime_from_epoch(token.payload["exp"]),
            },
        }
        token.set_jti()
        token.set_exp()
        token.set_iat()
        try:
            with transaction.atomic():
                # Ordered after any revocation of the member's logins under way (a password
                # change, a logout everywhere), so its new token cannot slip past it.
                lock_member(MemberId(member.pk))
                outstanding, _ = OutstandingToken.objects.get_or_create(**old)
                BlacklistedToken.objects.create(token=outstanding)
                token.outstand()
        except IntegrityError as error:
            raise refused("Token is blacklisted") from error
        return {"access": str(token.access_token), "refresh": str(token)}


@extend_schema(tags=["auth"], responses={200: _TOKENS, **errors(400, 401)}, auth=[])
class RefreshApi(TokenRefreshView):
    """A refresh token in, a new pair out; the old refresh token is revoked (rotation)."""

    serializer_class = RotatingRefreshSerializer


class LogoutApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema_serializer(component_name="LogoutInput")
    class InputSerializer(serializers.Serializer[Any]):
        refresh = TextField()

    @extend_schema(
        request=InputSerializer,
        responses={204: OpenApiResponse(description="revoked")},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = refresh_token(body.validated_data["refresh"])
        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise refused("This refresh token is not yours.")
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="every refresh token revoked"), **errors(401)},
        tags=["auth"],
    )
    @inject
    def post(
        self,
        request: Request,
        log_out: LogOutEverywhere = Provide[Container.log_out_everywhere],
    ) -> Response:
        """Every refresh token of the member, on every device, is revoked. Access tokens already
        issued work until they expire (CHATBOT_ACCESS_MINUTES)."""
        log_out(requesting_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
