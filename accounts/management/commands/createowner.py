"""Create the shop's first owner account, recorded as one account.create entry."""

import getpass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.roles import set_role
from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from vault.roles import OWNER


class Command(BaseCommand):
    help = "Create an owner account. The password is asked for unless --password-env is given."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="read the password from this environment variable instead of asking",
        )

    def handle(self, *args, username, password_env=None, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = self.read_password(password_env)
        user = User(username=username)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic(), recorded_by_caller() as saves:
            user.save()
            set_role(user, OWNER)
            record(
                Action.ACCOUNT_CREATE,
                target=user,
                detail={"role": OWNER, "fields": saves.fields()},
            )
        self.stdout.write(self.style.SUCCESS(f"Owner {username!r} created."))

    def read_password(self, password_env):
        import os

        if password_env:
            value = os.environ.get(password_env, "")
            if not value:
                raise CommandError(f"{password_env} is empty.")
            return value
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
