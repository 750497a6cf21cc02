"""Voucher code rules: generation, check symbol, how a code is shown, input normalisation.
The one owner of the code format: every other module (and, through the `voucher_redeemed`
event, every other service) takes codes in the forms made here.

Pure functions, no I/O.

A portal code is 16 Crockford base32 symbols: 15 random (75 bits) and a check symbol,
shown in groups of four. The check works in GF(32): position i has weight alpha**i, and
the check symbol makes sum(weight_i * value_i) == 0 over all 16 positions.

A legacy code (sold before the portal) is 4 to 40 letters and digits of its own format:
any letters, no check symbol, shown as stored. Only its batch says which kind a stored
code is: a 16-symbol legacy code can look like a portal code.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 16
_PAYLOAD = LENGTH - 1  # random symbols before the check symbol
_MAX_INPUT = 64  # anything longer is not a mistyped code; don't even scan it

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}

# --- GF(32) arithmetic, primitive polynomial x^5 + x^2 + 1 -------------------
_POLY = 0b100101


def _gf_mul(a, b):
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _POLY
    return product


def _gf_pow(a, n):
    result = 1
    for _ in range(n):
        result = _gf_mul(result, a)
    return result


def _gf_inv(a):
    return _gf_pow(a, 30)  # a**31 == 1 for every non-zero a


# alpha = x (0b10) generates all 31 non-zero elements, so the 16 weights differ.
_WEIGHTS = [_gf_pow(0b10, i) for i in range(LENGTH)]

# Why: a wrong symbol shifts the sum by w_i*(a-b), a swap of neighbours a != b by
# (w_i - w_i+1)*(a-b); both are products of non-zero field elements, never 0.
#
# Scaled tables: _TABLES[i][v] = w_15^-1 * w_i * v. Then the check symbol is the
# XOR of _TABLES[i][v_i] over the first 15 positions (_TABLES[15] is identity),
# and a code is valid iff the XOR over all 16 positions is 0.
_SCALE = _gf_inv(_WEIGHTS[-1])
_TABLES = [
    tuple(_gf_mul(_gf_mul(_SCALE, w), v) for v in range(32)) for w in _WEIGHTS
]
# Generation works on the 75 random bits as five 15-bit groups of 3 symbols,
# position 0 in the most significant bits. Per group, one lookup gives the text
# and one gives its share of the check (the XOR of its 3 per-position entries):
# 10 lookups per code instead of 30, which matters in a 1,000-code chunk.
_TRIPLES = tuple(a + b + c for a in ALPHABET for b in ALPHABET for c in ALPHABET)


def _group_check_table(first, second, third):
    pairs = [b ^ c for b in second for c in third]  # index: b * 32 + c
    return tuple(a ^ bc for a in first for bc in pairs)  # index: a * 1024 + b * 32 + c


_GROUP_CHECKS = tuple(_group_check_table(*_TABLES[p:p + 3]) for p in range(0, _PAYLOAD, 3))


def generate_codes(count):
    """Return `count` distinct canonical codes (16 symbols, no dashes)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    randbits, text, mask = secrets.randbits, _TRIPLES, 0x7FFF
    c0, c1, c2, c3, c4 = _GROUP_CHECKS
    codes = set()
    # Duplicates within a batch are astronomically rare (75 bits), but a chunk
    # with one would fail its insert; loop until we have `count` distinct ones.
    # Uniqueness across batches is the database's job.
    while len(codes) < count:
        for _ in range(count - len(codes)):
            bits = randbits(75)
            g0, g1, g2 = bits >> 60, bits >> 45 & mask, bits >> 30 & mask
            g3, g4 = bits >> 15 & mask, bits & mask
            check = c0[g0] ^ c1[g1] ^ c2[g2] ^ c3[g3] ^ c4[g4]
            codes.add(text[g0] + text[g1] + text[g2] + text[g3] + text[g4] + ALPHABET[check])
    return list(codes)


def check_symbol(payload):
    """The check symbol for 15 alphabet symbols (e.g. for test fixtures)."""
    if len(payload) != _PAYLOAD or not set(payload) <= _VALUE.keys():
        raise ValueError("payload must be 15 alphabet symbols")
    check = 0
    for table, symbol in zip(_TABLES, payload):
        check ^= table[_VALUE[symbol]]
    return ALPHABET[check]


def is_valid(canonical):
    """True if `canonical` is 16 alphabet symbols whose check symbol verifies."""
    if not isinstance(canonical, str) or len(canonical) != LENGTH:
        return False
    total = 0
    for table, symbol in zip(_TABLES, canonical):
        value = _VALUE.get(symbol)
        if value is None:
            return False
        total ^= table[value]
    return total == 0


_CANONICAL = re.compile("[{}]{{{}}}".format(ALPHABET, LENGTH))


def format_code(canonical):
    """'ABCD...' (16 symbols) -> 'ABCD-EFGH-JKMN-PQRS' for display and CSV.

    Runs once per row of every download, so the shape check is one compiled regex.
    """
    if not isinstance(canonical, str) or not _CANONICAL.fullmatch(canonical):
        raise ValueError("not a canonical voucher code")
    return "{}-{}-{}-{}".format(canonical[:4], canonical[4:8], canonical[8:12], canonical[12:])


def display_code(code, legacy):
    """A stored code as people see it (screens, CSV, tickets): a portal code in groups of
    four, a legacy code as stored (its own format: regrouping it would show another code)."""
    return code if legacy else format_code(code)


# People type O for 0 and I or L for 1; Crockford excludes those letters so the
# mapping is unambiguous. U is excluded too but maps to nothing: it is an error.
_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None})


def _strip(text):
    text = "".join(text.split())  # drops every kind of whitespace, e.g. no-break space
    # ASCII only: str.upper() maps some non-ASCII letters to ASCII ones
    # ("ß" -> "SS", dotless "ı" -> "I"), which must not become valid input.
    return text.upper() if text.isascii() else None


def normalize(text):
    """User input -> canonical code, or None if it is not a valid voucher code.

    Verifying the check symbol here means a typo never reaches a database lookup.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    stripped = _strip(text)
    if stripped is None:
        return None
    canonical = stripped.translate(_CONFUSIONS)
    return canonical if is_valid(canonical) else None


_LEGACY = re.compile(r"[A-Z0-9]{4,40}")


def normalize_legacy(text):
    """Legacy (pre-portal) code -> its canonical form, or None.

    Legacy codes have their own format: only case, spaces and dashes are
    ignored; no check symbol and no O/I/L mapping (O and 0 may both occur).
    """
    # Raw-length cap leaves room for 40 symbols with spaced-out dashes.
    if not isinstance(text, str) or len(text) > 2 * _MAX_INPUT:
        return None
    stripped = _strip(text)
    if stripped is None:
        return None
    canonical = stripped.replace("-", "")
    return canonical if _LEGACY.fullmatch(canonical) else None
