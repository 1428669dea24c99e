"""Time the three kernel scenarios of tests/kernel under TCG, booted side by side.

Run by hand from the repository's top, never by pytest: `python -m bench.kernel
[--rounds K] [--sequential]`. Needs what tests/kernel needs (QEMU, busybox-static, the
kernel .ci/run unpacks, or PATCHSCOPE_KERNEL). Each round boots one guest per scenario
under TCG (never KVM: the target is for TCG), runs its flow and the model's replay, and
prints each guest's boot and flow time and the round's wall time (target: within 90 s
for all three on 2 cores). The load average before each round is printed beside it: on
a shared machine the neighbours' work is in every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from patchscope.kernel import image
from patchscope.kernel.scenario import check
from tests.kernel.conftest import SCENARIOS, missing

TARGET_SECONDS = 90.0


def one_round(sequential: bool) -> float:
    kernel = image.default_kernel()
    assert kernel is not None
    began = time.monotonic()
    groups = [[s] for s in SCENARIOS.values()] if sequential else [list(SCENARIOS.values())]
    comparisons = [c for group in groups for c in check(kernel, group, accel="tcg")]
    wall = time.monotonic() - began
    for name, c in zip(SCENARIOS, comparisons, strict=True):
        verdict = "agrees" if c.agree else f"{len(c.model_bugs)} model bugs"
        print(
            f"  {name:18} boot {c.boot_seconds:5.1f} s  flow {c.seconds - c.boot_seconds:5.1f} s"
            f"  boots {c.boots}  {len(c.rows)} rows, {verdict}"
        )
    return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--sequential", action="store_true", help="one guest at a time")
    args = parser.parse_args(argv)
    reason = missing()
    if reason is not None:
        print(f"bench/kernel: {reason}", file=sys.stderr)
        return 2
    walls = []
    for n in range(1, args.rounds + 1):
        print(f"round {n} (load average {os.getloadavg()[0]:.2f}):")
        walls.append(one_round(args.sequential))
        print(f"  wall {walls[-1]:.1f} s")
    median = statistics.median(walls)
    mark = "within" if median <= TARGET_SECONDS else "OVER"
    print(
        f"median wall {median:.1f} s for {len(SCENARIOS)} scenarios: {mark} {TARGET_SECONDS:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
