"""Voucher code rules (services/vouchers/codes.py): portal codes with their check symbol,
how codes are shown, and reading what people type, portal and legacy codes alike."""

import random
import re
import secrets

import pytest

from services.vouchers import codes
from services.vouchers.codes import (
    ALPHABET,
    check_symbol,
    display_code,
    format_code,
    generate_codes,
    is_valid,
    normalize,
    normalize_legacy,
)

CODE_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")  # Crockford: no I, L, O, U


@pytest.fixture(scope="module")
def sample():
    return generate_codes(300)


def make_code(payload):
    return payload + check_symbol(payload)


# --- the check symbol ---------------------------------------------------------


def _gf_mul_reference(a, b):
    # Schoolbook carry-less product, then reduce by x^5 + x^2 + 1: independent of
    # the module's tables, straight from the definition.
    product = 0
    for bit in range(5):
        if b >> bit & 1:
            product ^= a << bit
    for bit in range(8, 4, -1):
        if product >> bit & 1:
            product ^= 0b100101 << (bit - 5)
    return product


def test_alphabet_is_crockford():
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_valid_means_weighted_sum_in_gf32_is_zero(sample):
    weights = [1]
    for _ in range(15):
        weights.append(_gf_mul_reference(weights[-1], 2))  # alpha = x
    assert len(set(weights)) == 16 and 0 not in weights
    for code in sample:
        total = 0
        for weight, symbol in zip(weights, code):
            total ^= _gf_mul_reference(weight, ALPHABET.index(symbol))
        assert total == 0, code


def test_exactly_one_check_symbol_per_payload(sample):
    for code in sample[:50]:
        valid = [s for s in ALPHABET if is_valid(code[:15] + s)]
        assert valid == [code[15]]


def test_every_single_substitution_is_rejected(sample):
    for code in sample:
        for i in range(16):
            for symbol in ALPHABET:
                if symbol != code[i]:
                    typo = code[:i] + symbol + code[i + 1:]
                    assert not is_valid(typo), (code, typo)


def test_every_adjacent_transposition_is_rejected(sample):
    for code in sample:
        for i in range(15):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
                assert not is_valid(swapped), (code, swapped)


def test_every_adjacent_transposition_of_every_symbol_pair_is_rejected():
    # The check is linear, so whether a swap is caught depends only on the
    # position and the two symbols: cover all of them, check position included.
    rng = random.Random(20260701)
    for i in range(15):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                payload = [rng.choice(ALPHABET) for _ in range(15)]
                if i < 14:
                    payload[i], payload[i + 1] = a, b
                    code = make_code("".join(payload))
                else:  # last payload symbol next to the check symbol: pick the
                    payload[i] = a  # first symbol so that the check comes out b
                    code = next(
                        c for c in (make_code(f + "".join(payload[1:])) for f in ALPHABET)
                        if c[15] == b
                    )
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
                assert not is_valid(swapped), (code, swapped)


def test_is_valid_rejects_malformed_input(sample):
    code = sample[0]
    assert is_valid(code)
    assert not is_valid(code[:15])
    assert not is_valid(code + "0")
    assert not is_valid(code.lower())
    assert not is_valid(format_code(code))
    assert not is_valid("U" + code[1:])
    assert not is_valid(None)
    assert not is_valid(code.encode())


def test_check_symbol_rejects_bad_payload():
    with pytest.raises(ValueError):
        check_symbol("0" * 14)
    with pytest.raises(ValueError):
        check_symbol("0" * 14 + "U")


# --- generation ---------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 2, 1000])
def test_generate_codes_count_shape_validity_uniqueness(count):
    generated = generate_codes(count)
    assert isinstance(generated, list)
    assert len(generated) == count
    assert len(set(generated)) == count
    for code in generated:
        assert CODE_RE.fullmatch(code), code
        assert is_valid(code)


def test_generate_codes_uses_all_symbols_at_every_position():
    # 75 random bits spread over 15 positions: a stuck or biased position shows.
    generated = generate_codes(2000)
    for i in range(16):
        assert {code[i] for code in generated} == set(ALPHABET), i


def test_generate_codes_replaces_duplicates_within_a_batch(monkeypatch):
    draws = iter([7, 7, 7, 9, 7, 11])
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(draws))
    generated = generate_codes(3)
    assert len(set(generated)) == 3
    assert all(is_valid(code) for code in generated)


def test_generate_codes_rejects_negative_count():
    with pytest.raises(ValueError):
        generate_codes(-1)


# --- formatting and normalisation ----------------------------------------------


def test_format_code_groups_of_four(sample):
    for code in sample:
        formatted = format_code(code)
        assert re.fullmatch(r"(\w{4}-){3}\w{4}", formatted)
        assert formatted.replace("-", "") == code


def test_format_normalize_round_trip(sample):
    for code in sample:
        assert normalize(format_code(code)) == code
        assert normalize(code) == code


def test_format_code_rejects_non_canonical(sample):
    for bad in [sample[0][:15], sample[0].lower(), format_code(sample[0]), None, "O" * 16]:
        with pytest.raises(ValueError):
            format_code(bad)


