"""Prefect flows: thin wrappers that read a stage's input, call the stage and write its output.

Importing this package sets privacy-safe defaults for Prefect before Prefect is imported:
no telemetry, no update checks. An operator's own environment settings win.
"""

import os

_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}
for _name, _value in _PREFECT_DEFAULTS.items():
    os.environ.setdefault(_name, _value)
