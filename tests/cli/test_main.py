import subprocess
import sys


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys; from alpick.cli.main import app; from typer.testing import CliRunner;"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(app, ['train', '--help']); assert r.exit_code == 0, r.output;"
        "bad = [m for m in ('torch', 'torchvision', 'matplotlib', 'numpy') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_alpick_is_light() -> None:
    code = "import sys, alpick; assert 'torch' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "alpick", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("alpick ")
