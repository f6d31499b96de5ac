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

from django.contrib.contenttypes.models import ContentType

from vault.roles import AUDITOR, MANAGER, OWNER, STAFF

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


ADMIN_MODELS = {
    # The owner manages people; adding someone gives a role and switching someone off or
    # on changes who may enter, so both need re-authentication (an empty POST of carol's
    # change form would switch her off).
    "auth.user": Model(
        view=[OWNER], add=[OWNER], change=[OWNER], outcomes={"add": REAUTH, "change": (200, REAUTH)}
    ),
    # The ledger and its alerts: read-only for everyone, readable by owner and auditor.
    "audit.auditentry": Model(view=[OWNER, AUDITOR], outcomes={"change": (200, 403)}),
    "audit.alert": Model(view=[OWNER, AUDITOR], outcomes={"change": (200, 403)}),
    # The periodic reviews of access: read by owner and auditor, written only through
    # the period page's button (audit.reviews), never through the admin's forms.
    "audit.accessreview": Model(view=[OWNER, AUDITOR], outcomes={"change": (200, 403)}),
    # Customers: every shop role works with them masked; only the owner deletes, after
    # re-authentication. The auditor sees no customer data at all.
    "customers.customer": Model(
        view=[OWNER, MANAGER, STAFF],
        add=[OWNER, MANAGER],
        change=[OWNER, MANAGER, STAFF],
        delete=[OWNER],
        # An empty change form keeps every value (editing is not seeing), so it saves.
        outcomes={"delete": REAUTH, "change": (200, REDIRECT)},
    ),
    "customers.purchase": Model(
        view=[OWNER, MANAGER, STAFF],
        add=[OWNER, MANAGER],
        change=[OWNER, MANAGER, STAFF],
        delete=[OWNER],
        outcomes={"delete": REAUTH},
    ),
    # Each imported product's category, chosen once by those who import order files.
    # An empty add form is the form again; deleting an answer is nobody's.
    "customers.productcategory": Model(
        view=[OWNER, MANAGER], add=[OWNER, MANAGER], change=[OWNER, MANAGER]
    ),
    # The privacy policy and its records are the owner's alone.
    # One shop profile: its list goes straight to its page.
    "policy.shopprofile": Model(view=[OWNER], change=[OWNER], outcomes={"changelist": REDIRECT}),
    # Drafts are made from a version (new-draft); version 1 is published, so read-only.
    "policy.policyversion": Model(view=[OWNER], change=[OWNER], outcomes={"change": (200, 403)}),
    "policy.consentrecord": Model(view=[OWNER], add=[OWNER]),
    "policy.thirdpartyprovision": Model(view=[OWNER], add=[OWNER], change=[OWNER]),
    # The house rules: drafts from the version in force (new-draft); version 1 is published.
    "policy.houserulesversion": Model(
        view=[OWNER], change=[OWNER], outcomes={"change": (200, 403)}
    ),
    # Acceptances are evidence, made only by each person on the rules page.
    "policy.rulesacceptance": Model(view=[OWNER]),
    # The outsourcee register: the owner's; an entry no longer used is unticked, not deleted.
    "policy.outsourcee": Model(view=[OWNER], add=[OWNER], change=[OWNER]),
    "datarequests.datarequest": Model(
        view=[OWNER, MANAGER], change=[OWNER, MANAGER], outcomes={"change": (200, REDIRECT)}
    ),
    # Incidents: the owner works them, the auditor reads them; nobody deletes evidence.
    "incidents.incident": Model(view=[OWNER, AUDITOR], add=[OWNER], change=[OWNER]),
    # The register of diagnoses and updates: the owner records, the auditor reads.
    "upkeep.securitycheck": Model(view=[OWNER, AUDITOR], add=[OWNER], change=[OWNER]),
}

