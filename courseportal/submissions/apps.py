from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "courseportal.submissions"
    label = "submissions"
