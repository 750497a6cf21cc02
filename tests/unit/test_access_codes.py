"""Access codes: 12 Crockford base32 symbols, easy to type back (access_codes.py)."""
import pytest

from services.access.access_codes import (ALPHABET, LENGTH, format_access_code, name_key,
                                          new_access_code, normalize_access_code)


def test_alphabet_is_crockford_base32():
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert not set("ILOU") & set(ALPHABET)


def test_new_code_is_12_symbols_of_the_alphabet():
    code = new_access_code()
    assert len(code) == LENGTH == 12
    assert set(code) <= set(ALPHABET)


def test_new_codes_are_unique_over_many():
    codes = [new_access_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 12 and set(code) <= set(ALPHABET) for code in codes)


def test_new_codes_use_the_whole_alphabet_in_every_position():
    codes = [new_access_code() for _ in range(3_000)]
    for position in range(LENGTH):
        assert {code[position] for code in codes} == set(ALPHABET)


def test_new_code_normalizes_to_itself():
    code = new_access_code()
    assert normalize_access_code(code) == code
    assert normalize_access_code(format_access_code(code)) == code


def test_format_groups_in_fours():
    assert format_access_code("ABCD2345WXYZ") == "ABCD-2345-WXYZ"


@pytest.mark.parametrize("typed", [
    "ABCD-2345-WXYZ",
    "abcd-2345-wxyz",
    "ABCD 2345 WXYZ",
    "  abcd 2345-wxyz\t",
    "A-B-C-D-2-3-4-5-W-X-Y-Z",
    "ABCD2345WXYZ",
])
def test_normalize_accepts_case_dashes_and_spaces(typed):
    assert normalize_access_code(typed) == "ABCD2345WXYZ"


@pytest.mark.parametrize("typed, canonical", [
    ("OOOO-1111-2222", "000011112222"),   # letter O for zero
    ("oooo-1111-2222", "000011112222"),
    ("0000-IIII-2222", "000011112222"),   # letter I for one
    ("0000-iiii-2222", "000011112222"),
    ("0000-LLLL-2222", "000011112222"),   # letter L for one
    ("0000-llll-2222", "000011112222"),
])
def test_normalize_reads_o_as_zero_and_i_l_as_one(typed, canonical):
    assert normalize_access_code(typed) == canonical


@pytest.mark.parametrize("typed", [
    "ABCD-2345-WXY",        # 11 symbols
    "ABCD-2345-WXYZ0",      # 13 symbols
    "",
    "----",
    "ABCD-2345-WXYU",       # U is not in the alphabet
    "ABCD-2345-WXY!",
    "ABCD_2345_WXYZ",       # underscores are not separators
    "ÀBCD-2345-WXYZ",
    "ABCD-2345-WXYZ" + " " * 40,  # absurdly long input is not scanned
])
def test_normalize_rejects_wrong_length_or_alphabet(typed):
    assert normalize_access_code(typed) is None


@pytest.mark.parametrize("typed", [None, 123456789012, b"ABCD2345WXYZ", ["ABCD2345WXYZ"]])
def test_normalize_rejects_what_is_not_text(typed):
    assert normalize_access_code(typed) is None


def test_name_key_ignores_case_and_runs_of_spaces():
    assert name_key("  Cass   Technical High\tSchool ") == "cass technical high school"
    assert name_key("CASS TECHNICAL HIGH SCHOOL") == name_key("Cass Technical High School")


def test_name_key_keeps_words_apart():
    assert name_key("Cass Tech") != name_key("CassTech")


def test_name_key_folds_case_beyond_ascii():
    assert name_key("STRASSE Schule") == name_key("straße schule")
