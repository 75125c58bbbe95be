"""The synthetic orchard: MinneApple-layout detection data generated anywhere.

``generate`` writes the dataset; ``plan`` decides sequences and conditions, ``scene``,
``layout``, ``shapes``, ``paint`` and ``noise`` render a frame, ``png`` encodes it, ``sheet``
draws contact sheets. The public names are re-exported here (see ``docs/orchard.md``).
"""

from alpick.data.orchard.conditions import CONDITION_NAMES, CONDITIONS
from alpick.data.orchard.generate import (
    DEFAULT_SIZE,
    METADATA_COLUMNS,
    OrchardReport,
    generate_orchard,
    read_boxes,
)
from alpick.data.orchard.plan import plan_orchard
from alpick.data.orchard.scene import mask_boxes
from alpick.data.orchard.sheet import contact_sheet, orchard_contact_sheet

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
