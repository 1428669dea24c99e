"""`patchscope replay FLOW`: run a hotplug flow on the semantic model at one stage (or
every stage) of a series and print the observables, the trace and the findings."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN
from patchscope.ingest.manifest import DEFAULT_SERIES


def main(args: argparse.Namespace) -> int:
    from patchscope.model.memory_hotplug.config import ModelInputError
    from patchscope.model.memory_hotplug.flows import (
        flow_named,
        parse_params,
        replay,
        replay_all,
        with_defaults,
    )
    from patchscope.model.memory_hotplug.kconfig import read_kconfig
    from patchscope.model.memory_hotplug.stages import model_name, series_model
    from patchscope.pipeline import load_series

    flow = flow_named(args.flow)
    kconfig = read_kconfig(args.kconfig) if args.kconfig else None
    if kconfig and args.arch and args.arch != kconfig.arch:
        raise ModelInputError(f"--arch {args.arch}, but the --kconfig file is for {kconfig.arch}")
    given = {
        "arch": args.arch or (kconfig and kconfig.arch),
        "size": args.size,
        "start": args.start,
        "block_size": args.block_size,
        "driver": args.driver,
        "chunk": args.chunk,
        "config": args.config,
    }
    params = parse_params(**given)
    if kconfig:  # the file first, so that --config overrides it
        params = dataclasses.replace(params, config=kconfig.options + params.config)
    params = with_defaults(flow, params, [k for k, v in given.items() if v])
    source = args.series or str(DEFAULT_SERIES)
    series = load_series(source, offline=args.offline)
    stages = series_model(series, model_name(source))
    if args.all_stages:
        documents = replay_all(flow, params, stages)
    else:
        documents = [replay(flow, params, stages, stage=args.stage).to_json()]
    if kconfig:
        documents = [{**document, "kconfig": kconfig.to_json()} for document in documents]
    if args.json:
        write_json(documents if args.all_stages else documents[0])
    else:
        for document in documents:
            _print(document)
    return EXIT_CLEAN


def _print(document: Mapping[str, Any]) -> None:
    out = sys.stdout
    out.write(f"{document['flow']} on {document['arch']} at stage {document['stage']}\n")
    if "kconfig" in document:
        kconfig = document["kconfig"]
        read = " ".join(f"{key}={'y' if on else 'n'}" for key, on in kconfig["read"].items())
        out.write(f"kconfig {kconfig['path']}: {read}; {len(kconfig['ignored'])} ignored\n")
    out.write("observables:\n")
    out.writelines(f"  {key}: {value}\n" for key, value in document["observables"].items())
    if "delta" in document:
        out.write("delta against the previous stage:\n")
        out.writelines(f"  {key}: {a} -> {b}\n" for key, (a, b) in document["delta"].items())
    out.write("steps:\n")
    for step in document["steps"]:
        changes = ", ".join(f"{key} {value:+}" for key, value in step["delta"].items())
        out.write(f"  {step['step']}: {changes or 'no counter changed'}\n")
    out.write(f"trace ({len(document['trace'])} calls):\n")
    out.writelines(
        f"  [{t['step']}] {'  ' * t['depth']}{t['function']}({t['args']})\n"
        for t in document["trace"]
    )
    out.write(f"findings ({len(document['findings'])}):\n")
    out.writelines(f"  {f['rule']}: {f['message']}\n" for f in document["findings"])
