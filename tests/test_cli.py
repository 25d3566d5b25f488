"""The `roman-lab` command line and the `%roman` magics, run as a user would."""

import subprocess
import sys

import pytest
from IPython.testing.globalipapp import start_ipython

import roman_lab


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "roman_lab.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_help_names_the_demo():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_cli_demo_refuses_a_folder_under_a_file(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("demo", str(blocker / "demo"), "--small", "--no-launch")
    assert result.returncode == 2
    assert result.stderr.startswith("roman-lab demo: ")
    assert "Traceback" not in result.stderr
    assert str(blocker) in result.stderr


def test_cli_demo_refuses_a_file_as_folder(tmp_path):
    blocker = tmp_path / "demo-data"
    blocker.write_text("not a folder")
    result = run_cli("demo", str(blocker), "--small", "--no-launch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def ipython():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "roman_lab")
    return shell


def test_magic_version(ipython, capsys):
    ipython.run_line_magic("roman", "version")
    assert capsys.readouterr().out.strip() == f"roman-lab {roman_lab.__version__}"


def test_magic_unknown_subcommand_is_one_clear_line(ipython, capsys):
    ipython.run_line_magic("roman", "nonsense")
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["%roman: unknown subcommand 'nonsense'; try `%roman help`"]


def test_magic_demo_needs_a_folder(ipython, capsys):
    ipython.run_line_magic("roman", "demo")
    assert capsys.readouterr().out.strip() == "%roman: usage: %roman demo DIR [--small]"
