import pytest
from django.core import mail

from claims.models import SignInCode
from claims.services import signin_code_request
from claims.throttle import network_of, throttle_hit
from config.ratelimit import RateLimitUnavailable

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
            program=program, email=person.email, language="en", ip_address="10.0.0.1"
        )
    assert mail.outbox == []
    assert not SignInCode.objects.exists()
