"""The first import of every operations command line (`services/*/cli.py`): eventlet
patched before anything opens a socket, without the 8-line deprecation notice eventlet
prints when imported (nameko runs on eventlet; the notice is nothing an operator can act
on). Exactly that warning is silenced, nothing else."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)

import eventlet  # noqa: E402 - after the filter, which must see its import

eventlet.monkey_patch()