VIEWS = {
    "home": public(REDIRECT),
    "set_language": public(REDIRECT),
    "privacy:current": public(200),
    # Sign-in: the password step, then the code step (which needs the password step first).
    "admin:login": expect(REDIRECT, 200, who=ROLES, signed_out=200),
    "accounts:two_factor": public(LOGIN),
    "accounts:two_factor_setup": public(LOGIN),
    "accounts:recovery_codes": expect(REAUTH),
    # An invitation's link, for everyone the same: a made-up one is refused (410).
    "accounts:invite": public(410),
    "accounts:reauth": expect(200),
    # Signing out is a POST; without a session the admin sends people to its index.
    "admin:logout": expect(405, 200, signed_out=REDIRECT),
    "admin:index": expect(200),
    # One's own password: re-authentication first, then the current password again.
    "admin:password_change": expect(REAUTH),
    "admin:password_change_done": expect(200, 405),
    "admin:jsi18n": expect(200, 405),
    # Without a field to complete, autocomplete refuses everyone.
    "admin:autocomplete": expect(403, 405),
    "admin:view_on_site": expect(404),
    # An app's index is 404 for roles that may see none of its models (sample app: auth).
    "admin:app_list": expect(200, who=[OWNER], others=404),
    "admin/(?P<url>.*)$": expect(404),
    "admin:auth_user_role": expect(REAUTH, who=[OWNER]),
    # Setting someone's password (the sample is carol's) needs re-authentication.
    "admin:auth_user_password_change": expect(REAUTH, who=[OWNER]),
    # Customer vault: search is a POST; a reveal shows its reason form (POST without a
    # reason is the form again); anonymising is the owner's, after re-authentication.
    "customers:search": expect(405, REDIRECT, who=[OWNER, MANAGER, STAFF]),
    "customers:reveal": expect(200, who=[OWNER, MANAGER, STAFF]),
    # A customer's page is a read view (editing is the change form): GET only.
    "admin:customers_customer_view": expect(200, 405, who=[OWNER, MANAGER, STAFF]),
    "customers:reveal_purchase": expect(200, who=[OWNER, MANAGER, STAFF]),
    "customers:anonymise": expect(REAUTH, who=[OWNER]),
    # Importing a Shopify file: owner and manager (an empty POST is the form again).
    "customers:import": expect(200, who=[OWNER, MANAGER]),
    # Saving a column mapping: a POST (GET goes back to the import page); an empty POST
    # is the mapping form again with its errors.
    "customers:import_mapping": expect(REDIRECT, 200, who=[OWNER, MANAGER]),
    # Postal code -> address for the customer form: a POST; an empty code is "no such
    # code" (404 with a sentence).
    "customers:postal_code": expect(405, 404, who=[OWNER, MANAGER, STAFF]),
    # Exports: owner and manager ask (after re-authentication); the owner decides on
    # someone else's request; the requester prepares and downloads it.
    "exports:ledger": expect(200, who=[OWNER, AUDITOR]),
    # Running the shop: jobs, backups and the ledger verification, for who reads the ledger.
    "upkeep:status": expect(200, who=[OWNER, AUDITOR]),
    "upkeep:verify": expect(405, REDIRECT, who=[OWNER, AUDITOR]),
    # The evidence page, its print view and its signed pack: read by owner and auditor;
    # what only a person knows is recorded by the owner (an empty form: back to the page).
    "dashboard:evidence": expect(200, 405, who=[OWNER, AUDITOR]),
    "dashboard:evidence_print": expect(200, 405, who=[OWNER, AUDITOR]),
    "dashboard:evidence_pack": expect(200, 405, who=[OWNER, AUDITOR]),
    "dashboard:statement": expect(405, REDIRECT, who=[OWNER]),
    "exports:list": expect(200, who=[OWNER, MANAGER]),
    "exports:new": expect(REAUTH, who=[OWNER, MANAGER]),
    "exports:detail": expect(200, who=[OWNER, MANAGER]),
    "exports:decide": expect(405, REAUTH, who=[OWNER, MANAGER]),
    "exports:withdraw": expect(405, REDIRECT, who=[OWNER, MANAGER]),
    "shipping:list": expect(200, who=[OWNER, MANAGER, STAFF]),
    "shipping:make": expect(405, REDIRECT, who=[OWNER, MANAGER, STAFF]),
    "shipping:routines": expect(200, who=[OWNER, MANAGER, STAFF]),
    "shipping:routine_approve": expect(405, REAUTH, who=[OWNER]),
    "shipping:routine_end": expect(405, 404, who=[OWNER]),
    "shipping:tracking": expect(200, 400, who=[OWNER, MANAGER, STAFF]),
    "shipping:file": expect(404, who=[OWNER, MANAGER, STAFF]),
    "shipping:download": expect(405, REAUTH, who=[OWNER, MANAGER, STAFF]),
    "shipping:gift_new": expect(200, 400, who=[OWNER, MANAGER, STAFF]),
    "shipping:shipment": expect(200, 405, who=[OWNER, MANAGER, STAFF]),
    "shipping:gift_edit": expect(200, REDIRECT, who=[OWNER, MANAGER, STAFF]),
    "shipping:gift_reveal": expect(200, who=[OWNER, MANAGER, STAFF]),
    "exports:prepare": expect(405, REAUTH, who=[OWNER, MANAGER]),
    "exports:download": expect(405, REAUTH, who=[OWNER, MANAGER]),
    # Privacy policy: public pages, and the owner's own admin pages.
    "privacy:history": public(200),
    "privacy:version": public(200),
    "privacy:compare_select": public(REDIRECT),
    "privacy:compare": public(200),
    # The consent step needs a valid one-time link; an unknown token is simply not found.
    "privacy:consent": public(404),
    "privacy:consent_link": public(404),
    "datarequests:form": public(200),
    # The "received" page only follows a request just made in this session.
    "datarequests:received": public(404),
    # A disclosure's one-time download: an unknown link, or none in the session, is not found.
    "datarequests:disclosure": public(404),
    "datarequests:disclosure_link": public(404),
    "admin:policy_policyversion_new_draft": expect(405, REDIRECT, who=[OWNER]),
    "admin:policy_policyversion_new_draft_from": expect(405, REDIRECT, who=[OWNER]),
    "admin:policy_policyversion_publish": expect(REAUTH, who=[OWNER]),
    "admin:policy_policyversion_pending_consent": expect(200, who=[OWNER]),
    "admin:policy_houserulesversion_new_draft": expect(405, REDIRECT, who=[OWNER]),
    "admin:policy_houserulesversion_publish": expect(REAUTH, who=[OWNER]),
    # Every person reads the house rules; an empty POST (no box ticked) is refused.
    "policy:house_rules": expect(200, 400),
    "admin:datarequests_datarequest_advance": expect(405, REDIRECT, who=[OWNER, MANAGER]),
    "admin:datarequests_datarequest_refuse": expect(200, who=[OWNER, MANAGER]),
    # Erasing a deletion or stop-of-use request's customer: the owner's, after
    # re-authentication (the sample, a disclosure request, shows why it cannot be erased).
    "admin:datarequests_datarequest_erase": expect(REAUTH, who=[OWNER]),
    # A requester's contact value: its reason form (a POST without a reason is the form again).
    "admin:datarequests_datarequest_reveal": expect(200, who=[OWNER, MANAGER]),
    # The ledger's own pages: who looked at a customer and one person's activity (both lead
    # to the filtered ledger), one entry, the CSV; acknowledging an alert is the owner's.
    "admin:audit_auditentry_customer": expect(REDIRECT, who=[OWNER, AUDITOR]),
    "admin:audit_auditentry_person": expect(REDIRECT, who=[OWNER, AUDITOR]),
    "admin:audit_auditentry_seq": expect(REDIRECT, who=[OWNER, AUDITOR]),
    "admin:audit_auditentry_csv": expect(200, who=[OWNER, AUDITOR]),
    "admin:audit_alert_acknowledge": expect(405, REAUTH, who=[OWNER]),
    # A period of access under review (the sample: last month), and its "reviewed" button
    # (re-authenticated; who may press it is accounts.rules.may_review_access).
    "admin:audit_accessreview_period": expect(200, who=[OWNER, AUDITOR]),
    "admin:audit_accessreview_mark": expect(405, REAUTH, who=[OWNER, AUDITOR]),
    # An incident's steps are the owner's; its printable report is the auditor's too. An
    # empty POST is the form again; sending notices needs re-authentication.
    "admin:incidents_scope": expect(200, who=[OWNER]),
    "admin:incidents_report": expect(200, who=[OWNER]),
    "admin:incidents_print": expect(200, who=[OWNER, AUDITOR]),
    "admin:incidents_notices": expect(200, REAUTH, who=[OWNER]),
    # Its public notice page: the preview, then publishing after re-authentication.
    "admin:incidents_publish": expect(200, REAUTH, who=[OWNER]),
    "admin:incidents_measure": expect(REDIRECT, who=[OWNER]),
    # The public notice of an incident: an unknown address is simply not found.
    "incidents:notice": public(404),
}


