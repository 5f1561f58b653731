"""The public consultation form, and the intake team's queue and inquiry pages."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from middlepath.care.access import get_patient_for_user
from middlepath.intake import services
from middlepath.intake.access import (
    ADD,
    CHANGE,
    OVERRIDE,
    can_admit,
    get_inquiry_for_user,
    visible_inquiries,
)
from middlepath.intake.forms import (
    AdmitForm,
    AssignForm,
    BenefitsForm,
    CloseForm,
    ConsultationForm,
    ContactForm,
    QueueFilterForm,
    ReopenForm,
    ScheduleForm,
    ScreeningForm,
    StaffInquiryForm,
)
from middlepath.intake.models import (
    OPEN_STATUSES,
    ContactAttempt,
    Inquiry,
    InquiryStatus,
    InquiryStatusChange,
    Source,
)
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster import calendars
from middlepath.sessions.hours import Week
from middlepath.sessions.placement import suggest_groups
from middlepath.web.forms import add_service_error

logger = logging.getLogger(__name__)
PAGE_SIZE = 25
RATE_GROUP = "intake.consultation"


def _consultation_rate(group: str, request: HttpRequest) -> str:
    return f"{settings.CONSULTATION_LIMIT_PER_HOUR}/h"


def _over_limit(request: HttpRequest) -> int | None:
    """Count one submission from this address; seconds until it may submit again if over.

    The count lives in the shared cache table. If that table is missing the form stays
    open rather than fail a person asking for help; the error says how to fix it.
    """
    try:
        usage = get_usage(
            request, group=RATE_GROUP, key="ip", rate=_consultation_rate, increment=True
        )
    except DatabaseError:
        logger.error("The rate-limit cache table is missing: run `middlepath createcachetable`.")
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(usage["time_left"], 1)


@login_not_required
@never_cache
@sensitive_post_parameters()
def consultation(request: HttpRequest) -> HttpResponse:
    """The public request for a consultation: anyone, any hour, no sign-in.

    The answer after a valid submission is a redirect to a page without any of what was
    typed, so nothing personal sits in a URL or in the browser's history. A filled honeypot
    gets the same answer and is stored nowhere. Valid submissions count toward a limit per
    address; an invalid one only shows its errors (a person fixing typos is not a robot).
    """
    form = ConsultationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        retry_after = _over_limit(request)
        if retry_after is not None:
            response = render(
                request,
                "intake/consultation_limited.html",
                {
                    "minutes": (retry_after + 59) // 60,
                    "locations": form.fields["location"].queryset,
                },
                status=429,
            )
            response["Retry-After"] = str(retry_after)
            return response
        if form.is_robot:
            logger.info("A consultation form with its honeypot filled was answered, not kept.")
            return redirect("consultation_thanks")
        try:
            services.submit_inquiry(
                by=None, site_url=request.build_absolute_uri("/"), **form.inquiry_data()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect("consultation_thanks")
    return render(request, "intake/consultation.html", {"form": form})


@login_not_required
@never_cache
def consultation_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/consultation_thanks.html")


def queue(request: HttpRequest) -> HttpResponse:
    """The inquiry queue: new requests first with how long they have waited."""
    user = request.user
    if not user.has_perm("intake.view_inquiry"):
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None, user=user)
    visible = visible_inquiries(user)
    inquiries = (
        form.filter(visible)
        .select_related("location", "assigned_to")
        .annotate(contact_count=Count("contacts"))
        .in_queue_order()
    )
    paginator = Paginator(inquiries, PAGE_SIZE)
    page = paginator.get_page(
        form.cleaned_data.get("page") if form.is_bound and form.is_valid() else 1
    )
    counts = visible.open().count_by_status()
    audit.record(
        actor=user,
        action=AuditAction.INQUIRY_LIST,
        data={"results": paginator.count, "page": page.number},
    )
    context = {
        "form": form,
        "page": page,
        "paginator": paginator,
        "status_counts": [(status, counts.get(status.value, 0)) for status in OPEN_STATUSES],
        "may_add": user.has_perm(ADD),
    }
    template = "intake/queue.html#results" if request.htmx else "intake/queue.html"
    return render(request, template, context)


def create(request: HttpRequest) -> HttpResponse:
    """Staff record a request that came by phone, in person or by referral."""
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    form = StaffInquiryForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            inquiry = services.submit_inquiry(
                by=request.user,
                source=Source.STAFF,
                site_url=request.build_absolute_uri("/"),
                **form.inquiry_data(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Inquiry {inquiry.pk} added to the queue.")
            return redirect("intake:detail", pk=inquiry.pk)
    return render(request, "intake/inquiry_form.html", {"form": form, "inquiry": None})


def _detail_context(request: HttpRequest, inquiry: Inquiry, **forms: Any) -> dict[str, Any]:
    user = request.user
    screenings = list(inquiry.screenings.select_related("by").order_by("screened_at", "pk"))
    verifications = list(inquiry.verifications.select_related("by").order_by("verified_at", "pk"))
    verification = verifications[-1] if verifications else None
    may_change = user.has_perm(CHANGE)
    status = inquiry.status
    return {
        "inquiry": inquiry,
        "contacts": list(
            ContactAttempt.objects.filter(inquiry=inquiry)
            .select_related("by")
            .order_by("-attempted_at", "-pk")
        ),
        "changes": list(
            InquiryStatusChange.objects.filter(inquiry=inquiry).select_related("changed_by")
        ),
        "screening": screenings[-1] if screenings else None,
        "earlier_screenings": len(screenings) - 1 if screenings else 0,
        "verification": verification,
        "estimate": verification.estimate() if verification else None,
        "may_change": may_change,
        "may_screen": may_change and status in services.SCREENABLE,
        "may_verify": may_change and status in services.VERIFIABLE,
        "may_schedule": may_change and inquiry.is_open,
        "may_admit": may_change and can_admit(user) and inquiry.is_open,
        "may_close": may_change and inquiry.is_open,
        "may_reopen": may_change and status == InquiryStatus.CLOSED,
        "contact_form": forms.get("contact_form") or ContactForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(inquiry=inquiry, initial={"assigned_to": inquiry.assigned_to_id}),
    }


def _render_detail(request: HttpRequest, inquiry: Inquiry, **forms: Any) -> HttpResponse:
    audit.record(actor=request.user, action=AuditAction.INQUIRY_VIEW, obj=inquiry)
    return render(request, "intake/inquiry_detail.html", _detail_context(request, inquiry, **forms))


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_inquiry_for_user(request.user, pk))


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = StaffInquiryForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial=StaffInquiryForm.initial_for(inquiry),
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_inquiry(
                inquiry=inquiry, by=request.user, changes=form.inquiry_data()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Details saved." if changed else "Nothing changed.")
            return redirect("intake:detail", pk=inquiry.pk)
    elif request.method != "POST":
        audit.record(
            actor=request.user, action=AuditAction.INQUIRY_VIEW, obj=inquiry, data={"page": "edit"}
        )
    return render(request, "intake/inquiry_form.html", {"form": form, "inquiry": inquiry})


@require_POST
def contact(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.log_contact(inquiry=inquiry, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Contact logged.")
            return redirect("intake:detail", pk=inquiry.pk)
    return _render_detail(request, inquiry, contact_form=form)


@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = AssignForm(request.POST, inquiry=inquiry)
    if form.is_valid():
        try:
            services.assign_inquiry(
                inquiry=inquiry, by=request.user, to=form.cleaned_data["assigned_to"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Handler saved.")
            return redirect("intake:detail", pk=inquiry.pk)
    return _render_detail(request, inquiry, assign_form=form)


def screening(request: HttpRequest, pk: int) -> HttpResponse:
    """The structured screening; htmx previews the suggestion as answers come in."""
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = ScreeningForm(request.POST if request.method == "POST" else None)
    if request.htmx and request.method == "POST" and "preview" in request.POST:
        return render(
            request, "intake/screening_form.html#suggestion", {"suggestion": form.suggestion()}
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_screening(inquiry=inquiry, by=request.user, **form.service_data())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Screening saved.")
            return redirect("intake:detail", pk=inquiry.pk)
    if request.method != "POST":
        audit.record(
            actor=request.user,
            action=AuditAction.INQUIRY_VIEW,
            obj=inquiry,
            data={"page": "screening"},
        )
    return render(
        request,
        "intake/screening_form.html",
        {
            "inquiry": inquiry,
            "form": form,
            "suggestion": form.suggestion() if form.is_bound else None,
        },
    )


def benefits(request: HttpRequest, pk: int) -> HttpResponse:
    """The verification-of-benefits checklist; htmx previews the cost estimate."""
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    data = request.POST if request.method == "POST" else None
    form = BenefitsForm(data, inquiry=inquiry)
    if request.htmx and request.method == "POST" and "preview" in request.POST:
        return render(request, "intake/benefits_form.html#estimate", {"estimate": form.estimate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_benefits(inquiry=inquiry, by=request.user, **form.service_data())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Benefits verification saved.")
            return redirect("intake:detail", pk=inquiry.pk)
    if request.method != "POST":
        audit.record(
            actor=request.user,
            action=AuditAction.INQUIRY_VIEW,
            obj=inquiry,
            data={"page": "benefits"},
        )
    return render(
        request,
        "intake/benefits_form.html",
        {"inquiry": inquiry, "form": form, "estimate": form.estimate() if form.is_bound else None},
    )


def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    may_override = request.user.has_perm(OVERRIDE)
    form = ScheduleForm(
        request.POST if request.method == "POST" else None,
        may_override=may_override,
        initial={"on": inquiry.admission_scheduled_for},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_admission(
                inquiry=inquiry,
                by=request.user,
                on=form.cleaned_data["on"],
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Admission scheduled.")
            return redirect("intake:detail", pk=inquiry.pk)
    return _action_page(request, inquiry, form, "Schedule the admission", "Schedule")


def admit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admit: the patient's chart (found or new), an episode, and coverage, all at once."""
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    if not can_admit(request.user):
        raise PermissionDenied
    screening = inquiry.screenings.order_by("-screened_at", "-pk").first()
    today = inquiry.location.today() if inquiry.location_id else timezone.localdate()
    form = AdmitForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        may_override=request.user.has_perm(OVERRIDE),
        initial=AdmitForm.initial_for(inquiry, screening, inquiry.admission_scheduled_for or today),
    )
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.admit_inquiry(inquiry=inquiry, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"{episode.patient.display_name} admitted (MRN {episode.patient.mrn}). "
                "Now give them their groups for the first week.",
            )
            return redirect("intake:first_week", pk=inquiry.pk)
    return _action_page(
        request,
        inquiry,
        form,
        "Admit",
        "Admit",
        screening=screening,
        problem=inquiry.transition_problem(InquiryStatus.ADMITTED),
    )


