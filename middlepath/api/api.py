from __future__ import annotations

from ninja import NinjaAPI

from middlepath.api import clinic, errors, intake, patients, sessions
from middlepath.api.auth import BearerToken, SessionAuth

api = NinjaAPI(
    title="Middlepath API",
    version="1",
    description=(
        "The REST API of Middlepath, with the same permissions as the staff UI. "
        "Authenticate with your browser session or `Authorization: Bearer <token>` "
        "(make a token on your account page). Every read of a patient's record is audited. "
        "Names and other PHI are never accepted in URLs: search with POST /patients/search."
    ),
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth()],
)
errors.install(api)
api.add_router("/", clinic.router)
api.add_router("/", patients.router)
api.add_router("/", intake.router)
api.add_router("/", sessions.router)
