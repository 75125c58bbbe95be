"""Everything NVIDIA TLT/TAO: the spec model, parser and writer, the YOLOv4 spec built from the
data, anchors, launcher mounts and commands, and the default spec template."""
