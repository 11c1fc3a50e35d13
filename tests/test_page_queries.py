"""What every page reads besides its own content: the session, the user and role, the unread
count and, for a bank officer, their banks, each once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory


@pytest.mark.django_db
def test_the_officers_home_reads_their_banks_once(bank_a, officer_a):
    ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    client = client_for(officer_a)
    assert client.get(reverse("home")).status_code == 200
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("home"))
    assert response.status_code == 200 and bank_a.short_name in response.content.decode()
    bank_reads = [q["sql"] for q in page.captured_queries
                  if q["sql"].startswith('SELECT "banks_bank"')]
    assert len(bank_reads) == 1, bank_reads
    assert sum('FROM "django_session"' in q["sql"] for q in page.captured_queries) == 1
    # The role is read with the user (accounts.auth_backends), not by a query of its own.
    assert not [q for q in page.captured_queries if q["sql"].startswith('SELECT "auth_group"')]


@pytest.mark.django_db
def test_a_role_taken_away_counts_from_the_next_request(officer_a, reviewer):
    from django.contrib.auth.models import Group

    client = client_for(reviewer)
    assert client.get(reverse("claims:review_queue")).status_code == 200
    reviewer.groups.remove(Group.objects.get(name="custodian_reviewer"))
    assert client.get(reverse("claims:review_queue")).status_code == 403
    # A user in two role groups has the first role in the portal's order.
    officer_a.groups.add(Group.objects.get(name="custodian_reviewer"))
    assert client_for(officer_a).get(reverse("claims:review_queue")).status_code == 403
