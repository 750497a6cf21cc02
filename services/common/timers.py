"""Timers for scheduled jobs; each job guards itself so that replicas never run it twice."""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """A nameko timer whose interval is read from the config (e.g. YEAR_CLOSE_CHECK_SECONDS)."""

    def __init__(self, config_key, default, **kwargs):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key) or self.default)
