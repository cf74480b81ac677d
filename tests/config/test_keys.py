import pytest
from django.core.exceptions import ImproperlyConfigured

from config.keys import versioned_keys_parse
from tests.config.test_settings import PRODUCTION_ENV, _manage


def test_pairs_become_versioned_secrets_the_later_entry_of_a_version_winning():
    keys = versioned_keys_parse(
        ["1:first-secret", "2:second:with-colon", "1:replaced"], setting="CODE_HASH_KEYS"
    )
    assert keys == {1: b"replaced", 2: b"second:with-colon"}
    assert versioned_keys_parse([], setting="CODE_HASH_KEYS") == {}


@pytest.mark.parametrize("entry", ["no-version-at-all-just-a-secret", "x:secret", "²:secret"])
def test_an_entry_without_a_numeric_version_is_refused_without_echoing_it(entry):
    with pytest.raises(ImproperlyConfigured) as exc:
        versioned_keys_parse(["1:fine", entry], setting="VOUCHER_CODE_DERIVE_KEYS")
    message = str(exc.value)
    assert "VOUCHER_CODE_DERIVE_KEYS entry 2" in message
    assert entry not in message
    assert "secret" not in message.replace("'version:secret'", "")


def test_a_short_secret_is_refused_when_a_length_is_required():
    with pytest.raises(ImproperlyConfigured, match="16\\+ characters"):
        versioned_keys_parse(["1:short"], setting="CODE_HASH_KEYS", min_secret_length=16)
    assert versioned_keys_parse(["1:short"], setting="CODE_HASH_KEYS") == {1: b"short"}


def test_the_process_refuses_a_malformed_code_hash_key_and_keeps_it_out_of_the_message():
    secret = "a-secret-with-no-version-" + "s" * 20
    result = _manage("check", env={**PRODUCTION_ENV, "CODE_HASH_KEYS": secret})
    assert result.returncode != 0
    assert "CODE_HASH_KEYS entry 1 is not 'version:secret'" in result.stderr
    assert secret not in result.stderr


def test_the_process_refuses_a_short_derivation_key():
    result = _manage("check", env={**PRODUCTION_ENV, "VOUCHER_CODE_DERIVE_KEYS": "1:short"})
    assert result.returncode != 0
    assert "VOUCHER_CODE_DERIVE_KEYS entry 1" in result.stderr
