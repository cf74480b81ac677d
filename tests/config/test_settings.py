import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 30 + "production-like-secret-key-with-enough-entropy-1234567890",
    "CODE_HASH_KEYS": "1:" + "k" * 40,
    "IDENTITY_HASH_KEY": "i" * 40,
    "PAYOUT_ACCOUNT_KEYS": "1:" + "p" * 40,
    "ALLOWED_HOSTS": "compensation.example.com",
    "DATABASE_URL": "postgres://app@db.internal:5432/compensation",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp://mail.internal:25",
    "NOTIFICATIONS_SITE_URL": "https://compensation.example.com",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k in {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_the_sites_https_address_for_notices():
    env = {**PRODUCTION_ENV, "NOTIFICATIONS_SITE_URL": "http://127.0.0.1:8000"}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "notifications.E001" in result.stderr


def test_the_process_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_secrets_come_from_their_files_without_the_final_newline(tmp_path):
    secret_key, identity_key = "f" * 60, "h" * 40
    (tmp_path / "secret_key").write_text(secret_key + "\n")
    (tmp_path / "identity_key").write_text(identity_key + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in {"SECRET_KEY", "IDENTITY_HASH_KEY"}}
    env["SECRET_KEY_FILE"] = str(tmp_path / "secret_key")
    env["IDENTITY_HASH_KEY_FILE"] = str(tmp_path / "identity_key")
    # The file wins over the variable itself, as Docker and Kubernetes secrets expect.
    env["IDENTITY_HASH_KEY"] = "overridden-by-the-file-" + "x" * 20
    check = (
        "from django.conf import settings; "
        f"print(settings.SECRET_KEY == {secret_key!r}, "
        f"settings.IDENTITY_HASH_KEY == {identity_key!r})"
    )
    result = _manage("shell", "--no-imports", "-c", check, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_an_unreadable_secret_file_fails_loudly(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(tmp_path / "missing")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY_FILE cannot be read" in result.stderr


def test_an_empty_secret_file_counts_as_no_secret(tmp_path):
    (tmp_path / "empty").write_text("\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(tmp_path / "empty")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_database_other_than_postgresql_is_refused():
    result = _manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///x.db"})
    assert result.returncode != 0
    assert "must point at PostgreSQL" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0


def test_tests_run_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
