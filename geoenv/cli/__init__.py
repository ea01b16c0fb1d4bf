"""The ``geoenv`` command: a thin layer over the library (parse, call, write, report).

One module per family of commands; importing one registers its commands on :data:`main`.
A command's module is imported when the command runs (``geoenv network navigate`` does not
pay for the maps' or the registers' imports); listing the commands imports them all.
"""

from __future__ import annotations

import importlib

import click

from geoenv.cli.base import main

#: The modules of commands, in the order their commands were first registered.
MODULES = ("investigate", "maps", "network", "registers", "emergency", "dossier", "compensation")
#: Where each command is defined, for the commands worth starting fast; any other name
#: imports every module first.
COMMAND_MODULES = {
    "trace": "investigate", "impact": "investigate", "crossings": "investigate", "report": "investigate",
    "demo": "maps", "map": "maps", "network": "network", "relations": "network",
    "compensation": "compensation",
    "validate": "registers", "join": "registers", "classify": "registers", "info": "registers",
    "emergency": "emergency",
    "dossier": "dossier",
}  # fmt: skip


def _import(*modules: str) -> None:
    for module in modules:
        importlib.import_module(f"geoenv.cli.{module}")


class _LazyGroup(type(main)):  # type: ignore[misc]  # the group's class, whatever base defines
    """:data:`main`, importing a command's module only when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _import(*MODULES)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = COMMAND_MODULES.get(cmd_name)
            _import(*((module,) if module else MODULES))
        return super().get_command(ctx, cmd_name)


main.__class__ = _LazyGroup

__all__ = ["main"]
