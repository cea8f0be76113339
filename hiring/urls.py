from django.urls import path

from hiring import apis, views

urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("api/me/progress/", apis.ProgressApi.as_view(), name="api-progress"),
]
