"""Production fails closed: the environment name, the secret key and the settings production forces.

``settle(config)`` runs in :func:`app.create_app` before anything is initialised. It refuses an
unknown ``ZWFW_ENV`` (``prod``, ``Production``, ... are refused, not guessed), the development key
outside development and, in production, a ``SECRET_KEY`` without real entropy; in production it
forces secure cookies and switches FAB's Swagger UI off whatever the other variables say.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)

SECRET_KEY_MIN_LENGTH = 32
#: Estimated bits of the key (Shannon entropy of its characters × its length).
SECRET_KEY_MIN_BITS = 128


class UnsafeConfiguration(RuntimeError):
    """The configuration would run the application unsafely; it does not start."""


def secret_key_bits(key: str) -> float:
    """An estimate of the key's entropy: the Shannon entropy of its characters × its length, or
    the bits of its zlib-compressed form when that is less (a repeated pattern such as
    ``0123`` × 16 compresses to almost nothing).

    It only catches keys that are obviously not random; it cannot prove a key random.
    ``secrets.token_urlsafe(32)`` (43 characters) scores at least about 185.
    """
    if not key:
        return 0.0
    counts = Counter(key)
    length = len(key)
    per_char = -sum(n / length * math.log2(n / length) for n in counts.values())
    compressed = (len(zlib.compress(key.encode("utf-8"), 9)) - 8) * 8  # minus zlib's framing
    return max(0.0, min(per_char * length, float(compressed)))


def is_production(config: MutableMapping[str, Any]) -> bool:
    return config.get("ENV") == PRODUCTION


def settle(config: MutableMapping[str, Any]) -> None:
    """Check the environment and the key; force production's settings. Raise UnsafeConfiguration."""
    from config import DEFAULT_SECRET_KEY

    env = config.get("ENV")
    if env not in ENVIRONMENTS:
        raise UnsafeConfiguration(
            f"ZWFW_ENV={env!r} is not known: set ZWFW_ENV to exactly 'production' "
            "(or 'development' on a developer's machine)"
        )
    key = str(config.get("SECRET_KEY") or "")
    if env != DEVELOPMENT and key == DEFAULT_SECRET_KEY:
        raise UnsafeConfiguration("the development SECRET_KEY is used only in development")
    if env == PRODUCTION:
        if key == DEFAULT_SECRET_KEY or len(key) < SECRET_KEY_MIN_LENGTH:
            raise UnsafeConfiguration(
                f"ZWFW_ENV=production needs SECRET_KEY set to a random value of at least "
                f"{SECRET_KEY_MIN_LENGTH} characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if secret_key_bits(key) < SECRET_KEY_MIN_BITS:
            raise UnsafeConfiguration(
                f"ZWFW_ENV=production: SECRET_KEY is not random enough (about "
                f"{secret_key_bits(key):.0f} bits, at least {SECRET_KEY_MIN_BITS} needed); use "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["FAB_API_SWAGGER_UI"] = False
