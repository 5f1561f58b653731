"""The REST API (django-ninja) at /api/v1/, with the same rules as the UI.

Routers are per domain; every permission and business rule is called from the app that
owns it (care.access, care.services, …), never re-implemented here.
"""
