"""Settings come from the environment; run in a fresh interpreter so each case starts clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    unset = {"SECRET_KEY", "STATISTICS_CELL_KEY_SECRET", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set. With DEBUG off the app will not start without one" in (
        result.stderr
    )


def test_it_refuses_to_start_without_a_statistics_secret_when_debug_is_off():
    result = run_manage(
        "check",
        DEBUG="0",
        SECRET_KEY="k9-Vq2xT7mPz4Lr8sWc1Hn6Jd3Fb5Gy0Ae-Ut8Ro2Ki7Me4Nw9Qx1Zv6Cp3Sl5Dh",
    )
    assert result.returncode != 0
    assert "STATISTICS_CELL_KEY_SECRET is not set. With DEBUG off the app will not start" in (
        result.stderr
    )


def test_the_deploy_check_is_clean_with_secure_values():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k9-Vq2xT7mPz4Lr8sWc1Hn6Jd3Fb5Gy0Ae-Ut8Ro2Ki7Me4Nw9Qx1Zv6Cp3Sl5Dh",
        STATISTICS_CELL_KEY_SECRET="Wm3-Hs8Qd1Zr6Tk9Pv2Lx5Nb7Jc4Fy0Ga",
        ALLOWED_HOSTS="sp.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_reads_the_database_and_broker_from_the_environment():
    result = run_manage(
        "shell",
        "-v0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.ALLOWED_HOSTS, "
        "s.EMAIL_HOST)",
        DEBUG="1",
        DATABASE_URL="postgres://sp:pw@db.example.org:5432/sp",
        REDIS_URL="redis://cache.example.org:6379/2",
        ALLOWED_HOSTS="a.example.org,b.example.org",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.example.org:6379/2",
        "['a.example.org',",
        "'b.example.org']",
        "smtp.example.org",
    ]


def test_production_sends_the_security_headers():
    """Issue 11, findings 2 and 8: CSP with no inline code, Permissions-Policy, no-store."""
    result = run_manage(
        "shell",
        "-v0",
        "-c",
        "from django.conf import settings as s; "
        "m = s.MIDDLEWARE; i = m.index; "
        "print(i('django.middleware.security.SecurityMiddleware') "
        "< i('django_permissions_policy.PermissionsPolicyMiddleware') "
        "< i('whitenoise.middleware.WhiteNoiseMiddleware') "
        "< i('config.middleware.NoStoreMiddleware') "
        "and i('django.middleware.security.SecurityMiddleware') "
        "< i('csp.middleware.CSPMiddleware') < i('whitenoise.middleware.WhiteNoiseMiddleware')); "
        "d = s.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
        "print(sorted(v for values in d.values() for v in values)); "
        "print(d['script-src'], d['style-src'], d['frame-ancestors'], d['object-src']); "
        "print(s.PERMISSIONS_POLICY['camera'], s.PERMISSIONS_POLICY['geolocation'])",
        DEBUG="0",
        SECRET_KEY="k9-Vq2xT7mPz4Lr8sWc1Hn6Jd3Fb5Gy0Ae-Ut8Ro2Ki7Me4Nw9Qx1Zv6Cp3Sl5Dh",
        STATISTICS_CELL_KEY_SECRET="Wm3-Hs8Qd1Zr6Tk9Pv2Lx5Nb7Jc4Fy0Ga",
        ALLOWED_HOSTS="sp.example.org",
    )
    assert result.returncode == 0, result.stderr
    middleware, sources, directives, features = result.stdout.strip().splitlines()
    # Headers on every answer, static files too; no-store on everything but static files.
    assert middleware == "True"
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert directives == "[\"'self'\"] [\"'self'\"] [\"'none'\"] [\"'none'\"]"
    assert features == "[] []"
