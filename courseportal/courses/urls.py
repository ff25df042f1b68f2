from django.urls import path

from courseportal.courses import views

app_name = "courses"

urlpatterns = [
    path("<slug:course_slug>/assignments/<slug:assignment_slug>/starter/<path:name>", views.starter_download, name="starter"),
]
