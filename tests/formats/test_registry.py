import subprocess
import sys

import alpick.formats
from alpick.formats import labels_dir, registry


def test_labels_dir_dispatches_on_the_registry_names() -> None:
    assert labels_dir.LABEL_FORMATS is registry.LABEL_FORMATS
    assert labels_dir.PREDICTION_FORMATS is registry.PREDICTION_FORMATS
    assert alpick.formats.LABEL_FORMATS == ("kitti", "coco", "yolo", "voc")


def test_every_exported_name_resolves() -> None:
    for name in alpick.formats.__all__:
        assert getattr(alpick.formats, name) is not None, name
    assert set(dir(alpick.formats)) >= set(alpick.formats.__all__)


def test_the_registry_does_not_load_numpy() -> None:
    code = (
        "import sys; from alpick.formats.registry import LABEL_FORMATS;"
        "assert 'numpy' not in sys.modules, 'numpy'; assert LABEL_FORMATS"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
