"""The navigator's per-case FHIR export (navigator.exchange.export_case_fhir) and its buttons on
the case page: valid bundles, organisation scope, audit without member data, clear refusals."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fhir_support import resources, validate_bundle
from navigator_helpers import MEMBER_ID, PATIENT, first_org, second_org, zelda_case
from streamlit.testing.v1 import AppTest

from navigator import cases, exchange, letter_store
from navigator.errors import NavigatorError, NotFound
from navigator.store import Store
from navigator.tables import AuditEvent
from secondlook import service

ROOT = Path(__file__).resolve().parents[1]
GAP = ROOT / "examples" / "cases" / "mo-newly-diagnosed-network-gap.yaml"


@pytest.fixture
def store(app_store):
    return app_store


def audit_details(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r.detail or "" for r in conn.execute(sa.select(AuditEvent.detail))]


def test_coverage_bundle_of_a_stored_case(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, service.load_case(GAP))
    exported = exchange.export_case_fhir(store, admin, created.id, "coverage")
    bundle = json.loads(exported.data)
    validate_bundle(bundle)
    stored = cases.open_case(store, admin, created.id, record_view=False).determination
    (request,) = resources(bundle, "ServiceRequest")
    covered = [x for x in request["extension"][0]["extension"] if x["url"] == "covered"]
    assert covered[0]["valueCode"] == stored.covered
    assert exported.mime == "application/fhir+json"
    assert exported.filename == f"case-{created.id}-coverage.fhir.json"
    details = audit_details(store)
    assert any(d.startswith("format=fhir-coverage") for d in details)
    assert not any(PATIENT in d or MEMBER_ID in d or "Maria" in d for d in details)


def test_other_organisations_cannot_export_a_case(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    other = second_org(store, admin)
    with pytest.raises(NotFound):
        exchange.export_case_fhir(store, other, created.id, "coverage")


def test_preauth_needs_a_stored_letter(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    with pytest.raises(NavigatorError, match="Generate the prior authorization request letter"):
        exchange.export_case_fhir(store, admin, created.id, "preauth")


@pytest.mark.slow
def test_preauth_bundle_from_the_stored_letter(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, service.load_case(GAP))
    letter = letter_store.generate_letter(
        store, admin, created.id, "preauth_request", expected_version=created.version
    )
    exported = exchange.export_case_fhir(store, admin, created.id, "preauth")
    bundle = json.loads(exported.data)
    validate_bundle(bundle)
    assert bundle["entry"][0]["resource"]["use"] == "preauthorization"
    (document,) = resources(bundle, "DocumentReference")
    assert base64.b64decode(document["content"][0]["attachment"]["data"]).startswith(b"%PDF-")
    assert any(d.endswith(f"letter #{letter.id}") for d in audit_details(store))


def test_case_page_offers_the_export(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["nav_actor"] = admin
    at.query_params["case"] = str(created.id)
    at.run()
    at.switch_page("app_pages/nav_case_detail.py").run()
    at.button(key="nav_fhir_coverage").click().run()
    assert not at.exception, at.exception
    exported = at.session_state[f"nav_fhir:{created.id}"]
    validate_bundle(json.loads(exported.data))
    at.button(key="nav_fhir_preauth").click().run()
    assert not at.exception, at.exception
    assert any("Generate the prior authorization request letter" in e.value for e in at.error)