def close(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_inquiry(inquiry=inquiry, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Inquiry closed.")
            return redirect("intake:detail", pk=inquiry.pk)
    return _action_page(request, inquiry, form, "Close the inquiry", "Close", danger=True)


def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_inquiry_for_user(request.user, pk, permission=CHANGE)
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reopen_inquiry(
                inquiry=inquiry, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Inquiry reopened.")
            return redirect("intake:detail", pk=inquiry.pk)
    return _action_page(request, inquiry, form, "Reopen the inquiry", "Reopen")


def _action_page(
    request: HttpRequest,
    inquiry: Inquiry,
    form: Any,
    title: str,
    submit_label: str,
    **extra: Any,
) -> HttpResponse:
    """A page with one form acting on the inquiry; showing it is a view of the inquiry."""
    if request.method != "POST":
        audit.record(
            actor=request.user,
            action=AuditAction.INQUIRY_VIEW,
            obj=inquiry,
            data={"page": request.resolver_match.url_name},
        )
    return render(
        request,
        "intake/action_form.html",
        {"inquiry": inquiry, "form": form, "title": title, "submit_label": submit_label, **extra},
    )


def first_week(request: HttpRequest, pk: int) -> HttpResponse:
    """After admission: groups of the patient's track with space, and their first week."""
    inquiry = get_inquiry_for_user(request.user, pk)
    if inquiry.patient_id is None:
        raise Http404("This inquiry has not been admitted.")
    patient = get_patient_for_user(request.user, inquiry.patient_id)
    episode = patient.current_episode
    if episode is None:
        messages.info(request, f"{patient.display_name} has no open episode.")
        return redirect("care:patient_detail", pk=patient.pk)
    first_day = max(episode.admitted_on, episode.location.today())
    week = Week.containing(first_day, episode.program)
    audit.record(
        actor=request.user,
        action=AuditAction.SCHEDULE_VIEW,
        obj=patient,
        data={"week": week.start.isoformat()},
    )
    return render(
        request,
        "intake/first_week.html",
        {
            "inquiry": inquiry,
            "patient": patient,
            "episode": episode,
            "suggestions": suggest_groups(patient, day=first_day),
            "memberships": patient.memberships.current().select_related("group__group_type"),
            "week": week,
            "days": calendars.week_days(patient, week),
            "back": request.path,
        },
    )
