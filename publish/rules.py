"""The disclosure rules of the publication, as constants (CBS practice for Veilig Thuis tables).

* counts are rounded to the nearest multiple of ``ROUNDING_BASE`` (5), halves up, so a published
  count ``v`` stands for a true count in ``[v - 2, v + 2]``;
* a count below ``MIN_COUNT`` (10) is not published: ``status`` is ``SUPPRESSED`` ('.') and the
  value is empty (primary suppression);
* a percentage is computed from unrounded counts, published with ``PERCENT_DECIMALS`` decimals,
  and not published when its denominator is below ``MIN_COUNT``;
* further cells are suppressed so that no suppressed cell can be recomputed from the published
  ones (secondary suppression, see ``disclosure`` and ``attack``).
"""

from __future__ import annotations

from typing import Final

ROUNDING_BASE: Final = 5
MIN_COUNT: Final = 10
PERCENT_DECIMALS: Final = 1
PUBLISHED: Final = "ok"
SUPPRESSED: Final = "."
#: Why a cell is not published (internal column ``suppression``).
REASONS: Final = ("none", "primary", "denominator", "secondary")
