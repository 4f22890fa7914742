from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from disks.directory.backends import UNAVAILABLE_ATTR


class DirectoryAuthenticationForm(AuthenticationForm):
    """Django's login form, saying so when the directory, not the password, was the problem."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Your username and password didn't match. Please try again."),
        "directory_unavailable": _(
            "The directory is not answering, so directory accounts cannot sign in just now. "
            "Try again in a few minutes."
        ),
    }

    def get_invalid_login_error(self):
        if getattr(self.request, UNAVAILABLE_ATTR, None) is not None:
            return forms.ValidationError(
                self.error_messages["directory_unavailable"], code="directory_unavailable"
            )
        return super().get_invalid_login_error()
