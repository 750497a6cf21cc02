"""Password hashing with Argon2id (memory-hard), off the eventlet hub."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

# OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown, so a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    try:
        matched = tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matched and password_hash)  # the dummy's own password opens nothing
