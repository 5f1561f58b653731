"""One settings module, configured by environment variables.

Every value read from the environment goes through a strict helper: a typo such as
DEBUG=ture stops start-up with a clear message instead of silently meaning False.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MIDDLEPATH_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_from_env_or_file(name: str, path: Path) -> str:
    """A secret from the environment, else from a file under var/ made on first use.

    The file keeps a development install working across restarts without anyone choosing a
    key; production sets the variable (or provisions the file) explicitly.
    """
    value = os.environ.get(name)
    if value:
        return value
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_from_env_or_file("SECRET_KEY", VAR_DIR / "secret.key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies in front of the app (0: clients connect directly). With N, the client's
# address is the Nth from the right in X-Forwarded-For; lock-outs, rate limits and the audit
# trail all use it. Never set it higher than the real number: the header can be forged.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Detect N+1 queries (django-zeal) in the test suite: pytest sets PYTEST_VERSION for its run.
DETECT_N_PLUS_ONE = env_bool("MIDDLEPATH_DETECT_N_PLUS_ONE", "PYTEST_VERSION" in os.environ)

INSTALLED_APPS = [
    "middlepath.web",
    "middlepath.privacy",
    "middlepath.accounts",
    "middlepath.clinic",
    "middlepath.care",
    "middlepath.sessions",
    "middlepath.roster",
    "middlepath.billing",
    "middlepath.intake",
    "middlepath.api",
    "middlepath.reports",
    "middlepath.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "ninja",
    "axes",
]
if DETECT_N_PLUS_ONE:
    INSTALLED_APPS.append("zeal")

MIDDLEWARE = [
    "middlepath.web.middleware.client_address_behind_proxies",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "middlepath.web.middleware.LoginRequired",
    "middlepath.web.middleware.client_address",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "middlepath.web.middleware.location_time_zone",
    "middlepath.web.middleware.no_store_for_signed_in",
    "middlepath.web.middleware.NumbersOutOfRange",
    # Axes last: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]
if DETECT_N_PLUS_ONE:
    MIDDLEWARE.insert(0, "zeal.middleware.zeal_middleware")

ROOT_URLCONF = "middlepath.urls"
WSGI_APPLICATION = "middlepath.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "middlepath.web.context_processors.site",
            ],
        },
    },
]

FORM_RENDERER = "middlepath.web.forms.FormRenderer"

# Databases: SQLite under var/ by default, PostgreSQL in production (DATABASE_URL).
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'middlepath.sqlite3'}"
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(
        "DATABASE_URL must look like sqlite:///path/to/file.sqlite3 or "
        f"postgres://user@host:5432/dbname ({exc})"
    ) from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged commit
    # survive a power cut; IMMEDIATE takes the write lock at BEGIN, so two writers queue for
    # busy_timeout instead of one failing with "database is locked" when it upgrades its lock.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not Django's shared in-memory database: the browser tests' live
    # server answers requests on other threads, and a shared in-memory SQLite database
    # locks whole tables ("database table is locked") where WAL on a file just waits.
    # One file per test run, so that runs side by side in one checkout do not collide.
    _database["TEST"] = {"NAME": str(VAR_DIR / f"test-middlepath-{os.getpid()}.sqlite3")}
elif _database["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name an SQLite or PostgreSQL database")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out user before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Django's default PBKDF2-SHA256 first (NIST-approved primitives, ONC 170.315(d)(12)).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins lock the username out from that address (django-axes).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its log lines would carry usernames and addresses on every attempt

# Automatic log-off after inactivity (ONC 170.315(d)(5)): the session cookie lives
# SESSION_IDLE_MINUTES past the last request, and every request renews it.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 15, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and env_bool("HTTPS", False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000

LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as America/Chicago; got {TIME_ZONE!r}"
    )

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
# Serve straight from the apps' static folders when nothing was collected (development,
# tests); production runs `middlepath collectstatic` and WhiteNoise serves STATIC_ROOT.
WHITENOISE_USE_FINDERS = True

# Rate limits on the public consultation form (django-ratelimit) count in a cache that all
# server processes share: a table in the main database, so no extra service is needed
# (`middlepath createcachetable` makes it; the test runner makes its own). The library
# flags DatabaseCache as not incrementing atomically: two submissions in the same instant
# may count as one, which is harmless for a limit of a few requests an hour.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "middlepath_ratelimit",
    },
}
RATELIMIT_USE_CACHE = "ratelimit"
CONSULTATION_LIMIT_PER_HOUR = env_int("CONSULTATION_LIMIT_PER_HOUR", 5, minimum=1)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "middlepath@localhost")

# The audit trail's HMAC key lives outside the database, so whoever can write the table
# cannot forge a chain that verifies. The head file is a second witness: it remembers the
# last entry so that rows cut off the end of the trail are noticed too.
AUDIT_KEY = secret_from_env_or_file(
    "AUDIT_KEY", Path(os.environ.get("AUDIT_KEY_FILE", VAR_DIR / "audit.key"))
)
AUDIT_HEAD_FILE = Path(os.environ.get("AUDIT_HEAD_FILE", VAR_DIR / "audit-head.json"))

# Where the weekly roster is built: in a thread of the web process that took the request
# (one machine, one process: `make run`), by `middlepath roster worker` (production: builds
# survive web restarts and never run two at a time), or inside the request (debugging).
ROSTER_BUILDS = env_choice("ROSTER_BUILDS", "thread", ("thread", "worker", "inline"))
ROSTER_DEFAULT_SECONDS = env_int("ROSTER_DEFAULT_SECONDS", 30, minimum=1)

NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Exception messages can quote row values (a unique-constraint error names the
        # duplicate), so logged tracebacks keep the frames and drop the messages.
        "phi_safe": {
            "()": "middlepath.web.logging.PHISafeFormatter",
            "format": "{asctime} {levelname} {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "phi_safe"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
