from typing import Any

from dependency_injector.wiring import Provide, inject
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.accounts import SendVerificationMail
from application.members import GetProfile, UpdateProfile, UpdateProfileInput
from django_project.api.authentication import requesting_member
from django_project.api.mail import mail_request
from django_project.api.serializers import ProfileOutput, TextField, errors
from django_project.api.throttling import MemberThrottle
from django_project.container import Container


class MeApi(APIView):
    @extend_schema_serializer(component_name="ProfileInput")
    class InputSerializer(serializers.Serializer[Any]):
        nickname = TextField(max_length=30, required=False)
        born_year = serializers.IntegerField(required=False, allow_null=True)
        job = TextField(max_length=100, required=False, allow_null=True, allow_blank=True)

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
        profile = update(UpdateProfileInput(member_id=requesting_member(request), **changes))
        return Response(ProfileOutput(profile).data)


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
