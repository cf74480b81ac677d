"""Email a staff member the one-time link to enrol their own authenticator (the first
administrator's way in; after that, the user list's action does the same)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.enrolment import enrolment_link_send
from accounts.models import User


class Command(BaseCommand):
    help = "Email a staff member a one-time link to set up their authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email__iexact=email, is_active=True, is_staff=True).first()
        if user is None:
            raise CommandError(f"No active staff member has the email {email!r}.")
        enrolment_link_send(
            user=user,
            actor=None,
            actor_label="manage.py staff_enrolment_link",
            site_url=settings.NOTIFICATIONS_SITE_URL,
        )
        # The link is a credential: it goes to the staff member's mailbox, never to this output.
        self.stdout.write(f"An enrolment link was emailed to {user.email}.")
