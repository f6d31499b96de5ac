"""Who may use which URL: the written table that test_access_matrix checks every URL against.

Every URL pattern of the project must be declared here, or the matrix test fails. Two
kinds of rows:

* ``ADMIN_MODELS``: one line per model registered in the admin, saying which roles may
  view, add, change and delete it. The expected outcome of its six standard admin URLs
  (list, add, change, delete, history and the bare object URL) follows from that.
* ``VIEWS``: one line per other URL, keyed by URL name ("namespace:name"), or by its
  route when it has no name.
* ``OVERRIDES``: the rare single cell that differs from its row.

Outcomes: an HTTP status (200, 204, 403, 404, 405), or ``LOGIN`` (302 to the sign-in
page), ``REAUTH`` (302 to re-authentication) or ``REDIRECT`` (any other 302).
Audiences: anonymous, the four roles, and a deactivated person (frank).

Sample objects for URL arguments come from ``OBJECTS`` (per model, for ``object_id``
and ``id`` of that model's URLs) and ``SAMPLES`` (per URL kwarg name).
"""

from dataclasses import dataclass, field

from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.contenttypes.models import ContentType

from shopguard.roles import AUDITOR, MANAGER, OWNER, STAFF

ANONYMOUS, DEACTIVATED = "anonymous", "deactivated"
ROLES = (OWNER, MANAGER, STAFF, AUDITOR)
AUDIENCES = (ANONYMOUS, *ROLES, DEACTIVATED)
METHODS = ("GET", "POST")
LOGIN, REAUTH, REDIRECT = "login", "reauth", "redirect"
EVERYONE = AUDIENCES


def expect(get, post=None, *, who=ROLES, others=403, signed_out=LOGIN):
    """Expected outcomes of one URL.

    ``who`` (roles) get ``get`` / ``post`` (a value, or a dict role -> value for roles
    that differ); the other roles get ``others``; anonymous and deactivated people get
    ``signed_out``. ``post`` defaults to ``get``.
    """
    post = get if post is None else post
    table = {}
    for audience in AUDIENCES:
        for method, outcome in (("GET", get), ("POST", post)):
            if audience in (ANONYMOUS, DEACTIVATED) and audience not in who:
                value = signed_out
            elif audience in who:
                value = outcome.get(audience) if isinstance(outcome, dict) else outcome
            else:
                value = others
            table[(audience, method)] = value
    return table


def public(get, post=None):
    """The same outcome for everyone, signed in or not."""
    return expect(get, post, who=EVERYONE)


@dataclass
class Model:
    """Roles allowed each admin permission on one model.

    ``outcomes`` replaces the allowed roles' outcome for one kind of page ("changelist",
    "add", "change", "delete", "history"): one value for GET and POST, or a (GET, POST)
    pair, e.g. ``{"add": REAUTH}`` or ``{"delete": (REAUTH, REAUTH)}``.
    """

    view: tuple = ()
    add: tuple = ()
    change: tuple = ()
    delete: tuple = ()
    outcomes: dict = field(default_factory=dict)

    def expected(self, kind):
        seeing = tuple(set(self.view) | set(self.change))
        pages = {
            "changelist": expect(200, who=seeing),
            "add": expect(200, who=self.add),
            "change": expect(
                200, post={r: 200 if r in self.change else 403 for r in ROLES}, who=seeing
            ),
            "delete": expect(200, REDIRECT, who=self.delete),
            "history": expect(200, who=seeing),
            # The bare object URL only redirects to the change page, for any role.
            "object": expect(REDIRECT),
        }
        table = pages[kind]
        if kind in self.outcomes:
            allowed = {"changelist": seeing, "change": seeing, "history": seeing}.get(
                kind, getattr(self, kind, ())
            )
            replacement = self.outcomes[kind]
            if not isinstance(replacement, tuple):
                replacement = (replacement, replacement)
            for audience, method in table:
                if audience in allowed:
                    table[(audience, method)] = replacement[METHODS.index(method)]
        return table


NOBODY = Model()

ADMIN_MODELS = {
    # The owner manages people; adding someone gives a role, so it needs re-authentication.
    "auth.user": Model(view=[OWNER], add=[OWNER], change=[OWNER], outcomes={"add": REAUTH}),
    # Lockout records and django-auditlog's raw entries: nobody works on them in the admin.
    "axes.accessattempt": NOBODY,
    "axes.accesslog": NOBODY,
    "axes.accessfailurelog": NOBODY,
    "auditlog.logentry": NOBODY,
}

VIEWS = {
    "home": public(REDIRECT),
    "set_language": public(REDIRECT),
    "privacy:current": public(200),
    # Sign-in: the password step, then the code step (which needs the password step first).
    "admin:login": expect(REDIRECT, 200, who=ROLES, signed_out=200),
    "admin:two_factor": public(LOGIN),
    "admin:two_factor_setup": public(LOGIN),
    "admin:recovery_codes": expect(REAUTH),
    "reauth": expect(200),
    # Signing out is a POST; without a session the admin sends people to its index.
    "admin:logout": expect(405, 200, signed_out=REDIRECT),
    "admin:index": expect(200),
    "admin:password_change": expect(200),
    "admin:password_change_done": expect(200, 405),
    "admin:jsi18n": expect(200, 405),
    # Without a field to complete, autocomplete refuses everyone.
    "admin:autocomplete": expect(403, 405),
    "admin:view_on_site": expect(404),
    # An app's index is 404 for roles that may see none of its models (sample app: auth).
    "admin:app_list": expect(200, who=[OWNER], others=404),
    "admin/(?P<url>.*)$": expect(404),
    "admin:auth_user_role": expect(REAUTH, who=[OWNER]),
    "admin:auth_user_password_change": expect(200, who=[OWNER]),
}


# Exceptions to a row, per URL key: {(audience, method): outcome}. Prefer a plain row.
OVERRIDES = {}


def access_record(model):
    def make(people):
        fields = {"username": "carol", "ip_address": "192.0.2.1", "user_agent": "test"}
        if model is AccessAttempt:
            fields.update(get_data="", post_data="", failures_since_start=1)
        return model.objects.create(**fields)

    return make


def auditlog_entry(people):
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(people.carol),
        object_pk=str(people.carol.pk),
        object_repr="user",
        action=LogEntry.Action.UPDATE,
    )


OBJECTS = {
    # model label -> factory(people) returning the sample object of that model's URLs
    "auth.user": lambda people: people.carol,
    "axes.accessattempt": access_record(AccessAttempt),
    "axes.accesslog": access_record(AccessLog),
    "axes.accessfailurelog": access_record(AccessFailureLog),
    "auditlog.logentry": auditlog_entry,
}


def content_type_of_user(context):
    return str(ContentType.objects.get_for_model(context.people.carol).pk)


SAMPLES = {
    # URL kwarg name -> factory(context) returning the value to put in the URL
    "object_id": lambda context: str(context.sample().pk),
    "id": lambda context: str(context.sample().pk),
    "content_type_id": content_type_of_user,
    "app_label": lambda context: "auth",
    "url": lambda context: "no-such-page/",
}
