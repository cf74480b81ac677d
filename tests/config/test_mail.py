"""Email in development: one readable .eml file per message in .local/mail/."""

import email
import email.policy
import logging

import pytest
from django.core.mail import EmailMessage, get_connection, send_mail

from notifications.models import Notice
from notifications.services import notices_dispatch
from tests.config.test_settings import _manage
from tests.notifications.factories import NoticeFactory

BACKEND = "config.mail.EmlFileBackend"


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def _read(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _body(path) -> str:
    """The text as sent (the file has SMTP's CRLF line ends)."""
    return _read(path).get_content().replace("\r\n", "\n")


def test_each_message_is_one_eml_file_with_a_readable_utf8_subject(mail_dir, caplog):
    caplog.set_level(logging.INFO, logger="config.mail")
    send_mail("로그인 코드 / 登录代码", "코드: 123456\n代码", "from@example.com", ["a@example.com"])
    send_mail("Your sign-in code", "Code: 654321", "from@example.com", ["b@example.com"])

    first, second = sorted(mail_dir.glob("*.eml"))
    raw = first.read_bytes()
    assert "Subject: 로그인 코드 / 登录代码".encode() in raw
    assert b"=?utf-8?" not in raw.lower()  # no MIME encoded-words anywhere in the headers
    assert first.name.endswith("-로그인-코드-登录代码.eml")
    assert _body(first) == "코드: 123456\n代码"
    assert second.name.endswith("-your-sign-in-code.eml")
    assert _read(second)["To"] == "b@example.com"
    # One line per message in the log, naming the file and never the body (codes).
    lines = [r.getMessage() for r in caplog.records if r.name == "config.mail"]
    assert lines[1] == f"mail: Your sign-in code -> {second}"
    assert not any("123456" in line or "654321" in line for line in lines)


def test_a_subject_django_folds_into_encoded_words_is_one_plain_line(mail_dir):
    subject = "보상 신청 C-Q9T34GB8CZQ666ZT이(가) 접수되었습니다"  # Django folds this one
    send_mail(subject, "본문", "from@example.com", ["a@example.com"])
    [path] = mail_dir.glob("*.eml")
    assert f"\r\nSubject: {subject}\r\n".encode() in path.read_bytes()


def test_two_messages_in_the_same_instant_get_two_files(mail_dir):
    messages = [
        EmailMessage("Same", f"body {n}", "from@example.com", ["a@example.com"]) for n in range(3)
    ]
    assert get_connection().send_messages(messages) == 3
    bodies = sorted(_body(p) for p in mail_dir.glob("*.eml"))
    assert bodies == ["body 0", "body 1", "body 2"]


@pytest.mark.django_db
def test_a_notification_sent_through_the_email_channel_lands_in_the_folder(mail_dir, settings):
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    notice = NoticeFactory.create(language="ko")
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    [path] = mail_dir.glob("*.eml")
    message = _read(path)
    raw = path.read_bytes()
    assert "결정" in message["Subject"]
    assert f"Subject: {message['Subject']}".encode() in raw
    assert b"=?utf-8?" not in raw.lower()
    assert message["X-Notice-Reference"] == notice.reference
    assert notice.reference_display in _body(path)


def test_development_settings_choose_the_folder_unless_email_url_is_set():
    script = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    dev = {"DEBUG": "1", "DATABASE_URL": "postgres://x@127.0.0.1/x", "REDIS_URL": "redis://x/0"}
    result = _manage("shell", "-v", "0", "-c", script, env=dev)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == BACKEND
    smtp = _manage(
        "shell", "-v", "0", "-c", script, env={**dev, "EMAIL_URL": "smtp://mail.internal:25"}
    )
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
