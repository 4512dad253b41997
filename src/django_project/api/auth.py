from typing import Any

from dependency_injector.wiring import Provide, inject
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
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from application.members import RegisterMember, RegisterMemberInput
from django_project.api.serializers import MemberOutput, errors
from django_project.container import Container

_TOKENS = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class SignupApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "signup"

    @extend_schema_serializer(component_name="SignupInput")
    class InputSerializer(serializers.Serializer):
        # Anything else in the body (is_staff, id, ...) is ignored: only these fields are read.
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        nickname = serializers.CharField(max_length=30)
        born_year = serializers.IntegerField(required=False, allow_null=True)
        job = serializers.CharField(
            max_length=100, required=False, allow_null=True, allow_blank=True
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: MemberOutput, **errors(400, 429)},
        tags=["auth"],
        auth=[],
    )
    @inject
    def post(
        self,
        request: Request,
        register: RegisterMember = Provide[Container.register_member],
    ) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = register(RegisterMemberInput(**body.validated_data))
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"], responses={200: _TOKENS, **errors(400, 401, 429)}, auth=[])
class LoginApi(TokenObtainPairView):
    """Email and password in, a JWT pair out. An unknown email and a wrong password get the
    same answer."""

    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "login"


@extend_schema(tags=["auth"], responses={200: _TOKENS, **errors(400, 401)}, auth=[])
class RefreshApi(TokenRefreshView):
    """A refresh token in, a new pair out; the old refresh token is revoked (rotation)."""


class LogoutApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema_serializer(component_name="LogoutInput")
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={204: OpenApiResponse(description="revoked")},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            token: Any = RefreshToken(body.validated_data["refresh"])
        except TokenError as error:
            raise InvalidToken({"detail": str(error), "code": "token_not_valid"}) from error
        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise InvalidToken(
                {"detail": "This refresh token is not yours.", "code": "token_not_valid"}
            )
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)
