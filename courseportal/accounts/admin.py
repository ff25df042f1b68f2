from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from courseportal.accounts.models import Profile, SignInFailure


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithProfileAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, ProfileInline]


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Recent wrong passwords, for staff asking who is guessing; written only by the throttle."""

    list_display = ["at", "username", "address", "from_trusted_device"]
    list_filter = ["at"]
    search_fields = ["username", "address"]
    ordering = ["-at"]

    @admin.display(boolean=True, description=_("From a browser the account signed in on before"))
    def from_trusted_device(self, failure: SignInFailure) -> bool:
        return bool(failure.device)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
