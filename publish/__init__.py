"""Publish stage: national statistics from the linked signals, under CBS-style disclosure control.

``aggregates`` counts the cells of the publication (long format, OUTPUT.md section 3) from the
linked signals table; ``disclosure`` rounds them to multiples of 5 and suppresses small cells and
every cell that would let a reader recompute a suppressed one; ``attack`` plays the reader who
tries anyway, and is the audit the protection must pass. ``constraints`` holds the additive and
order relations between cells that both sides use; they follow from the table's layout alone.
"""
