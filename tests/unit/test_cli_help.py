"""Issue 16 (Operators): every `rps` command's -h says what it does, its arguments and an example;
`rps rebuild -h` lists the read models it accepts."""

from __future__ import annotations

import argparse

import pytest

from services import cli
from services.backbone.declaration import service_names


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_help_says_what_it_does_its_arguments_and_an_example(name, capsys):
    # Issue 16: `rps serve -h`, `rps rebuild -h`, `rps report -h` described nothing beyond their choices
    with pytest.raises(SystemExit) as done:
        cli.main([name, "-h"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    described, _, rest = text.partition("\n\n")[2].partition("\n\n")
    assert len(described.split()) >= 8, f"rps {name} -h: no description:\n{text}"
    parser = _commands()[name]
    for action in parser._actions:
        if action.dest != "help":
            assert action.help, f"rps {name}: argument {action.dest} has no help"
    examples = text.partition("examples:\n")[2]
    assert f"rps {name}" in examples, f"rps {name} -h: no example:\n{text}"


def test_rebuild_help_lists_every_read_model_it_accepts(capsys):
    # Issue 16: `rps rebuild` listed no projection names
    from services.bootstrap import projection_classes

    with pytest.raises(SystemExit):
        cli.main(["rebuild", "-h"])
    text = capsys.readouterr().out
    names = [c.name for s in service_names() for c in projection_classes(s)]
    assert "reporting.settlements" in names
    assert [n for n in names if n not in text] == []
