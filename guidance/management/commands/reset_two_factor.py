"""Remove an editor's authenticator and recovery codes, for a lost or replaced phone."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Remove USERNAME's authenticator app and recovery codes. Their open admin sessions stop "
        "working at once; at the next sign-in (password first) they set up a new authenticator."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no account named {username!r}.")
        with transaction.atomic():
            authenticators, _ = TOTPDevice.objects.filter(user=user).delete()
            recovery, _ = StaticDevice.objects.filter(user=user).delete()
        if not (authenticators or recovery):
            self.stdout.write(f"{username} had no two-step verification set up; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {username}'s authenticator and recovery codes. At the next sign-in "
                "they set up a new authenticator."
            )
        )
