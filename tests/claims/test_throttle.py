import pytest
from django.core import mail

from claims.models import SignInCode
from claims.services.signin import signin_code_request
from claims.throttle import network_of, signin_limits, throttle_hit
from config.ratelimit import RateLimitUnavailable
from notifications.models import Notice

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
