"""Link stage: persons, then families, then recurrence, on pseudonymised data only."""
