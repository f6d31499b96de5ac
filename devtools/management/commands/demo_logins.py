"""Print the demo sign-ins that ``make run`` created (only on a demo installation)."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from devtools.management.commands.seed_demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo sign-ins and their password, if this is a demo installation."

    def handle(self, *args, **options):
        names = get_user_model().objects.filter(username__in=DEMO_USERS.values())
        existing = set(names.values_list("username", flat=True))
        if not existing:
            return
        self.stdout.write("Demo sign-ins (password from DEMO_PASSWORD in .env):")
        for role, username in DEMO_USERS.items():
            if username in existing:
                self.stdout.write(f"  {role:8} {username}")
        self.stdout.write(f"  password: {os.environ.get('DEMO_PASSWORD', '(see .env)')}")
