"""Staff routes (people who may invite: reviewers, admins): invitations. Thin adapters over the services."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import candidate_for_email
from assessments.apis import ERRORS
from assessments.models import Assessment, Invitation
from assessments.services.invitations import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitation_url,
    invitations_import_csv,
)
from common.apis import requires
from common.exceptions import ApplicationError, NotFound


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment_id = serializers.IntegerField()
    candidate_id = serializers.IntegerField()
    candidate_email = serializers.EmailField(source="candidate.email")
    url = serializers.SerializerMethodField()
    extra_minutes = serializers.SerializerMethodField()
    available_from = serializers.DateTimeField(allow_null=True)
    available_until = serializers.DateTimeField(allow_null=True)
    link_expires_at = serializers.DateTimeField(allow_null=True)
    link_used_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Invitation"

    def get_url(self, invitation) -> str:
        return invitation_url(invitation)

    def get_extra_minutes(self, invitation) -> float:
        return invitation.extra_time.total_seconds() / 60


class StaffApi(APIView):
    permission_classes = [requires("assessments.add_invitation", "assessments.change_invitation")]


def _assessment(assessment_id: int) -> Assessment:
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound("Assessment not found.")
    return assessment


class InvitationCreateApi(StaffApi):
    class InputSerializer(serializers.Serializer):
        candidate_id = serializers.IntegerField(required=False)
        email = serializers.EmailField(required=False, help_text="A new address creates the candidate's account.")
        name = serializers.CharField(required=False, max_length=150, default="")
        extra_minutes = serializers.IntegerField(required=False, default=0, min_value=0, max_value=600)
        available_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
        available_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
        send = serializers.BooleanField(required=False, default=True)

        class Meta:
            ref_name = "InvitationInput"

    @extend_schema(request=InputSerializer, responses={201: InvitationOutputSerializer, **ERRORS},
                   summary="Invite a candidate (by id or e-mail) and e-mail the link")
    def post(self, request, assessment_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        candidate = None
        if d.get("candidate_id"):
            candidate = User.objects.filter(pk=d["candidate_id"]).first()
        elif d.get("email"):
            candidate = candidate_for_email(email=d["email"], name=d.get("name", ""))
        if candidate is None:
            raise ApplicationError("No such candidate: give an e-mail address or a candidate id.", {"field": "candidate"})
        invitation, _ = invitation_create(
            assessment=_assessment(assessment_id), candidate=candidate, extra_time=timedelta(minutes=d["extra_minutes"]),
            available_from=d["available_from"], available_until=d["available_until"], send=d["send"],
        )
        return HttpResponse(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationCsvApi(StaffApi):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
        responses={201: InvitationOutputSerializer(many=True), **ERRORS},
        summary="Invite every row of a CSV (email, name[, extra_minutes]); all rows or none",
    )
    def post(self, request, assessment_id: int):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("Send the CSV as the `file` field of a multipart form.")
        if upload.size > 2 * 1024 * 1024:
            raise ApplicationError("The CSV is larger than 2 MB.")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ApplicationError("The CSV is not UTF-8 text.") from None
        invitations = invitations_import_csv(assessment=_assessment(assessment_id), text=text)
        return HttpResponse(InvitationOutputSerializer(invitations, many=True).data, status=status.HTTP_201_CREATED)


def _invitation(invitation_id: int) -> int:
    if not Invitation.objects.filter(pk=invitation_id).exists():
        raise NotFound("Invitation not found.")
    return invitation_id


class InvitationResendApi(StaffApi):
    @extend_schema(request=None, responses={200: InvitationOutputSerializer, **ERRORS},
                   summary="A fresh link (the old one stops working), e-mailed again")
    def post(self, request, invitation_id: int):
        invitation = invitation_resend(invitation_id=_invitation(invitation_id))
        return HttpResponse(InvitationOutputSerializer(invitation).data)


class InvitationRevokeApi(StaffApi):
    @extend_schema(request=None, responses={200: InvitationOutputSerializer, **ERRORS}, summary="Withdraw an invitation")
    def post(self, request, invitation_id: int):
        invitation = invitation_revoke(invitation_id=_invitation(invitation_id))
        return HttpResponse(InvitationOutputSerializer(invitation).data)
