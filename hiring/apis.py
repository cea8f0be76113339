from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from hiring.selectors import candidate_progress


class ProgressApi(APIView):
    class OutputSerializer(serializers.Serializer):
        pipeline = serializers.ListField(child=serializers.JSONField())
        upcoming = serializers.ListField(child=serializers.JSONField())
        history = serializers.ListField(child=serializers.JSONField())
        skills = serializers.ListField(child=serializers.JSONField())

        class Meta:
            ref_name = "CandidateProgress"

    @extend_schema(responses={200: OutputSerializer}, summary="My stages, upcoming assessments, scores and skill profile")
    def get(self, request):
        return HttpResponse(self.OutputSerializer(candidate_progress(candidate=request.user)).data)
