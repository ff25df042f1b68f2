from django.urls import path

from courseportal.gradebook import views

app_name = "gradebook"

urlpatterns = [
    path("courses/<slug:course_slug>/gradebook/", views.gradebook_page, name="course"),
    path("courses/<slug:course_slug>/gradebook.csv", views.gradebook_csv, name="csv"),
]
