"""Configuration, read from the environment in one place.

Every setting has a default that is safe for a newcomer's laptop (SQLite, in-memory rate limits).
Production is chosen by environment variables alone; see README "Configuration".
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEFAULT_SECRET_KEY = "zwfw-development-only-key-never-use-in-production"

# Exactly "development" or "production" (app.core.production refuses anything else, the
# development key outside development and, in production, a key without real entropy).
ENV = os.environ.get("ZWFW_ENV", "development")
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)

SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'zwfw.db'}"
)
if SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
    SQLALCHEMY_DATABASE_URI = "postgresql://" + SQLALCHEMY_DATABASE_URI[len("postgres://") :]
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Flask-Limiter: memory:// by default, redis://127.0.0.1:6379/0 in production.
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")

# Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0 = none: the headers are
# ignored). With 1 behind the TLS proxy, rate limits and audit IPs see the client's address.
TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

# Uploads (Excel imports, licence samples).
MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 20) * 1024 * 1024
IMPORTS_DIR = os.environ.get("IMPORTS_DIR", str(BASE_DIR / "imports"))
REPORTS_DIR = os.environ.get("REPORTS_DIR", str(BASE_DIR / "reports"))
# Licence sample files: outside the web root (never under app/static), served through a
# reach-checked view only.
LICENCE_SAMPLES_DIR = os.environ.get(
    "LICENCE_SAMPLES_DIR", str(BASE_DIR / "instance" / "licence_samples")
)
LICENCE_SAMPLE_MAX_BYTES = _int("LICENCE_SAMPLE_MAX_MB", 5) * 1024 * 1024
# Spreadsheet imports: the size limit of one file, the cap on its uncompressed content (a zip
# bomb is refused before it is read) and on its rows.
IMPORT_MAX_MB = _int("IMPORT_MAX_MB", 20)
IMPORT_MAX_UNCOMPRESSED_MB = _int("IMPORT_MAX_UNCOMPRESSED_MB", 400)
IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 300_000)
# Hostile workbooks: the cap on one part (a worksheet's XML), on the shared-strings table (every
# sheet's slices read it) and on the cells calamine lays out for one slice of rows (its ranges are
# dense: two far-apart cells would make billions).
IMPORT_MAX_PART_MB = _int("IMPORT_MAX_PART_MB", 256)
IMPORT_MAX_SHARED_STRINGS_MB = _int("IMPORT_MAX_SHARED_STRINGS_MB", 64)
IMPORT_MAX_SLICE_CELLS = _int("IMPORT_MAX_SLICE_CELLS", 5_000_000)
# The import API waits this long for a check to finish before answering 202 (then poll).
IMPORT_API_WAIT = _int("IMPORT_API_WAIT", 20)

# Background jobs (app.core.jobs): RQ on Redis when REDIS_URL is set (run `rq worker zwfw`),
# else an in-process worker thread. JOBS_EAGER runs them inline (tests, scripts).
REDIS_URL = os.environ.get("REDIS_URL", "")
JOBS_EAGER = _bool("JOBS_EAGER", False)
JOBS_DIR = os.environ.get("JOBS_DIR", "")
JOBS_KEEP_DAYS = _int("JOBS_KEEP_DAYS", 7)
JOBS_TIMEOUT = _int("JOBS_TIMEOUT", 3600)

# Flask-AppBuilder
APP_NAME = "政务服务事项管理"
APP_THEME = ""
# Our user model, audited logins and password policy live with the accounts (app.accounts).
FAB_SECURITY_MANAGER_CLASS = "app.accounts.security.ZwSecurityManager"
AUTH_TYPE = 1  # AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = LOGIN_RATE_LIMIT
# The schema belongs to the migrations and permissions are synced by `flask setup`;
# starting the app must never write to the database.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
# FAB's user/role/permission REST APIs would bypass the 三员分立 rules of our views; the JWT login
# API (/api/v1/security/login, /refresh) stays.
FAB_ADD_SECURITY_API = False
FAB_API_SWAGGER_UI = _bool("FAB_API_SWAGGER_UI", ENV != "production")
FAB_BASE_TEMPLATE = "zwfw/base.html"
FAB_PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
FAB_API_MAX_PAGE_SIZE = 200
JWT_ACCESS_TOKEN_EXPIRES = _int("JWT_ACCESS_TOKEN_MINUTES", 30) * 60
# A refresh token is refused after this many hours (the library's default is 30 days), and
# earlier when its API session ended (idle for SESSION_IDLE_MINUTES, forced logout, sign-out).
JWT_REFRESH_TOKEN_EXPIRES = max(_int("JWT_REFRESH_TOKEN_HOURS", 8), 1) * 3600

# The province's clock (app.core.calendar): "today" of every deadline and the zone every time is
# shown in; stored instants stay UTC. An unknown zone name stops the start here.
PROVINCE_TIMEZONE = ZoneInfo(os.environ.get("PROVINCE_TIMEZONE", "Asia/Shanghai")).key

# Babel: Simplified Chinese by default, English available.
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = PROVINCE_TIMEZONE
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "gb", "name": "English"},
}

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV == "production")
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
REMEMBER_COOKIE_SAMESITE = "Lax"
WTF_CSRF_ENABLED = True
# CSRF tokens live as long as a session may (Flask-WTF's default is one hour).
WTF_CSRF_TIME_LIMIT = None

# Account security (等保 level 3); see README "Security".
PASSWORD_MIN_LENGTH = max(_int("PASSWORD_MIN_LENGTH", 8), 8)
PASSWORD_MAX_AGE_DAYS = _int("PASSWORD_MAX_AGE_DAYS", 90)
PASSWORD_HISTORY = _int("PASSWORD_HISTORY", 5)
LOCKOUT_THRESHOLD = _int("LOCKOUT_THRESHOLD", 5)
LOCKOUT_MINUTES = _int("LOCKOUT_MINUTES", 30)
SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
SESSION_REFRESH_EACH_REQUEST = True
# Content-Security-Policy of HTML pages. Scripts run only from this origin and with the
# per-request nonce that FAB's templates put on every <script> tag ({nonce} is filled in);
# FAB's templates use style attributes, so styles keep 'unsafe-inline'.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
# JSON answers of the API never need scripts, styles or frames.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

# Demo data
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Zwfw@2026demo")

# Audit log retention (days); rows younger than this are never dropped.
AUDIT_RETENTION_DAYS = max(_int("AUDIT_RETENTION_DAYS", 180), 180)
# The key of the audit log's hash chain (HMAC-SHA256) and of its checkpoints: a secret of its
# own, not SECRET_KEY, kept outside the database (environment, secret store) so that someone who
# can write the table cannot recompute the chain. Never change it on a deployed database (every
# row would then fail verification); ZWFW_ENV=production refuses to start without a random one.
DEFAULT_AUDIT_HMAC_KEY = "zwfw-development-only-audit-key-never-use-in-production"
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", DEFAULT_AUDIT_HMAC_KEY)
# Folder of the checkpoint archive (default REPORTS_DIR/audit-checkpoints); a write-once or
# remote mount is better than the application server's disk.
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR", "")
# The key of personal data at rest (raters' phone and ID numbers: SM4-GCM, app.core.personal_data).
# Kept outside the database; never change it on a deployed database (stored values would no
# longer decrypt); ZWFW_ENV=production refuses to start without a random one.
DEFAULT_PERSONAL_DATA_KEY = "zwfw-development-only-personal-data-key"
PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY", DEFAULT_PERSONAL_DATA_KEY)

# Poor ratings (差评): working days to verify and rectify (seed 002 art. 23: 3; elsewhere 5, 7, 15).
POOR_RATING_DEADLINE_DAYS = max(_int("POOR_RATING_DEADLINE_DAYS", 3), 1)
# Working days to call the rater back after each rectification (the 回访 step's own deadline).
RATING_CALL_BACK_DAYS = max(_int("RATING_CALL_BACK_DAYS", 1), 1)
# Evidence files of rectifications (整改佐证): outside the web root, like the licence samples.
RATING_EVIDENCE_DIR = os.environ.get(
    "RATING_EVIDENCE_DIR", str(BASE_DIR / "instance" / "rating_evidence")
)
RATING_EVIDENCE_MAX_BYTES = _int("RATING_EVIDENCE_MAX_MB", 5) * 1024 * 1024

# Office hours of working days (app.core.calendar.add_working_minutes): the clock of the minute-
# and hour-long deadlines of seed 003 (免证办: verify in 30 minutes, return in 15). Periods in the
# province's time, comma-separated; an optional summer schedule applies between two month-days
# (``MM-DD..MM-DD``, both included).
OFFICE_HOURS = os.environ.get("OFFICE_HOURS", "09:00-12:00,13:00-17:00")
OFFICE_HOURS_SUMMER = os.environ.get("OFFICE_HOURS_SUMMER", "")
OFFICE_HOURS_SUMMER_DATES = os.environ.get("OFFICE_HOURS_SUMMER_DATES", "")
# 免证办 verification results (PDF or image, app.core.files): outside the web root.
VERIFICATION_FILES_DIR = os.environ.get(
    "VERIFICATION_FILES_DIR", str(BASE_DIR / "instance" / "verification_results")
)
VERIFICATION_MAX_BYTES = _int("VERIFICATION_MAX_MB", 10) * 1024 * 1024
# Supervision (监督检查): evidence files of findings and of the units' answers to rectification
# orders, outside the web root like the other uploads; the circulated notices (通报) issued.
SUPERVISION_EVIDENCE_DIR = os.environ.get(
    "SUPERVISION_EVIDENCE_DIR", str(BASE_DIR / "instance" / "supervision_files")
)
SUPERVISION_EVIDENCE_MAX_BYTES = _int("SUPERVISION_EVIDENCE_MAX_MB", 10) * 1024 * 1024