def test_portal_codes_show_in_groups_of_four_legacy_codes_as_stored(sample):
    assert display_code(sample[0], legacy=False) == format_code(sample[0])
    # a legacy code of 16 symbols is still a legacy code, whatever its letters
    for legacy in ("LOUI0123456789AB", "ABCDEF0123456789", "OLD1"):
        assert display_code(legacy, legacy=True) == legacy


def test_normalize_accepts_case_spaces_dashes_and_whitespace(sample):
    code = sample[0]
    formatted = format_code(code)
    for text in [
        code.lower(),
        formatted.lower(),
        " ".join(formatted),
        "  " + code[:4] + " - " + code[4:8] + "--" + code[8:] + "  ",
        "\t" + code[:8] + "\n" + code[8:] + "\r\n",
        code[:8] + "\u00a0" + code[8:],  # no-break space pasted from a document
    ]:
        assert normalize(text) == code, text


def test_normalize_maps_o_i_l_confusions():
    code = make_code("0011" + "ABCD" + "0101" + "XYZ")
    assert normalize(code) == code
    confused = code[:4].replace("0", "O").replace("1", "I") + code[4:]
    confused = confused[:8] + code[8:12].replace("0", "o").replace("1", "l") + code[12:]
    assert confused != code
    assert normalize(confused) == code
    assert normalize(format_code(code).replace("1", "L").replace("0", "o")) == code


def test_normalize_rejects_u(sample):
    code = make_code("VVVV" + "0" * 11)
    assert normalize(code) == code
    assert normalize("U" + code[1:]) is None
    assert normalize(code.replace("V", "U")) is None
    assert normalize(code.replace("V", "u")) is None


def test_normalize_rejects_wrong_length(sample):
    code = sample[0]
    assert normalize(code[:15]) is None
    assert normalize(code + code[-1]) is None
    assert normalize(code + "-0000") is None
    assert normalize("") is None
    assert normalize("   ---   ") is None


def test_normalize_rejects_wrong_check(sample):
    code = sample[0]
    wrong = ALPHABET[(ALPHABET.index(code[15]) + 1) % 32]
    assert normalize(code[:15] + wrong) is None
    assert normalize(format_code(code)[:-1] + wrong.lower()) is None


@pytest.mark.parametrize("value", [None, 12345, b"0000000000000000", ["0"] * 16, object()])
def test_normalize_rejects_non_strings(value):
    assert normalize(value) is None


def test_normalize_rejects_absurdly_long_input(sample):
    code = sample[0]
    assert normalize(code + " " * (64 - 16)) == code  # 64 characters: fine
    assert normalize(code + " " * (65 - 16)) is None
    assert normalize("-" * 10_000 + code) is None


def test_normalize_rejects_other_characters(sample):
    code = sample[0]
    for text in [
        code[:8] + "_" + code[8:],
        code[:8] + "." + code[8:],
        code[:8] + "\u2013" + code[8:],  # en dash
        "\uff10" * 16,  # full-width digits
        code[:15] + "\u0131",  # dotless i, whose upper() is ASCII "I"
    ]:
        assert normalize(text) is None, text


# --- legacy codes ---------------------------------------------------------------


def test_legacy_ignores_case_spaces_and_dashes():
    assert normalize_legacy("abcd-1234") == "ABCD1234"
    assert normalize_legacy("  Ab Cd - 12 34 ") == "ABCD1234"
    assert normalize_legacy("ab\tcd\n12-34") == "ABCD1234"


def test_legacy_keeps_its_own_symbols():
    # No check symbol and no Crockford mapping: O, I, L and U are all kept.
    assert normalize_legacy("oil-u0") == "OILU0"
    assert normalize_legacy("O0O0") == "O0O0"


def test_legacy_length_bounds():
    assert normalize_legacy("A" * 3) is None
    assert normalize_legacy("A" * 4) == "AAAA"
    assert normalize_legacy("A" * 40) == "A" * 40
    assert normalize_legacy("-".join(["AAAA"] * 10)) == "A" * 40
    assert normalize_legacy("A" * 41) is None
    assert normalize_legacy("") is None
    assert normalize_legacy(" - - ") is None


@pytest.mark.parametrize(
    "text", ["ABCD_1234", "ABCD.1234", "ABCD/1234", "ABÇD1234", "straße12", "\uff21BCD"]
)
def test_legacy_rejects_other_characters(text):
    assert normalize_legacy(text) is None


@pytest.mark.parametrize("value", [None, 1234, b"ABCD1234", ["ABCD"]])
def test_legacy_rejects_non_strings(value):
    assert normalize_legacy(value) is None


def test_legacy_rejects_absurdly_long_input():
    assert normalize_legacy("A" * 4 + " " * 10_000) is None


def test_module_has_no_io_or_nameko_imports():
    source = open(codes.__file__, encoding="utf-8").read()
    for forbidden in ("nameko", "sqlalchemy", "open(", "requests", "eventlet"):
        assert forbidden not in source.lower(), forbidden
