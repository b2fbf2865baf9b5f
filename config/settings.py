"""One settings file, driven by the environment (see README, "Configuration").

Every value a deployment changes comes from an environment variable (or a
`.env` file beside manage.py). The defaults are for a developer's machine:
an embedded SQLite database and no secrets, which is why the app refuses to
start with DEBUG off until SECRET_KEY is set.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.logs import logging_config, structlog_configure
from config.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app will not start without one: "
            "set SECRET_KEY in the environment (a long random string, for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=1 on a developer's machine."
        )
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    # Sign-in protection (README, "Signing in"): lockouts after repeated failures, second factors.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "config",
    "accounts",
    "directory",
    "referrals",
    "linkworkers",
    "reporting",
    "privacy",
    "django_structlog",
    "fhir_api",
]

MIDDLEWARE = [
    # Monitoring (README, "Monitoring"): a request id on every log line and answer, one JSON
    # log line a request (django-structlog), and the request counts /metrics gives.
    "config.middleware.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sign-in: which second factor verified this session, then no page until it is verified.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that finds the database out of reach answers 503 (config/middleware.py).
    "config.middleware.DatabaseUnavailableMiddleware",
    # Sign-in: turns a lockout into the lockout page; axes wants it last.
    "axes.middleware.AxesMiddleware",
]
# Retry-After on a 503 while the database is out of reach, in seconds.
OUTAGE_RETRY_AFTER_SECONDS = env.int("OUTAGE_RETRY_AFTER_SECONDS", default=30)

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "referrals.context_processors.header",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The partner API's hottest statements are planned once per connection (core/prepared.py);
# off behind a pgbouncer pooling by transaction (README, "Speed").
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# A streaming replica for the statistics pages' reads (README, "Scaling out"; core/replica.py).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # The tests read the primary through this alias: a replica has no test database.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# Past this lag the statistics read the primary instead.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.int("DATABASE_REPLICA_MAX_LAG_SECONDS", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Sign-in lockout: the axes backend refuses a locked-out account or address before any password
# is checked (it needs the request, which every sign-in form passes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The test suite (pyproject.toml) hashes passwords quickly: PBKDF2's deliberate slowness
# protects real logins and costs most of a second per test user. Honoured only with DEBUG on.
if DEBUG and env.bool("FAST_PASSWORD_HASHING", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# People's health records are on screen: a session ends after this much
# inactivity (each request pushes the expiry on) and when the browser closes.
SESSION_COOKIE_AGE = int(
    timedelta(minutes=env.int("SESSION_TIMEOUT_MINUTES", default=30)).total_seconds()
)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Internationalisation: English unprefixed, Welsh under /cy/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party front-end assets come from npm packages (package.json), never copied in.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Case documents (README, "Documents"): kept through Django's storage API and never served as
# files: only the access-checked download view reads them, so no MEDIA_URL is routed. Local disk
# under MEDIA_ROOT by default; DOCUMENT_STORAGE=s3 keeps them in an S3-compatible bucket through
# django-storages (the optional `s3` dependencies), its credentials read by boto3 from
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
if env.str("DOCUMENT_STORAGE", default="local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": "private",
            "file_overwrite": False,
        },
    }

# Email: EMAIL_URL such as smtp+tls://user:password@smtp.example.org:587
# (console output by default, so a developer sees what would be sent).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Seconds an SMTP connection or reply may take before the send fails and is retried later
# (core/outbox.py); without it a mail server that stops answering holds a worker for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Social prescribing <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address emails link back to (no request is at hand when a task writes them); unset,
# the one `make run` serves (HOST and PORT, which the Makefile passes on as SITE_URL too).
SITE_URL = env.str(
    "SITE_URL",
    default=f"http://{env.str('HOST', default='127.0.0.1')}:{env.str('PORT', default='8000')}",
)

# The map beside search results (README, "Directory"): the tile server Leaflet draws it from
# ({z}/{x}/{y}, and {s} for a server's subdomains) and the credit its licence asks for (HTML,
# shown in the map's corner). OpenStreetMap's own tiles by default, whose usage policy suits
# light use: a busy deployment sets its own server. Empty MAP_TILE_URL turns the map off. The
# Content-Security-Policy lets images come from that server (below).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default=(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
)

# Redis: the Celery broker and, when set, the cache (rate limits, sessions stay in the database).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
# Eager mode runs each task in-process at once: for `make run` and the tests.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# --- Broker outages (issue 18; README, "What survives what") ------------------------------------
# A worker outlives a Redis outage: it retries the connection for ever, at start-up and after
# losing it, through the Redis transport of core/broker.py (kombu's, with the fix that keeps a
# worker holding unacknowledged messages from exiting when Redis goes away).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
# Every task is safe to run twice (STYLE.md), so a message is acknowledged only once its task
# has finished, and one whose worker died is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task still running when the broker connection is lost will be delivered again by Redis:
# stop it rather than let the two copies run side by side.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The longest a task may run; the longest a message may wait in a worker is its countdown (an
# email's retry waits at most an hour: core/tasks.py). Redis gives a message nobody has
# acknowledged to another worker after the visibility timeout, so it must cover both, or a task
# would run twice while its first copy is still waiting or working.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3 * 3600)
# Web requests queue work and must not hang on a broker that is down: a short connection
# timeout, and no retry on publish (core/queue.py); what could not be queued is picked up by
# the sweeps on beat (the email outbox every 5 minutes).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # A command on a connection the broker dropped silently fails after this long.
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=5.0),
}
# Nothing reads a task's result but `manage.py check_worker` (its ping keeps one): storing none
# keeps every queueing away from the result backend, whose reconnection, with Redis down,
# blocked the request for about 19 s before failing.
CELERY_TASK_IGNORE_RESULT = True
# --- end broker outages ---
CELERY_BEAT_SCHEDULE: dict = {
    # Listings not reviewed within a year are flagged and their providers emailed, once each.
    "directory-flag-stale-services": {
        "task": "directory.flag_stale_services",
        "schedule": crontab(hour=6, minute=30),
    },
    # Decision emails to providers that a broker outage kept from being queued.
    "directory-notify-pending-decisions": {
        "task": "directory.notify_pending_decisions",
        "schedule": 600.0,
    },
}
# Sends what a broker or SMTP outage left in the email outbox (core.outbox, every app's).
CELERY_BEAT_SCHEDULE["core-resend-unsent-emails"] = {
    "task": "core.resend_unsent_emails",
    "schedule": 300.0,
}
# Partner webhooks (accounts/webhooks.py; README, "Webhooks"): retries that fell due, enqueues
# a broker outage lost, and claims of workers that died.
CELERY_BEAT_SCHEDULE["accounts-deliver-due-webhooks"] = {
    "task": "accounts.deliver_due_webhooks",
    "schedule": 60.0,
}
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
# Off in production: endpoints on private, loopback or link-local addresses are refused (SSRF).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=5.0)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
WEBHOOK_BACKOFF_SECONDS = env.int("WEBHOOK_BACKOFF_SECONDS", default=60)
WEBHOOK_BACKOFF_MAX_SECONDS = env.int("WEBHOOK_BACKOFF_MAX_SECONDS", default=6 * 3600)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
# GOV.UK Notify (linkworkers/services/messages.py; README, "GOV.UK Notify"): texts and emails to
# people. Without a key nothing goes through Notify and the pages offer the text to copy.
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env.str("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=5.0)
# NOTIFY_TEMPLATE_PRESCRIPTION_SMS, ..._SMS_CY, ..._EMAIL, ..._EMAIL_CY; the same for REMINDER.
NOTIFY_TEMPLATES = {
    f"{kind}_{channel}{suffix}": env.str(
        f"NOTIFY_TEMPLATE_{kind.upper()}_{channel.upper()}{suffix.upper()}", default=""
    )
    for kind in ("prescription", "reminder")
    for channel in ("sms", "email")
    for suffix in ("", "_cy")
}
CELERY_BEAT_SCHEDULE["linkworkers-person-messages"] = {
    "task": "linkworkers.person_messages_sweep",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["linkworkers-session-reminders"] = {
    "task": "linkworkers.session_reminders",
    "schedule": crontab(hour=10, minute=0),
}
# Heartbeats for /healthz (core/heartbeat.py): beat queues this, a worker runs it; each writes
# when it was last alive. A worker also writes every HEARTBEAT_SECONDS while connected. A
# heartbeat older than HEARTBEAT_STALE_SECONDS makes /healthz say "degraded".
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=30)
HEARTBEAT_STALE_SECONDS = env.int("HEARTBEAT_STALE_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["core-heartbeat"] = {
    "task": "core.heartbeat",
    "schedule": float(HEARTBEAT_SECONDS),
    # One missed while no worker was there is not worth running later.
    "options": {"expires": float(HEARTBEAT_SECONDS)},
}
# Link workers (README, "Link workers"): on-hold cases back on their review date
# first, so the digest that follows lists them; then the digest of overdue
# items; outcome reviews falling due. Each job is safe to run twice.
CELERY_BEAT_SCHEDULE["linkworkers-resume-holds"] = {
    "task": "linkworkers.resume_holds",
    "schedule": crontab(hour=6, minute=0),
}
CELERY_BEAT_SCHEDULE["linkworkers-daily-digest"] = {
    "task": "linkworkers.send_digests",
    "schedule": crontab(hour=7, minute=0),
}
CELERY_BEAT_SCHEDULE["linkworkers-outcome-reviews-due"] = {
    "task": "linkworkers.notify_outcome_reviews",
    "schedule": crontab(hour=7, minute=15),
}
# Notifications (README, "Notifications"): one email a day for those who chose the digest.
CELERY_BEAT_SCHEDULE["referrals-notification-digests"] = {
    "task": "referrals.send_notification_digests",
    "schedule": crontab(hour=7, minute=30),
}
# Referrals to providers unanswered for 7 days get a reminder; at 14 days they are declined.
CELERY_BEAT_SCHEDULE["linkworkers-connection-reminders"] = {
    "task": "linkworkers.connection_reminders",
    "schedule": crontab(hour=7, minute=0),
}
# Reporting rollups (README, "Statistics"): the changes every few minutes, everything nightly.
# A dashboard whose figures are older than the interval starts a run itself when opened.
REPORTING_ROLLUP_INCREMENTAL_MINUTES = env.int("REPORTING_ROLLUP_INCREMENTAL_MINUTES", default=15)
CELERY_BEAT_SCHEDULE["reporting-rollup-incremental"] = {
    "task": "reporting.rollup_incremental",
    "schedule": 60.0 * REPORTING_ROLLUP_INCREMENTAL_MINUTES,
}
CELERY_BEAT_SCHEDULE["reporting-rollup-nightly"] = {
    "task": "reporting.rollup_nightly",
    "schedule": crontab(hour=2, minute=30),
}
# Reporting (README, "Statistics"): on the 1st at 07:00 each scheme's managers get last month's
# figures by email, once each (safe to run twice).
CELERY_BEAT_SCHEDULE["reporting-monthly-report"] = {
    "task": "reporting.send_monthly_reports",
    "schedule": crontab(day_of_month="1", hour=7, minute=0),
}
# Retention (README, "What is kept and for how long"): each night the people whose every
# referral passed its retention period are erased, before the nightly rollup reads them.
CELERY_BEAT_SCHEDULE["privacy-apply-retention"] = {
    "task": "privacy.apply_retention",
    "schedule": crontab(hour=1, minute=30),
}

# A cache call waits at most this long (seconds) for Redis, to connect or for a reply: a Redis
# that stops answering must not hold every request that counts a rate limit.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": env.float("REDIS_CACHE_TIMEOUT", default=1.0),
    "socket_timeout": env.float("REDIS_CACHE_TIMEOUT", default=1.0),
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Client address and rate limits (README, "Configuration": TRUSTED_PROXY_COUNT) ---
# How many proxies of our own stand in front of the app (nginx, a load balancer), each
# appending to X-Forwarded-For. 0: the headers are ignored and the peer's address is the
# client's. Set it to exactly the number of proxies: more lets a client forge its address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
# Rate limits (django-ratelimit) count in their own cache alias, on the same Redis, whose
# backend fails open: a Redis outage logs a warning and lets requests through, never a 500.
CACHES["ratelimit"] = (
    {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": REDIS_CACHE_OPTIONS,
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
)
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_FAIL_OPEN = True

# Public self-referral form: at most this many submissions per address per window.
SELF_REFERRAL_RATE_LIMIT = env.int("SELF_REFERRAL_RATE_LIMIT", default=5)
SELF_REFERRAL_RATE_WINDOW_SECONDS = env.int("SELF_REFERRAL_RATE_WINDOW_SECONDS", default=3600)
# Password reset requests: per address and per email address asked for, per hour.
PASSWORD_RESET_RATE_PER_ADDRESS = env.int("PASSWORD_RESET_RATE_PER_ADDRESS", default=10)
PASSWORD_RESET_RATE_PER_EMAIL = env.int("PASSWORD_RESET_RATE_PER_EMAIL", default=3)
# --- end client address and rate limits ---

# --- Sign-in lockout (django-axes; README, "Signing in") ---
# After AXES_FAILURE_LIMIT failed sign-ins for one account within the cool-off, that account
# is refused from anywhere; after LOGIN_ADDRESS_FAILURE_LIMIT from one address, every sign-in
# from it is refused; the right password too, until the cool-off has passed since the last
# failure or an administrator unlocks them.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# An address has its own, higher limit: many staff may share one (a practice's or a health
# board's NAT). Ours, not an axes setting: accounts/lockout.py applies it.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.SigninLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# The attempts are shown, and unlocked through an audited action, by accounts' own admin.
AXES_ENABLE_ADMIN = False
# --- end sign-in lockout ---

# --- Two-factor sign-in (django-otp; README, "Signing in") ---
# Every signed-in person needs a second factor (an authenticator app's code, or a one-time
# recovery code) once this is on: by default whenever DEBUG is off. `make run` leaves it off,
# and anyone may still set one up from their account page.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Social prescribing")
# Recovery codes handed out at enrolment, each usable once.
OTP_RECOVERY_CODES = 10
# --- end two-factor sign-in ---

# Link workers' caseloads (README, "Link workers"). A first contact is due this
# many working days after allocation. The workspace proposes closing as unable
# to contact after this many failed attempts in a row, spread over at least
# this many days: a week lets the attempts fall on different days and times.
FIRST_CONTACT_DUE_DAYS = env.int("FIRST_CONTACT_DUE_DAYS", default=5)
# Reporting: the first-contact target the dashboards measure waiting against, in working days.
REPORTING_WAIT_TARGET_WORKING_DAYS = env.int("REPORTING_WAIT_TARGET_WORKING_DAYS", default=10)
# An incremental rollup looks again at changes from this long before the last run began, so a
# transaction that committed while that run was reading is not missed.
REPORTING_ROLLUP_OVERLAP_MINUTES = env.int("REPORTING_ROLLUP_OVERLAP_MINUTES", default=10)
# A rollup run writes a heartbeat this often while it works; one in flight whose heartbeat is
# older than REPORTING_ROLLUP_DEAD_SECONDS (its worker was killed) is given up, and a queued
# one no worker took within REPORTING_ROLLUP_QUEUED_SECONDS too (README, "Statistics").
REPORTING_ROLLUP_HEARTBEAT_SECONDS = env.int("REPORTING_ROLLUP_HEARTBEAT_SECONDS", default=15)
REPORTING_ROLLUP_DEAD_SECONDS = env.int("REPORTING_ROLLUP_DEAD_SECONDS", default=120)
REPORTING_ROLLUP_QUEUED_SECONDS = env.int("REPORTING_ROLLUP_QUEUED_SECONDS", default=900)
# Referrals per step of a full run's staging (a transaction and a progress step each).
REPORTING_ROLLUP_CHUNK = env.int("REPORTING_ROLLUP_CHUNK", default=50_000)
# Statistics for commissioners and in exports (README, "Statistics"): each counted record's
# key for the cell key method comes from this secret. Set it once and never change it: new
# keys mean new noise, and a reader holding figures from before and after could average the
# two. Required with DEBUG off, like SECRET_KEY (and kept apart from it, which gets rotated).
STATISTICS_CELL_KEY_SECRET = env.str("STATISTICS_CELL_KEY_SECRET", default="")
if not STATISTICS_CELL_KEY_SECRET:
    if not DEBUG:
        raise ImproperlyConfigured(
            "STATISTICS_CELL_KEY_SECRET is not set. With DEBUG off the app will not start "
            "without one: set it once to a long random string and never change it (README, "
            "Statistics), or set DEBUG=1 on a developer's machine."
        )
    STATISTICS_CELL_KEY_SECRET = "insecure-development-cell-key-secret"
# The cell key noise is always on; not read from the environment. Tests of definitions turn
# it off to check the threshold and rounding on figures they know.
STATISTICS_PERTURBATION = True
UNABLE_TO_CONTACT_ATTEMPTS = env.int("UNABLE_TO_CONTACT_ATTEMPTS", default=3)
UNABLE_TO_CONTACT_MIN_DAYS = env.int("UNABLE_TO_CONTACT_MIN_DAYS", default=7)
# An outcome measure falls due this many weeks after the baseline (linkworkers).
OUTCOME_REVIEW_WEEKS = env.int("OUTCOME_REVIEW_WEEKS", default=12)
# Retention (README, "What is kept and for how long"; privacy/services/retention.py): how
# long a person's record is kept after the work with them ended, by kind, following the NHS
# Records Management Code of Practice (2021, updated 2023). Adults: 8 years after the case
# closed. Children (under 18 when referred): until their 25th birthday (26th if 17 when it
# closed) or 8 years after it closed, whichever is later. Referrals never taken on (rejected
# or cancelled): 2 years. Then the person is erased; the anonymous statistics stay.
RETENTION: dict[str, dict[str, int]] = {
    "adult": {"years": env.int("RETENTION_ADULT_YEARS", default=8)},
    "child": {
        "years": env.int("RETENTION_CHILD_YEARS", default=8),
        "until_age": env.int("RETENTION_CHILD_UNTIL_AGE", default=25),
    },
    "never_started": {"years": env.int("RETENTION_NEVER_STARTED_YEARS", default=2)},
}
# NHS numbers from the synthetic 9xx range (never issued to anyone: test patients,
# the demo, training systems) are accepted only when this is on; by default with
# DEBUG. A live service refuses them, with the other ranges that cannot be real.
NHS_NUMBER_ACCEPT_TEST_RANGE = env.bool("NHS_NUMBER_ACCEPT_TEST_RANGE", default=DEBUG)

# The data protection officer's unusual-access page (README, "Data protection"). A link
# worker who opens more than this many people's records outside their own caseload in a
# day is flagged; so is any read of a person's record outside working hours (local time,
# TIME_ZONE), at weekends and on bank holidays.
AUDIT_UNUSUAL_RECORDS_PER_DAY = env.int("AUDIT_UNUSUAL_RECORDS_PER_DAY", default=20)
AUDIT_WORKING_HOURS = env.str("AUDIT_WORKING_HOURS", default="07:00-19:00")
if AUDIT_UNUSUAL_RECORDS_PER_DAY < 1:
    raise ImproperlyConfigured("AUDIT_UNUSUAL_RECORDS_PER_DAY must be 1 or more.")
_hours = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])",
                      AUDIT_WORKING_HOURS)  # fmt: skip
if not _hours or _hours[1] + _hours[2] >= _hours[3] + _hours[4]:
    raise ImproperlyConfigured(
        "AUDIT_WORKING_HOURS must be a start and an end time in one day, such as 07:00-19:00."
    )

# On: a read's audit row commits without waiting for the disk flush (PostgreSQL; README, "Audit
# trail"), and a crash of the database server can lose the rows of its last 0.6 s. Off (the
# default): every audit row is durable, as the record of who saw a person's data must be.
AUDIT_READS_COMMIT_ASYNCHRONOUSLY = env.bool("AUDIT_READS_COMMIT_ASYNCHRONOUSLY", default=False)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only, read with a cap on size and nesting: a hostile body is a 4xx, never a 500.
    "DEFAULT_PARSER_CLASSES": ["accounts.api.parsers.SafeJSONParser"],
    # Every API error is RFC 7807 problem JSON, made in one place.
    "EXCEPTION_HANDLER": "core.problems.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Social prescribing referral manager API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "The partner API: make referrals and follow them. Send an API client's token as "
        "`Authorization: Bearer <token>`. Errors are RFC 7807 problem details."
    ),
    # The docs pages load Swagger UI and Redoc from the drf-spectacular-sidecar package, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Names for the one-value choice sets the referral schema uses: consent must be true,
    # and risk_details may be left out only when risk_flag is false.
    "ENUM_NAME_OVERRIDES": {
        "ConsentGivenEnum": [(True, True)],
        "NoRiskFlaggedEnum": [(False, False)],
    },
}

# Security: secure by default whenever DEBUG is off (`manage.py check --deploy`
# is clean). SECURE_SSL_REDIRECT can be turned off when a proxy already
# redirects; the proxy must then send X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is polled by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Security headers (issue 11: CSP, Permissions-Policy, no-store) ---------------------------
# Kept in one block to merge easily. README, "Security", says what each one does.
# Cache-Control: no-store on every answer but the public Open Referral API (config/middleware.py).
# After WhiteNoise, so that static files keep their long cache lifetime.
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "config.middleware.NoStoreMiddleware",
)
# Straight after SecurityMiddleware, so that every answer carries them, static files too.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django_permissions_policy.PermissionsPolicyMiddleware",
)


def _tile_source(url: str) -> list[str]:
    """What img-src must allow for the map's tiles: the tile server's origin ({s} any subdomain).

    Nothing when the map is off or its tiles come from this site itself.
    """
    parts = urlsplit(url)
    if not parts.netloc:
        if parts.scheme:
            raise ImproperlyConfigured(f"MAP_TILE_URL {url!r} names no server.")
        return []  # off (empty), or a path on this site: 'self' covers it
    host = "*." + parts.netloc[4:] if parts.netloc.startswith("{s}.") else parts.netloc
    if parts.scheme not in ("https", "http") or re.search(r"[{}@\s]", host):
        raise ImproperlyConfigured(
            f"MAP_TILE_URL {url!r} is not an http(s) address whose server the browser may be "
            "allowed to load images from (only a leading {s}. may stand for its subdomains)."
        )
    return [f"{parts.scheme}://{host}"]


# Content-Security-Policy: scripts, styles, fonts, images and fetches from this site only, and
# no inline script or style at all, so that one missed escape cannot run script. Pages keep
# their CSS and JS in static/. Images may also be data: URLs (Bootstrap's icons are data: SVGs
# in its CSS; QR codes), and from the map's tile server (MAP_TILE_URL). One page has a scoped
# exception, with its reason: the Redoc API docs (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_tile_source(MAP_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Permissions-Policy: the browser features this app never uses are switched off for it and for
# anything it might embed. Kept on for this site only: WebAuthn (security keys), for two-factor
# sign-in.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "ambient-light-sensor": [],
    "autoplay": [],
    "bluetooth": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "interest-cohort": [],
    "local-fonts": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
# --- end of security headers ------------------------------------------------------------------

# Monitoring (README, "Monitoring"). Logs: JSON lines with the request id (LOG_FORMAT=json, the
# default with DEBUG off) or readable lines (LOG_FORMAT=console, the default with DEBUG on).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}.")
LOGGING = logging_config(json=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO"))
structlog_configure()
# django-structlog: carry the request id into the Celery tasks a request queues, and trust an
# X-Request-ID only once config.middleware.RequestIdMiddleware has checked (or made) it.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# The log's `ip` is the client address the audit trail uses (config.middleware), not the one
# django-structlog would read from any client's X-Forwarded-For.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# Keep the load balancer's X-Request-ID (when it looks like an id) instead of making a new one.
TRUST_REQUEST_ID_HEADER = env.bool("TRUST_REQUEST_ID_HEADER", default=False)
# Celery sets up the worker's own handlers (stderr, or --logfile); config/celery.py gives them
# the same structured format, so the worker's lines are JSON too.
# /metrics for Prometheus: only with `Authorization: Bearer <METRICS_TOKEN>`; 404 when unset.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Error reports (config/sentry.py): nothing about people leaves the deployment.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
