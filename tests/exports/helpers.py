"""Shared steps of the export tests: a request through the form, the two-step download,
and reading an archive with its password."""

import io

import pyzipper

from exports.models import ExportRequest


def new_request(client, **changes):
    data = {
        "purpose": "年末のお礼状の発送",
        "recipient": "internal",
        "recipient_name": "",
        "fields": ["name", "email"],
        "scope": "all",
        "encoding": "utf-8-sig",
        **changes,
    }
    return client.post("/admin/exports/new/", data)


def latest():
    return ExportRequest.objects.order_by("-requested_at").first()


def decide(client, export, decision="approve", **extra):
    return client.post(f"/admin/exports/{export.pk}/decide/", {"decision": decision, **extra})


def download(client, export):
    response = client.post(f"/admin/exports/{export.pk}/prepare/")
    assert response.status_code == 200
    password = response.context["password"]
    response = client.post(f"/admin/exports/{export.pk}/download/")
    return response, password


def archive_members(content, password):
    """{member name: text} of an archive opened with ``password``."""
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        archive.setpassword(password.encode())
        return {
            name: archive.read(name).decode(
                "cp932" if b"\xef\xbb\xbf" != archive.read(name)[:3] else "utf-8-sig"
            )
            for name in archive.namelist()
        }
