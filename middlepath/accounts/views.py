from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from middlepath.accounts import services
from middlepath.accounts.forms import ApiTokenForm, SignInForm
from middlepath.accounts.models import ApiToken, User
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction, AuditOutcome
from middlepath.web.forms import add_service_error, posted
from middlepath.web.middleware import SESSION_TIME_ZONE


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        user.audit_address = self.request.META.get("REMOTE_ADDR")
        location = user.locations.order_by("name").first()
        if location is not None:
            self.request.session[SESSION_TIME_ZONE] = location.time_zone
        audit.record(actor=user, action=AuditAction.LOGIN)
        return response

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        username = (form.data.get("username") or "").strip()
        # Only a real username goes into the trail: a password typed into the wrong field
        # must not be kept.
        known = User.objects.filter(username=username).exists() if len(username) <= 150 else False
        locked = getattr(self.request, "axes_locked_out", False)
        audit.record(
            actor=None,
            action=AuditAction.LOCKED_OUT if locked else AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.DENIED if locked else AuditOutcome.FAILURE,
            data={"username": username} if known else {"username_known": False},
            remote_addr=self.request.META.get("REMOTE_ADDR"),
        )
        return super().form_invalid(form)


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            audit.record(actor=request.user, action=AuditAction.LOGOUT)
        return super().post(request, *args, **kwargs)


def tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: create (the secret is shown once) and revoke."""
    new_key = None
    form = ApiTokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.create_api_token(by=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )


@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked; programs using it are now refused.")
    return redirect("accounts:tokens")
