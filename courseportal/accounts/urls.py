from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from courseportal.accounts import views
from courseportal.accounts.forms import PasswordResetForm
from courseportal.accounts.services import RESET_EMAIL_TEMPLATE, RESET_SUBJECT_TEMPLATE

app_name = "accounts"

urlpatterns = [
    path("language/", views.language_set, name="language"),
]

# Django's own password views under Django's standard (un-namespaced) names, so that anything
# (the locked-out page, e-mails) can link to "password_reset" or "password_change".
password_urlpatterns = [
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(
        form_class=PasswordResetForm, email_template_name=RESET_EMAIL_TEMPLATE,
        subject_template_name=RESET_SUBJECT_TEMPLATE, success_url=reverse_lazy("password_reset_done")),
        name="password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
