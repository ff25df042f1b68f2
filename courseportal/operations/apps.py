from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "courseportal.operations"
    label = "operations"
    verbose_name = "Operations"
