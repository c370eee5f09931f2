from __future__ import annotations

import subprocess
import sys


def test_main_freezes_the_heap_before_the_process_ends() -> None:
    code = (
        "import gc, sys\n"
        "from opsbook.cli.app import main\n"
        "sys.argv = ['opsbook', '--version']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, gc.get_freeze_count() > 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[-2] == "0 True", done.stdout + done.stderr
