from django.urls import path

from courseportal.submissions import views

app_name = "submissions"

ASSIGNMENT = "courses/<slug:course_slug>/assignments/<slug:assignment_slug>/"

urlpatterns = [
    path(ASSIGNMENT, views.assignment_detail, name="assignment"),
    path(ASSIGNMENT + "upload/", views.submission_upload, name="upload"),
    path(ASSIGNMENT + "submissions/", views.assignment_submission_list, name="assignment_list"),
    path(ASSIGNMENT + "students/<int:student_id>/", views.student_history_view, name="student_history"),
    path(ASSIGNMENT + "regrade/", views.assignment_regrade_view, name="assignment_regrade"),
    path(ASSIGNMENT + "reading-checks/", views.assignment_reading_checks_view, name="reading_checks"),
    path("regrades/<int:pk>/", views.regrade_progress_view, name="regrade_progress"),
    path("regrades/<int:pk>/status/", views.regrade_progress_status, name="regrade_progress_status"),
    path("courses/<slug:course_slug>/training-queue/", views.training_queue_view, name="training_queue"),
    path("submissions/<int:pk>/", views.submission_detail, name="detail"),
    path("submissions/<int:pk>/status/", views.submission_status, name="status"),
    path("submissions/<int:pk>/download/", views.submission_download, name="download"),
    path("submissions/<int:pk>/regrade/", views.submission_regrade_view, name="regrade"),
    path("submissions/<int:pk>/override/", views.submission_override_view, name="override"),
    path("submissions/<int:pk>/reading-check/", views.submission_reading_check_view, name="reading_check"),
]
