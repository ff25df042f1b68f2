from django.urls import path

from courseportal.submissions import views

app_name = "submissions"

urlpatterns = [
    path("courses/<slug:course_slug>/assignments/<slug:assignment_slug>/", views.assignment_detail, name="assignment"),
    path("courses/<slug:course_slug>/assignments/<slug:assignment_slug>/upload/", views.submission_upload, name="upload"),
    path("courses/<slug:course_slug>/assignments/<slug:assignment_slug>/submissions/", views.assignment_submission_list,
         name="assignment_list"),
    path("courses/<slug:course_slug>/training-queue/", views.training_queue_view, name="training_queue"),
    path("submissions/<int:pk>/", views.submission_detail, name="detail"),
    path("submissions/<int:pk>/status/", views.submission_status, name="status"),
    path("submissions/<int:pk>/download/", views.submission_download, name="download"),
    path("submissions/<int:pk>/regrade/", views.submission_regrade_view, name="regrade"),
    path("submissions/<int:pk>/grade/", views.submission_grade_manually_view, name="grade"),
]