# Exceptions to a row, per URL key: {(audience, method): outcome}. Prefer a plain row.
OVERRIDES = {
    # A customer's own address, /admin/customers/customer/<id>/, is the customer's page
    # (admin:customers_customer_view), not the admin's redirect to the change form.
    "admin:customers_customer_object": {
        **{(role, "GET"): 200 for role in (OWNER, MANAGER, STAFF)},
        **{(role, "POST"): 405 for role in (OWNER, MANAGER, STAFF)},
        (AUDITOR, "GET"): 403,
        (AUDITOR, "POST"): 403,
    },
    # Acknowledging accepts only POST, checked before the role: a GET tells nothing.
    "admin:audit_alert_acknowledge": {(role, "GET"): 405 for role in (MANAGER, STAFF, AUDITOR)},
    # Marking a period reviewed accepts only POST, checked before the role.
    "admin:audit_accessreview_mark": {(role, "GET"): 405 for role in (MANAGER, STAFF)},
}


def sample_customer(people):
    from customers.models import Customer

    return Customer.objects.create(name="見本 太郎", email="sample@example.com")


def sample_purchase(people):
    from datetime import date

    from customers.models import Category, Purchase

    return Purchase.objects.create(
        customer=sample_customer(people),
        product_name="お米 5kg",
        category=Category.objects.get(code="food"),
        amount=2400,
        purchased_on=date(2026, 11, 1),
    )


