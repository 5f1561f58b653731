"""How every form in the UI is drawn: labelled fields, help and errors tied to the input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import Form
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest, QueryDict

# The dates the program works with. A week or a year either side of them is still a date
# (Python's dates stop at the years 1 and 9999, where a week's arithmetic fails), and a
# slip of the keyboard (0206 for 2026) is caught where it is typed.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class FormRenderer(TemplatesSetting):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


class DateInput(forms.DateInput):
    """The browser's date picker, limited to the dates the program works with."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)
        self.attrs.setdefault("min", EARLIEST_DATE.isoformat())
        self.attrs.setdefault("max", LATEST_DATE.isoformat())


class DateField(forms.DateField):
    """A date between `EARLIEST_DATE` and `LATEST_DATE`, entered with a date picker."""

    widget = DateInput
    default_error_messages = {
        "out_of_range": f"Enter a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        message = self.error_messages["out_of_range"]
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message=message),
            MaxValueValidator(LATEST_DATE, message=message),
        ]


def date_from_query(text: str | None) -> dt.date | None:
    """A date given as YYYY-MM-DD in a link, if it is one the program works with."""
    try:
        day = dt.date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


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
