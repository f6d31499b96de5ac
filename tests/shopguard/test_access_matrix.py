"""Every URL pattern of the project, tried by every audience with GET and POST.

The URLs come from the resolver itself, so a new view cannot be forgotten: a URL that
``access_table.py`` does not declare fails ``test_every_url_is_in_the_table``. People
are signed in with ``force_login``, which stands for a finished two-factor sign-in
(the sign-in steps themselves are tested in test_sign_in.py).
"""

import copy
import re
from dataclasses import dataclass
from functools import cache

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver

from tests.shopguard import access_table as table
from tests.signing import signed_in

PERSON_OF = {
    table.OWNER: "alice",
    table.MANAGER: "bob",
    table.STAFF: "carol",
    table.AUDITOR: "dave",
    table.DEACTIVATED: "frank",
}
ADMIN_PAGE_KINDS = ("changelist", "add", "change", "delete", "history")


@dataclass(frozen=True)
class Route:
    key: str  # URL name ("namespace:name"), or the route itself when unnamed
    template: str  # the full route, with converters and regex groups
    model: str | None  # label of the admin model whose URLs these are
    kind: str | None  # which standard admin page, when it is one


def admin_models_by_prefix():
    return {
        f"admin/{model._meta.app_label}/{model._meta.model_name}/": model
        for model in admin.site._registry
    }


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def route_for(template, name, models):
    model = next((m for p, m in models.items() if template.startswith(p)), None)
    if model is None:
        return Route(name or template, template, None, None)
    label, stem = model._meta.label_lower, f"admin:{model._meta.app_label}_{model._meta.model_name}"
    if name is None and template.endswith("<path:object_id>/"):
        return Route(f"{stem}_object", template, label, "object")
    kind = next((k for k in ADMIN_PAGE_KINDS if name == f"{stem}_{k}"), None)
    return Route(name or template, template, label, kind)


@cache
def all_routes():
    models = admin_models_by_prefix()
    return tuple(route_for(t, n, models) for t, n in walk(get_resolver().url_patterns))


def expected_for(route):
    if route.kind is not None:
        if route.model not in table.ADMIN_MODELS:
            pytest.fail(f"admin model {route.model} is missing from ADMIN_MODELS (access_table.py)")
        expected = table.ADMIN_MODELS[route.model].expected(route.kind)
    elif route.key not in table.VIEWS:
        pytest.fail(f"URL {route.key!r} ({route.template}) is missing from VIEWS (access_table.py)")
    else:
        expected = dict(table.VIEWS[route.key])
    expected.update(table.OVERRIDES.get(route.key, {}))
    return route.model, expected


class Context:
    """What sample values are made from: the named people and the route's model."""

    def __init__(self, people, model):
        self.people = people
        self.model = model or "auth.user"
        self._sample = None

    def sample(self):
        if self._sample is None:
            if self.model not in table.OBJECTS:
                pytest.fail(f"no sample object for {self.model}: add one to OBJECTS")
            self._sample = table.OBJECTS[self.model](self.people)
        return self._sample


def concrete_path(template, context):
    def value(match):
        name = match.group(1)
        if name not in table.SAMPLES:
            pytest.fail(f"no sample value for URL argument {name!r}: add it to SAMPLES")
        return table.SAMPLES[name](context)

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", value, template)
    path = re.sub(r"<(?:\w+:)?(\w+)>", value, path)
    return "/" + path.replace("^", "").replace("$", "")


def outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return table.LOGIN
        if location.startswith("/admin/reauth/"):
            return table.REAUTH
        return table.REDIRECT
    return response.status_code


def signed_in_clients(people):
    """One client per audience, signed in once (outside the rolled-back requests)."""
    clients = {}
    for audience in table.AUDIENCES:
        clients[audience] = Client()
        if audience != table.ANONYMOUS:
            signed_in(clients[audience], getattr(people, PERSON_OF[audience]))
    return clients


def try_as(client, method, path):
    """One request, rolled back afterwards so every audience meets the same database
    (and the client's cookies restored, in case the request signed it out)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        try:
            response = client.get(path) if method == "GET" else client.post(path)
            result = outcome(response)
        except Exception as error:  # report it in the table's terms, with the rest
            result = f"exception {type(error).__name__}: {error}"
        transaction.set_rollback(True)
    client.cookies = cookies
    return result


def test_every_url_is_in_the_table():
    missing = []
    for route in all_routes():
        if route.kind is not None and route.model not in table.ADMIN_MODELS:
            missing.append(f"admin model {route.model}")
        elif route.kind is None and route.key not in table.VIEWS:
            missing.append(f"{route.key} ({route.template})")
    assert not missing, "declare in tests/shopguard/access_table.py: " + ", ".join(missing)


def test_the_table_names_no_url_that_does_not_exist():
    keys = {route.key for route in all_routes()}
    models = {route.model for route in all_routes() if route.model}
    stale = sorted((set(table.VIEWS) | set(table.OVERRIDES)) - keys)
    stale += sorted(set(table.ADMIN_MODELS) - models)
    assert not stale, f"remove from access_table.py: {stale}"


@pytest.mark.parametrize("route", all_routes(), ids=lambda route: route.key)
def test_each_audience_gets_what_the_table_says(route, people):
    model, expected = expected_for(route)
    path = concrete_path(route.template, Context(people, model))
    clients = signed_in_clients(people)
    wrong = []
    for audience in table.AUDIENCES:
        for method in table.METHODS:
            got = try_as(clients[audience], method, path)
            want = expected[(audience, method)]
            if got != want:
                wrong.append(f"{audience:11} {method:4} {path}: expected {want}, got {got}")
    assert not wrong, "\n" + "\n".join(wrong)
