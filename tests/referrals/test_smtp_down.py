"""The mail server down while staff work (issue 18): pages answer, email waits in the outbox.

A mail server of the test's own (a minimal SMTP sink on a private port) is down while a
coordinator accepts referrals: each page answers as usual, each email stays unsent in the
outbox with the error. The sink comes up; the sweep sends each email once, and a second
sweep, or the queued task run late, sends nothing more: nothing lost, nothing doubled.
"""

import socketserver
from datetime import timedelta

import pytest
from django.urls import reverse

from core import outbox, tasks
from core.models import OutboxEmail
from tests.factories import ReferralFactory
from tests.outage import closed_port, serve_in_background

pytestmark = [pytest.mark.fault, pytest.mark.django_db]


class Sink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take messages: each one's text is kept in `messages`."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int) -> None:
        self.messages: list[str] = []
        super().__init__(("127.0.0.1", port), SinkHandler)
        self.thread = serve_in_background(self)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class SinkHandler(socketserver.StreamRequestHandler):
    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif command == "DATA":
                self.reply("354 go on")
                lines = []
                while (text := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(text.decode(errors="replace"))
                self.server.messages.append("".join(lines))  # type: ignore[attr-defined]
                self.reply("250 taken")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def accept(client, referral, after_commit):
    with after_commit(execute=True):
        return client.post(
            reverse("referrals:action", args=[referral.uuid, "accept"]),
            {"accept-version": referral.version, "accept-note": "Suitable"},
        )


def test_the_mail_server_down_while_staff_work(
    client, coordinator, gp_receptionist, scheme, cluster, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    port = closed_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    referrals = [
        ReferralFactory(referring_user=gp_receptionist, scheme=scheme, area=cluster,
                        referring_organisation=gp_receptionist.organisation)
        for _ in range(3)
    ]  # fmt: skip
    client.force_login(coordinator)

    answers = [accept(client, r, django_capture_on_commit_callbacks) for r in referrals]
    assert [a.status_code for a in answers] == [302, 302, 302]  # the pages answered
    emails = OutboxEmail.objects.order_by("pk")
    assert emails.count() == 3
    assert all(e.sent_at is None and e.attempts >= 1 and e.last_error for e in emails)

    sink = Sink(port)
    try:
        assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 3
        assert outbox.outbox_resend_unsent(older_than=timedelta(0)) == 0
        # A queued send run late, as a worker would after the outage: sent already.
        assert tasks.send_outbox_email.apply(args=[emails.first().pk]).get() is False
    finally:
        sink.stop()
    assert len(sink.messages) == 3  # nothing lost, nothing doubled
    ids = {line for m in sink.messages for line in m.splitlines() if line.startswith("Message-ID")}
    assert len(ids) == 3
    assert all(e.sent_at is not None for e in OutboxEmail.objects.all())
