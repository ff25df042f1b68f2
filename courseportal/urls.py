from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from courseportal.accounts.urls import password_urlpatterns
from courseportal.accounts.views import LoginView
from courseportal.courses.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include(password_urlpatterns)),
    path("accounts/", include("courseportal.accounts.urls")),
    path("courses/", include("courseportal.courses.urls")),
    path("", include("courseportal.submissions.urls")),
    path("", include("courseportal.gradebook.urls")),
    path("", include("courseportal.reports.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's, files); one answer, no 404s.
    path("favicon.ico", RedirectView.as_view(url=static("courseportal/favicon.svg"), permanent=True)),
]
