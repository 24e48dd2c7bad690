"""Intake stage: read deliveries per the input contract, normalise, check, quarantine, merge."""
