from django.apps import AppConfig


class GraderConfig(AppConfig):
    name = "grader"
    label = "grader"

    def ready(self) -> None:
        from grader import checks  # noqa: F401  (registers the system checks)
