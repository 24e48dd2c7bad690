"""``python -m radar.cli``: the same as the ``radar`` command."""

from radar.cli.main import app

app()
