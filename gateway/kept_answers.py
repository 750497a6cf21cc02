"""Answers of the services kept in one gateway process, until something says they changed.

The mechanism both caches share (gateway/access_cache.py, gateway/read_cache.py): each
kept answer has owners (an account, an organization's orders, ...); a notice names owners
and every answer they own is dropped. Answers are kept and used only while the process is
listening for notices (gateway/notices.py): a process that stopped listening may have
missed one, and starts again empty. An answer that was being asked for while a notice
arrived is not kept: it may predate the change. No answer is kept longer than `max_age`
seconds (CACHE_SECONDS in the config), whatever happens to a notice. Answers are kept as
JSON text (as they came over the wire) and each use gets its own copy: a route that adds
to what it was given changes nothing kept.
"""
import json
import time

MAX_ENTRIES = 100_000  # beyond: the oldest answer goes


class KeptAnswers:

    def __init__(self, max_age, max_entries=MAX_ENTRIES, monotonic=time.monotonic):
        self.max_age = max_age
        self.max_entries = max_entries
        self.monotonic = monotonic
        self.entries = {}  # key -> (answer, keep_until, owners, still_good)
        self.owners = {}   # owner -> the keys it owns
        self.generation = 0  # one more per notice and per change of listening
        self.listening = False

    @property
    def enabled(self):
        return self.max_age > 0

    def lookup(self, key):
        """The kept answer, or None (never kept, too old, or no longer good)."""
        entry = self.entries.get(key)
        if entry is None or not self.listening:
            return None
        answer, keep_until, _, still_good = entry
        if self.monotonic() >= keep_until or (still_good and not still_good()):
            self._drop(key)
            return None
        return json.loads(answer)

    def keep(self, key, answer, asked_at_generation, owners, still_good=None):
        """Keep `answer` unless a notice came (or listening changed) since it was asked
        (`asked_at_generation`); `still_good()`, when given, is checked at each use."""
        if not self.enabled or not self.listening or asked_at_generation != self.generation:
            return
        self._drop(key)
        if len(self.entries) >= self.max_entries:
            self._drop(next(iter(self.entries)))
        owners = frozenset(owners)
        self.entries[key] = (json.dumps(answer), self.monotonic() + self.max_age, owners,
                             still_good)
        for owner in owners:
            self.owners.setdefault(owner, set()).add(key)

    def forget(self, owners):
        """Drop every answer these owners own."""
        self.generation += 1
        for owner in owners:
            for key in list(self.owners.get(owner, ())):
                self._drop(key)

    def set_listening(self, listening):
        """Listening or not, everything kept so far is dropped: while not listening a
        notice may have been missed."""
        self.generation += 1
        self.listening = listening
        self.entries.clear()
        self.owners.clear()

    def _drop(self, key):
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        for owner in entry[2]:
            keys = self.owners.get(owner)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.owners[owner]


def configured_max_age(config, default=30):
    seconds = config.get("CACHE_SECONDS")
    return float(default if seconds in (None, "") else seconds)
