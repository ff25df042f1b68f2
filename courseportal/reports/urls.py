from django.urls import path

from courseportal.reports import views

app_name = "reports"

ASSIGNMENT = "courses/<slug:course_slug>/assignments/<slug:assignment_slug>/"

urlpatterns = [
    path(ASSIGNMENT + "grading/", views.grading_overview, name="overview"),
    path(ASSIGNMENT + "grading/next/", views.next_ungraded, name="next"),
    path(ASSIGNMENT + "grading/setup/", views.grading_setup_view, name="setup"),
    path(ASSIGNMENT + "grading/split/", views.grading_split_view, name="split"),
    path(ASSIGNMENT + "rubric/", views.rubric_page, name="rubric"),
    path(ASSIGNMENT + "rubric/<int:pk>/", views.rubric_item_edit, name="rubric_item"),
    path(ASSIGNMENT + "rubric/<int:pk>/remove/", views.rubric_item_remove, name="rubric_item_remove"),
    path(ASSIGNMENT + "similarity/", views.similarity_page, name="similarity"),
    path("reports/<int:pk>/", views.grading_page, name="grade"),
    path("reports/<int:pk>/document/", views.report_document, name="document"),
    path("reports/<int:pk>/lock/", views.lock_renew, name="lock"),
    path("reports/<int:pk>/regrade-request/", views.regrade_request_view, name="regrade_request"),
]
