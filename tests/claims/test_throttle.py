import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from claims.errors import ClaimError
from claims.models import Claim, SignInCode
from claims.services.signin import signin_code_request
from claims.throttle import network_of, signin_limits, throttle_hit
from claims.views.common import DEVICE_COOKIE
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from config.ratelimit import RateLimitUnavailable
from notifications.models import Notice
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db


def test_a_throttle_counts_per_subject_within_its_limit(settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "verify_network": (2, 3600)}
    here, there = network_of("198.51.100.7"), network_of("203.0.113.9")
    assert [throttle_hit("verify_network", here) for _ in range(3)] == [True, True, False]
    assert throttle_hit("verify_network", there)
    assert network_of("198.51.100.200") == here  # the same /24 counts together


def test_without_redis_no_code_is_sent_and_nothing_is_stored(program, person, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with pytest.raises(RateLimitUnavailable):
        signin_code_request(
            program=program, address=person.email, language="en", ip_address="10.0.0.1"
        )
    assert mail.outbox == []
    assert not SignInCode.objects.exists()
    assert not Notice.objects.exists()


def test_sign_in_limits_are_per_device_and_address_with_the_network_only_a_ceiling():
    address = b"\x01" * 32
    names = [
        name
        for name, _ in signin_limits(
            address_hash=address, device="d1", ip_address="100.64.0.1", trusted=False
        )
    ]
    assert names == [
        "signin_network",
        "signin_device",
        "signin_address_device",
        "signin_address_network",
        "signin_address",
    ]
    # A browser that signed in with the address before is exempt from the address-wide ones.
    trusted = [
        name
        for name, _ in signin_limits(
            address_hash=address, device="d1", ip_address="100.64.0.1", trusted=True
        )
    ]
    assert trusted == ["signin_network", "signin_device", "signin_address_device"]
    # Without a device cookie, a small budget per network instead of the device's.
    cookieless = dict(
        signin_limits(address_hash=address, device=None, ip_address="100.64.0.1", trusted=False)
    )
    assert cookieless["signin_cookieless"] == network_of("100.64.0.1")


def test_the_network_ceiling_is_sized_for_a_carriers_shared_address(settings):
    per_network, _window = settings.CLAIMS_THROTTLES["signin_network"]
    per_device, _window = settings.CLAIMS_THROTTLES["signin_device"]
    assert per_network >= 100 * per_device


# --- The notice check and claim submission: per device and subject, the network a ceiling ---

CARRIER = "100.64.12.34"  # one CGNAT address a carrier's customers share


def _limits(settings, **changes):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, **changes}


def _check(browser, reference="ABCD-EFGH-JKMN-PQRS", ip=CARRIER):
    return browser.post(reverse("claims:verify"), {"reference": reference}, REMOTE_ADDR=ip)


def _browser(ip=CARRIER):
    """A browser that has opened the notice check once, and so holds its device cookie."""
    browser = Client()
    assert DEVICE_COOKIE in browser.get(reverse("claims:verify"), REMOTE_ADDR=ip).cookies
    return browser


def test_many_devices_behind_one_address_all_check_their_notices(settings):
    _limits(settings, verify_device=(2, 3600), verify_cookieless=(2, 3600))
    answers = [_check(_browser(), reference=f"ABCD-EFGH-JKMN-PQ{n:02d}") for n in range(30)]
    assert [answer.status_code for answer in answers] == [200] * 30


