"""The layers hold: every import-linter contract in setup.cfg is kept."""

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    contracts = [name for name in config.sections() if name.startswith("importlinter:contract:")]
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "setup.cfg")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts)} kept, 0 broken" in result.stdout, result.stdout
