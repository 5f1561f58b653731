from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Both are case-sensitive. "
        "After several failed attempts the account is locked for a while.",
    }


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What the token is for, e.g. 'weekly reporting script'.",
    )
