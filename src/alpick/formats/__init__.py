"""Label, prediction and embedding formats: one module per format, free functions."""

from alpick.formats.detections import Classes, Detections, xywh_to_xyxy, xyxy_to_xywh

__all__ = ["Classes", "Detections", "xywh_to_xyxy", "xyxy_to_xywh"]