def sample_export(context):
    """A manager's pending export request: the owner may decide on it, the manager see it."""
    from exports.models import ExportRequest

    return ExportRequest.objects.create(
        requested_by=context.people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )


def sample_policy(model_name):
    def make(people):
        from policy import models

        if model_name == "shopprofile":
            return models.ShopProfile.objects.get()
        if model_name == "policyversion":
            return models.PolicyVersion.objects.get(number=1)
        if model_name == "houserulesversion":
            return models.HouseRulesVersion.objects.get(number=1)
        if model_name == "rulesacceptance":
            return models.RulesAcceptance.objects.filter(person=people.alice).first()
        if model_name == "outsourcee":
            return models.Outsourcee.objects.create(
                name_ja="見本配送", name_en="Mihon", service="carrier", basis="entrustment"
            )
        customer = sample_customer(people)
        if model_name == "consentrecord":
            version = models.PolicyVersion.objects.get(number=1)
            return models.ConsentRecord.objects.create(
                customer=customer, version=version, channel="shop"
            )
        if model_name == "thirdpartyprovision":
            from datetime import date

            return models.ThirdPartyProvision.objects.create(
                recipient_name="株式会社見本",
                recipient_address="東京都千代田区見本1-1",
                recipient_representative="見本 一郎",
                provided_on=date(2026, 11, 1),
                data_items=["name"],
                basis="consent",
            )
        raise LookupError(model_name)

    return make


def sample_data_request(people):
    """A verified request: only those reach the shop's queue."""
    from datarequests.models import DataRequest

    return DataRequest.objects.create(
        kind="disclose",
        name="見本 花子",
        email="request@example.com",
        details="見本",
        step="identity_confirmed",
    )


def ledger_entry(people):
    from audit.ledger import record

    return record("customer.view", actor=people.carol)


