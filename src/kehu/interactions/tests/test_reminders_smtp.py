"""The scheduler's reminder job sends a real email: an aiosmtpd server runs in the test, Django
talks SMTP to it, and we read what arrived."""

import datetime as dt
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from kehu.interactions.services import task_create
from kehu.interactions.tasks import send_due_reminders


class Inbox:
    """aiosmtpd handler: keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_due_reminder_is_emailed_to_the_assignee(smtp_inbox, owner, manager, customer):
    owner.email = "zhangsan@example.com"
    owner.save()
    manager.email = "manager@example.com"
    manager.save()
    task_create(
        customer=customer,
        by=manager,
        title="电话回访确认报价",
        assignee=owner,
        due_at=timezone.now() - dt.timedelta(seconds=30),  # fell due in the past minute
    )

    sent = send_due_reminders()

    assert sent == 1
    assert len(smtp_inbox.envelopes) == 1
    envelope = smtp_inbox.envelopes[0]
    assert envelope.rcpt_tos == ["zhangsan@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert "电话回访确认报价" in str(message["Subject"])  # the policy decodes =?utf-8?…?=
    assert customer.name in message.get_body(preferencelist=("plain",)).get_content()


def test_a_reminder_is_sent_once(smtp_inbox, owner, customer):
    owner.email = "zhangsan@example.com"
    owner.save()
    task_create(
        customer=customer,
        by=owner,
        title="发送样品",
        assignee=owner,
        due_at=timezone.now() - dt.timedelta(seconds=30),
    )

    send_due_reminders()
    send_due_reminders()

    assert len(smtp_inbox.envelopes) == 1
