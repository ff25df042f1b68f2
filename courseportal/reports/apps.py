from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "courseportal.reports"
    verbose_name = "Report grading"