def sample_alert(people):
    from audit.alerts import raise_alert
    from audit.models import Alert

    raise_alert(Alert.EXPORT_DOWNLOAD, ledger_entry(people), once_per_hour=False)
    return Alert.objects.order_by("-pk").first()


def last_period():
    from django.utils import timezone

    from audit import reviews

    return reviews.period_of(timezone.localdate()).previous()


def sample_review(people):
    """Last month's review by the auditor (written as audit.reviews writes it)."""
    from django.utils import timezone

    from audit.models import AccessReview

    period = last_period()
    return AccessReview.objects.create(
        period_start=period.start,
        period_end=period.end,
        reviewed_at=timezone.now(),
        reviewed_by=people.dave,
        reviewed_by_username="dave",
        findings="見本",
        entry_seq=ledger_entry(people).seq,
    )


def sample_product_category(people):
    from customers.models import Category, ProductCategory

    food = Category.objects.get(code="food")
    return ProductCategory.objects.get_or_create(product_name="見本の商品", category=food)[0]


OBJECTS = {
    "customers.customer": sample_customer,
    "customers.purchase": sample_purchase,
    "customers.productcategory": sample_product_category,
    "policy.shopprofile": sample_policy("shopprofile"),
    "policy.policyversion": sample_policy("policyversion"),
    "policy.consentrecord": sample_policy("consentrecord"),
    "policy.thirdpartyprovision": sample_policy("thirdpartyprovision"),
    "policy.houserulesversion": sample_policy("houserulesversion"),
    "policy.rulesacceptance": sample_policy("rulesacceptance"),
    "policy.outsourcee": sample_policy("outsourcee"),
    "datarequests.datarequest": sample_data_request,
    # model label -> factory(people) returning the sample object of that model's URLs
    "auth.user": lambda people: people.carol,
    "audit.auditentry": lambda people: ledger_entry(people),
    "audit.alert": lambda people: sample_alert(people),
    "audit.accessreview": lambda people: sample_review(people),
    "incidents.incident": lambda people: sample_incident(people),
    "upkeep.securitycheck": lambda people: sample_security_check(people),
}


def sample_security_check(people):
    from django.utils import timezone

    from upkeep.models import SecurityCheck

    return SecurityCheck.objects.create(
        kind="diagnosis", done_on=timezone.localdate(), done_by="見本の診断会社"
    )


def sample_incident(people):
    from django.utils import timezone

    from incidents.models import Incident

    return Incident.objects.create(
        title="見本の事案", discovered_at=timezone.now(), cause="other", what_happened="見本"
    )


def content_type_of_user(context):
    return str(ContentType.objects.get_for_model(context.people.carol).pk)


SAMPLES = {
    # URL kwarg name -> factory(context) returning the value to put in the URL
    "object_id": lambda context: str(context.sample().pk),
    "id": lambda context: str(context.sample().pk),
    "content_type_id": content_type_of_user,
    "app_label": lambda context: "auth",
    "url": lambda context: "no-such-page/",
    "pk": lambda context: str(sample_export(context).pk),
    "field": lambda context: "phone",
    "number": lambda context: "1",
    "a": lambda context: "1",
    "b": lambda context: "1",
    "token": lambda context: "no-such-token",
    "uidb64": lambda context: "Mw",  # someone's id in an invitation's link (here 3)
    "slug": lambda context: "no-such-notice",
    "customer_id": lambda context: str(sample_customer(context.people).pk),
    "user_id": lambda context: str(context.people.carol.pk),
    "seq": lambda context: str(ledger_entry(context.people).seq),
    "alert_id": lambda context: str(sample_alert(context.people).pk),
    "shipment_id": lambda context: str(sample_gift(context.people).pk),
    "item_id": lambda context: "card-10",  # an evidence item only a person knows
    "key": lambda context: last_period().key,
}


def sample_gift(people):
    """A waiting gift shipment: its recipient is sealed on its own row."""
    from shipping import services
    from shipping.labels import Recipient

    recipient = Recipient("見本 花子", "150-0001", "東京都渋谷区神宮前1-1-1", "090-0000-1111")
    return services.add_shipment(people.bob, sample_customer(people), recipient=recipient)
