"""The launcher (aeonnx_training.launch): both spellings of torchrun's options, the training script's own
options left alone. A real two-process run with the dashed spelling is in tests/deploy (multi-node)."""
import subprocess
import sys

import pytest
from torch.distributed.run import get_args_parser

from aeonnx_training.launch import normalize_options
from conftest import SCRIPTS

PARSER = get_args_parser()
# every long option of this torch's torchrun with an underscore (torch 1.13: --nproc_per_node, --node_rank, ...)
UNDERSCORED = sorted({o for a in PARSER._actions for o in a.option_strings if o.startswith("--") and "_" in o})
ACTIONS = {o: a for a in PARSER._actions for o in a.option_strings}


def _known_spelling(option: str) -> str:
    known = {o for a in PARSER._actions for o in a.option_strings}
    return option if option in known else option.replace("_", "-")


def test_this_torch_has_underscored_options_to_check():
    assert "--nproc_per_node" in UNDERSCORED or "--nproc-per-node" in {
        o for a in PARSER._actions for o in a.option_strings
    }
    assert len(UNDERSCORED) >= 5, UNDERSCORED


@pytest.mark.parametrize("option", UNDERSCORED)
@pytest.mark.parametrize("spelling", ["underscore", "dash"])
def test_each_spelling_of_each_option_reaches_torchrun_as_an_option_it_knows(option, spelling):
    given = option if spelling == "underscore" else "--" + option[2:].replace("_", "-")
    action = ACTIONS[option]
    value = [] if action.nargs == 0 else [str(action.choices[-1]) if action.choices else "7"]
    argv = [given, *value, "train.py", "--batch-size", "16"]
    out = normalize_options(argv, PARSER)
    assert out == [_known_spelling(option), *value, "train.py", "--batch-size", "16"]
    # and torch's own parser takes it: the value lands in the option's dest, the script is the script
    parsed = PARSER.parse_args(out)
    assert parsed.training_script == "train.py" and parsed.training_script_args == ["--batch-size", "16"]
    expected = True if not value else action.type(value[0]) if action.type else value[0]
    assert getattr(parsed, action.dest) == expected


def test_the_equals_form_and_the_scripts_options_are_kept_apart():
    argv = [
        "--standalone",
        "--nproc-per-node=2",
        "--max-restarts",
        "0",
        "train.py",
        "--nproc-per-node",
        "x",
        "--out-dir=runs/a",
    ]
    out = normalize_options(argv, PARSER)
    assert out[:4] == [
        "--standalone",
        _known_spelling("--nproc_per_node") + "=2",
        _known_spelling("--max_restarts"),
        "0",
    ]
    assert out[4:] == ["train.py", "--nproc-per-node", "x", "--out-dir=runs/a"]  # the script's, untouched
    parsed = PARSER.parse_args(out)
    assert parsed.nproc_per_node == "2" and parsed.max_restarts == 0


def test_a_module_run_keeps_the_modules_options():
    out = normalize_options(["--nnodes", "1", "-m", "aeonnx_training.train", "--node-rank", "3"], PARSER)
    assert out == [_known_spelling("--nnodes"), "1", "-m", "aeonnx_training.train", "--node-rank", "3"]


def test_an_unknown_option_reaches_torchrun_unchanged_and_torchrun_refuses_it():
    r = subprocess.run(
        [sys.executable, "-m", "aeonnx_training.launch", "--nproc-per-nod=2", "train.py"],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert "--nproc-per-nod=2" in r.stderr, r.stderr
