from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "courseportal.submissions"
    label = "submissions"

    def ready(self) -> None:
        from courseportal.submissions import checks  # noqa: F401  (registers the system checks)
