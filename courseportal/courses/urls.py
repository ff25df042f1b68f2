from django.urls import path

from courseportal.courses import views

app_name = "courses"

ASSIGNMENT = "<slug:course_slug>/assignments/<slug:assignment_slug>/"

urlpatterns = [
    path("<slug:course_slug>/", views.course_page, name="course"),
    path("<slug:course_slug>/students/", views.students_page, name="students"),
    path("<slug:course_slug>/students/roster/", views.roster_import_view, name="roster_import"),
    path("<slug:course_slug>/students/<int:student_id>/password-reset/", views.student_password_reset,
         name="student_password_reset"),
    path(ASSIGNMENT + "starter/<path:name>", views.starter_download, name="starter"),
    path(ASSIGNMENT + "rules/", views.assignment_rules, name="assignment_rules"),
    path(ASSIGNMENT + "release/", views.assignment_release, name="assignment_release"),
    path(ASSIGNMENT + "extensions/", views.extensions_page, name="extensions"),
    path(ASSIGNMENT + "extensions/<int:pk>/withdraw/", views.extension_revoke_view, name="extension_revoke"),
]
