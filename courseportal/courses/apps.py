from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courseportal.courses"
    label = "courses"
