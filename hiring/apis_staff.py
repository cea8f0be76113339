"""Staff routes for the hiring pipeline: roles, candidates, moves, scorecards, comments and score
overrides. Thin adapters: hiring.access decides who sees what, services do the work."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from accounts.models import User
from assessments.apis import ERRORS
from common.apis import requires
from common.exceptions import ApplicationError, NotFound
from hiring import services
from hiring.access import application_get_for_staff, applications_get_for_staff, is_hiring_staff, may_manage
from hiring.models import Role, Scorecard, Stage
from hiring.selectors_staff import application_detail, role_applications, roles_visible_to

MANAGE = requires("hiring.change_application")


class HiringStaff(IsAuthenticated):
    message = "Only the hiring team can see this."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_hiring_staff(request.user)


class StaffApi(APIView):
    permission_classes = [HiringStaff]


def _role(user: User, role_id: int) -> Role:
    role = roles_visible_to(user).filter(pk=role_id).first()
    if role is None:
        raise NotFound("Role not found.")
    return role


def _stage(role: Role, slug: str) -> Stage:
    stage = role.stages.filter(slug=slug).first()
    if stage is None:
        raise ApplicationError("No such stage in this role.", {"stage": slug, "stages": list(role.stages.values_list("slug", flat=True))})
    return stage


class StageSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    order = serializers.IntegerField()
    assessment_id = serializers.IntegerField(allow_null=True)
    uses_scorecards = serializers.BooleanField()
    invite_on_enter = serializers.BooleanField()
    advance_on_pass = serializers.BooleanField()

    class Meta:
        ref_name = "Stage"


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    is_open = serializers.BooleanField(read_only=True)
    stages = StageSerializer(many=True, read_only=True, source="stages.all")

    class Meta:
        ref_name = "Role"


class RoleListApi(StaffApi):
    @extend_schema(responses={200: RoleSerializer(many=True), **ERRORS}, summary="Roles the user may see")
    def get(self, request):
        roles = roles_visible_to(request.user).prefetch_related("stages").order_by("title")
        return HttpResponse(RoleSerializer(roles, many=True).data)

    @extend_schema(request=RoleSerializer, responses={201: RoleSerializer, **ERRORS},
                   summary="Create a role with the default five stages")
    def post(self, request):
        if not may_manage(request.user):
            raise ApplicationError("Only recruiters can create roles.", status=403)
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if Role.objects.filter(slug=data.validated_data["slug"]).exists():
            raise ApplicationError("A role with this slug exists.", {"slug": data.validated_data["slug"]})
        role = services.role_create(**data.validated_data)
        return HttpResponse(RoleSerializer(role).data, status=status.HTTP_201_CREATED)


class StageUpdateApi(StaffApi):
    permission_classes = [HiringStaff, MANAGE]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        assessment_id = serializers.IntegerField(allow_null=True, required=False)
        uses_scorecards = serializers.BooleanField(required=False)
        invite_on_enter = serializers.BooleanField(required=False)
        advance_on_pass = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "StageUpdateInput"

    @extend_schema(request=InputSerializer, responses={200: StageSerializer, **ERRORS},
                   summary="Rename a stage, attach its assessment, switch its rules on or off")
    def patch(self, request, role_id: int, stage_slug: str):
        role = _role(request.user, role_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stage = services.stage_update(stage=_stage(role, stage_slug), **data.validated_data)
        return HttpResponse(StageSerializer(stage).data)


class ApplicationListApi(StaffApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        name = serializers.CharField(max_length=150, required=False, default="")

        class Meta:
            ref_name = "ApplicationListInput"

    @extend_schema(
        responses={200: inline_serializer("ApplicationPage", {"count": serializers.IntegerField(),
                                                               "results": serializers.ListField(child=serializers.JSONField())}),
                   **ERRORS},
        summary="A role's candidates, a page at a time (filters: stage, state, q; ordering; limit, offset)",
    )
    def get(self, request, role_id: int):
        role = _role(request.user, role_id)
        params = request.query_params
        try:
            limit, offset = int(params.get("limit", 50)), int(params.get("offset", 0))
        except ValueError:
            raise ApplicationError("limit and offset are whole numbers.") from None
        page = role_applications(
            user=request.user, role=role, stage=params.get("stage", ""), state=params.get("state", ""),
            search=params.get("q", ""), ordering=params.get("ordering", "-updated"), limit=limit, offset=max(offset, 0),
        )
        return HttpResponse(page)

    @extend_schema(request=InputSerializer, responses={201: inline_serializer("ApplicationCreated", {"id": serializers.IntegerField()}),
                                                       **ERRORS},
                   summary="Add a candidate to a role (by e-mail; the account is created if new)")
    def post(self, request, role_id: int):
        if not may_manage(request.user):
            raise ApplicationError("Only recruiters can add candidates.", status=403)
        role = _role(request.user, role_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_add(role=role, actor=request.user, **data.validated_data)
        return HttpResponse({"id": application.id}, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(StaffApi):
    @extend_schema(responses={200: inline_serializer("CandidateRecord", {"id": serializers.IntegerField(),
                                                                         "attempts": serializers.ListField(child=serializers.JSONField())}),
                              **ERRORS},
                   summary="A candidate's whole record: pipeline, audit trail, attempts (hidden tests included), scorecards, comments")
    def get(self, request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        return HttpResponse(application_detail(user=request.user, application=application))


class MoveSerializer(serializers.Serializer):
    stage = serializers.SlugField(required=False, help_text="Move to this stage…")
    state = serializers.ChoiceField(choices=["hired", "rejected", "withdrawn"], required=False, help_text="…or close the application.")
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)

    def validate(self, attrs):
        if bool(attrs.get("stage")) == bool(attrs.get("state")):
            raise serializers.ValidationError("Give either a stage to move to or a state to close with.")
        return attrs


def _target(data: dict) -> str:
    return data.get("state") or data["stage"]


class ApplicationMoveApi(StaffApi):
    permission_classes = [HiringStaff, MANAGE]

    @extend_schema(request=MoveSerializer, responses={200: inline_serializer("Moved", {"stage": serializers.CharField(),
                                                                                      "state": serializers.CharField()}),
                                                      **ERRORS},
                   summary="Move a candidate to another stage, or hire / reject / withdraw (audited)")
    def post(self, request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved, = services.applications_send(applications=[application], target=_target(data.validated_data),
                                            actor=request.user, note=data.validated_data["note"])
        return HttpResponse({"stage": moved.stage.slug, "state": moved.state})


class ApplicationBulkMoveApi(StaffApi):
    permission_classes = [HiringStaff, MANAGE]

    class InputSerializer(MoveSerializer):
        ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=1000)

        class Meta:
            ref_name = "ApplicationBulkMoveInput"

    @extend_schema(request=InputSerializer, responses={200: inline_serializer("BulkMoved", {"moved": serializers.IntegerField()}),
                                                       **ERRORS},
                   summary="Move or close several candidates at once: all of them, or none",
                   operation_id="staff_applications_bulk_move")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["ids"]
        applications = applications_get_for_staff(user=request.user, application_ids=ids)
        services.applications_send(applications=applications, target=_target(data.validated_data), actor=request.user,
                                   note=data.validated_data["note"])
        return HttpResponse({"moved": len(applications)})


class InterviewersApi(StaffApi):
    permission_classes = [HiringStaff, MANAGE]

    class InputSerializer(serializers.Serializer):
        usernames = serializers.ListField(child=serializers.CharField(), max_length=50)

        class Meta:
            ref_name = "InterviewersInput"

    @extend_schema(request=InputSerializer, responses={200: inline_serializer("Interviewers", {"usernames": serializers.ListField()}),
                                                       **ERRORS},
                   summary="Assign the interviewers who may see this candidate")
    def put(self, request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        users = services.interviewers_assign(application=application, usernames=data.validated_data["usernames"],
                                             actor=request.user)
        return HttpResponse({"usernames": [u.username for u in users]})


class ScorecardApi(StaffApi):
    permission_classes = [HiringStaff, requires("hiring.add_scorecard")]

    class InputSerializer(serializers.Serializer):
        stage = serializers.SlugField()
        ratings = serializers.DictField(child=serializers.IntegerField(), help_text="{skill slug: 1..4}")
        recommendation = serializers.ChoiceField(choices=Scorecard.Recommendation.choices)
        notes = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)

        class Meta:
            ref_name = "ScorecardInput"

    @extend_schema(request=InputSerializer, responses={201: inline_serializer("ScorecardSaved", {"id": serializers.IntegerField()}),
                                                       **ERRORS},
                   summary="File (or replace) my scorecard for a stage: 1–4 per skill area, with anchors")
    def post(self, request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scorecard = services.scorecard_submit(
            application=application, stage=_stage(application.role, values["stage"]), interviewer=request.user,
            ratings=values["ratings"], recommendation=values["recommendation"], notes=values["notes"],
        )
        return HttpResponse({"id": scorecard.id}, status=status.HTTP_201_CREATED)


class CommentApi(StaffApi):
    permission_classes = [HiringStaff, requires("hiring.add_comment")]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=20000)

        class Meta:
            ref_name = "CommentInput"

    @extend_schema(request=InputSerializer, responses={201: inline_serializer("CommentSaved", {"id": serializers.IntegerField()}),
                                                       **ERRORS},
                   summary="Comment on a candidate")
    def post(self, request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(application=application, author=request.user, body=data.validated_data["body"])
        return HttpResponse({"id": comment.id}, status=status.HTTP_201_CREATED)


class ScoreOverrideApi(StaffApi):
    permission_classes = [HiringStaff, MANAGE, requires("assessments.change_response")]

    class InputSerializer(serializers.Serializer):
        score = serializers.FloatField(min_value=0)
        note = serializers.CharField(max_length=5000, help_text="Required: why the score changes.")

        class Meta:
            ref_name = "ScoreOverrideInput"

    @extend_schema(request=InputSerializer, responses={200: inline_serializer("Overridden", {"score": serializers.FloatField(),
                                                                                          "attempt_score": serializers.FloatField()}),
                                                       **ERRORS},
                   summary="Set a response's score by hand (free text, or overriding the automatic grade), with a note")
    def post(self, request, application_id: int, response_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.response_override(application=application, response_id=response_id, reviewer=request.user,
                                               **data.validated_data)
        return HttpResponse({"score": response.score, "attempt_score": response.attempt.score})
