"""The synthetic orchard: MinneApple-layout detection data generated anywhere.

``generate`` writes the dataset; ``plan`` decides sequences and conditions, ``scene``,
``layout``, ``shapes``, ``paint`` and ``noise`` render a frame, ``png`` encodes it, ``sheet``
draws contact sheets. The public names are re-exported here (see ``docs/orchard.md``).
"""

from alpick.data.orchard.generate import (
    CONDITION_NAMES,
    CONDITIONS,
    DEFAULT_SIZE,
    METADATA_COLUMNS,
    OrchardReport,
    contact_sheet,
    generate_orchard,
    mask_boxes,
    orchard_contact_sheet,
    plan_orchard,
    read_boxes,
)

__all__ = [
    "CONDITIONS",
    "CONDITION_NAMES",
    "DEFAULT_SIZE",
    "METADATA_COLUMNS",
    "OrchardReport",
    "contact_sheet",
    "generate_orchard",
    "mask_boxes",
    "orchard_contact_sheet",
    "plan_orchard",
    "read_boxes",
]
