import pytest
from django.urls import reverse

from compensation.models import Program
from tests.factories import AwardLineFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_home_lists_open_programs_but_never_drafts(client):
    ProgramFactory(name="Open program")
    ProgramFactory(name="Secret draft", status=Program.Status.DRAFT)
    response = client.get(reverse("claims:home"))
    assert response.status_code == 200
    assert "Open program" in response.text
    assert "Secret draft" not in response.text


def test_program_page_shows_what_people_get(client):
    line = AwardLineFactory(amount_minor=20_000, service_scope="travel")
    response = client.get(reverse("claims:program", args=[line.program.slug]))
    assert response.status_code == 200
    assert "20,000" in response.text and "travel" in response.text


def test_draft_program_page_is_not_found(client):
    draft = ProgramFactory(status=Program.Status.DRAFT)
    assert client.get(reverse("claims:program", args=[draft.slug])).status_code == 404


def test_healthz_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}
