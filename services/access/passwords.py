"""Password hashing with Argon2id (memory-hard), off the eventlet hub, a few at a time.

Each hash takes 19 MiB and a core for a while. A flood of sign-ins must neither grow the
process by 19 MiB per request in flight nor hold every worker of the service (every
authenticated request asks the access service): at most `slots` hashes run at once, at
most `slots` more wait for a turn, and anything beyond that is answered 503 at once.
The hashes run on eventlet's pool of OS threads, sized to `slots` too: each thread that
ever hashes keeps its own malloc arena holding the 19 MiB (20 threads kept ~300 MiB).
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.common.errors import ServiceUnavailable

DEFAULT_SLOTS = 2

# OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown, so a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash("not a real password")


class Passwords:
    def __init__(self, slots=DEFAULT_SLOTS):
        self.slots = slots
        self._turns = Semaphore(slots)
        self._waiting = 0

    def hash(self, password):
        return self._in_turn(_hasher.hash, password)

    def verify(self, password_hash, password):
        try:
            matched = self._in_turn(_hasher.verify, password_hash or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
        return bool(matched and password_hash)  # the dummy's own password opens nothing

    def _in_turn(self, function, *args):
        if self._waiting >= self.slots:
            raise ServiceUnavailable("sign_in_busy",
                                     "Too many sign-ins at once; try again in a moment.",
                                     retry_after=1)
        self._waiting += 1
        try:
            self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            return tpool.execute(function, *args)
        finally:
            self._turns.release()


DEFAULT_PASSWORDS = Passwords()  # for callers outside a service (tests, scripts)


class PasswordsProvider(DependencyProvider):
    """One `Passwords` per process, sized by PASSWORD_HASHING_SLOTS."""

    def setup(self):
        slots = int(self.container.config.get("PASSWORD_HASHING_SLOTS") or DEFAULT_SLOTS)
        if not tpool._setup_already:  # the pool starts on first use; nothing else uses it
            tpool._nthreads = slots   # (what EVENTLET_THREADPOOL_SIZE sets at import)
        self.passwords = Passwords(slots)

    def get_dependency(self, worker_ctx):
        return self.passwords
