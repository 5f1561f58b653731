"""How every form in the UI is drawn: labelled fields, help and errors tied to the input."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest, QueryDict


class FormRenderer(TemplatesSetting):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data on a POST (even an empty one, so it shows its errors), else None."""
    return request.POST if request.method == "POST" else None


def add_service_error(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: beside the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
