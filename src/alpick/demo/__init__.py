"""``alpick demo``: the whole loop on a generated orchard, and its report (the top layer)."""
