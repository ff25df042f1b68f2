from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "courseportal.accounts"
    label = "accounts"