def test_one_device_hammering_the_notice_check_is_stopped_and_its_neighbours_are_not(settings):
    _limits(settings, verify_device=(3, 3600), verify_reference=(100, 3600))
    hammer = _browser()
    codes = [_check(hammer, reference=f"ABCD-EFGH-JKMN-PQ{n:02d}").status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert _check(_browser()).status_code == 200  # the same address, another phone


def test_one_reference_checked_over_and_over_is_stopped_whatever_the_device(settings):
    _limits(settings, verify_reference=(2, 3600))
    codes = [_check(_browser()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _check(_browser(), reference="WXYZ-EFGH-JKMN-PQRS").status_code == 200


def test_a_cookieless_script_shares_a_small_budget_per_network(settings):
    _limits(settings, verify_cookieless=(3, 3600), verify_reference=(100, 3600))
    script = Client()  # never keeps a cookie: a fresh client per request
    codes = [_check(Client()).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _check(script, ip="100.64.12.200").status_code == 429  # the same /24
    assert _check(_browser()).status_code == 200  # a browser there is not held back


def test_a_script_minting_a_cookie_per_request_hits_the_network_ceiling(settings):
    _limits(settings, verify_network=(5, 3600), verify_reference=(100, 3600))
    codes = [
        _check(_browser(), reference=f"ABCD-EFGH-JKMN-PQ{n:02d}").status_code for n in range(6)
    ]
    assert codes == [200] * 5 + [429]
    other = "198.51.100.7"
    assert _check(_browser(ip=other), ip=other).status_code == 200  # another network


def test_the_notice_check_and_submission_ceilings_are_sized_for_a_carriers_address(settings):
    for kind in ("verify", "submit"):
        ceiling, _window = settings.CLAIMS_THROTTLES[f"{kind}_network"]
        per_device, _window = settings.CLAIMS_THROTTLES[f"{kind}_device"]
        cookieless, _window = settings.CLAIMS_THROTTLES[f"{kind}_cookieless"]
        assert ceiling >= 50 * max(per_device, cookieless)


def _claimant(program):
    person = ClaimantPersonFactory.create(program=program)
    return Claimant(person=person, email_hash=email_hash(person.email))


def test_many_devices_behind_one_address_all_file_their_claims(program, documented, settings):
    _limits(settings, submit_device=(1, 3600), submit_cookieless=(1, 3600))
    for n in range(12):
        file_claim(
            program=program,
            claim_type=documented,
            claimant=_claimant(program),
            key=f"d{n}",
            ip=CARRIER,
            device=f"phone-{n}",
        )
    assert Claim.objects.count() == 12


def test_one_device_filing_for_many_identities_is_stopped(program, documented, settings):
    _limits(settings, submit_device=(2, 3600))
    for n in range(2):
        file_claim(
            program=program,
            claim_type=documented,
            claimant=_claimant(program),
            key=f"h{n}",
            ip=CARRIER,
            device="one-phone",
        )
    with pytest.raises(ClaimError) as exc:
        file_claim(
            program=program,
            claim_type=documented,
            claimant=_claimant(program),
            key="h9",
            ip=CARRIER,
            device="one-phone",
        )
    assert exc.value.code == "throttled"
    assert exc.value.status == 429
    assert Claim.objects.count() == 2
    file_claim(  # the phone next to it, on the same address
        program=program,
        claim_type=documented,
        claimant=_claimant(program),
        key="h10",
        ip=CARRIER,
        device="another-phone",
    )
    assert Claim.objects.count() == 3


def test_cookieless_submissions_share_a_budget_and_every_device_the_ceiling(
    program, documented, settings
):
    _limits(settings, submit_cookieless=(2, 3600), submit_network=(4, 3600))
    claimants = [_claimant(program) for _ in range(6)]
    for n in range(2):
        file_claim(
            program=program, claim_type=documented, claimant=claimants[n], key=f"c{n}", ip=CARRIER
        )
    with pytest.raises(ClaimError):
        file_claim(
            program=program, claim_type=documented, claimant=claimants[2], key="c2", ip=CARRIER
        )
    for n in (3, 4):  # browsers on that network still file, up to the ceiling
        file_claim(
            program=program,
            claim_type=documented,
            claimant=claimants[n],
            key=f"c{n}",
            ip=CARRIER,
            device=f"phone-{n}",
        )
    with pytest.raises(ClaimError):
        file_claim(
            program=program,
            claim_type=documented,
            claimant=claimants[5],
            key="c5",
            ip=CARRIER,
            device="phone-5",
        )
    assert Claim.objects.count() == 4
