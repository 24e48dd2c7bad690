"""Link task: the store's pseudonymised persons and signals → person links and families."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from linkage.pipeline import Linked, link_all
from pseudonymise.keys import MasterKey
from radar import progress
from radar.intake.merge import IntakeTables
from radar.settings import LinkageSettings


@task(cache_policy=NO_CACHE)
def link_store(tables: IntakeTables, key: MasterKey, settings: LinkageSettings) -> Linked:
    """Persons, families and recurrence over the whole store (pseudonymised data only)."""
    progress.advance("link", 0, 1)
    linked = link_all(tables.signals, tables.persons, settings, key=key)
    progress.advance("link", 1, 1)
    return linked
