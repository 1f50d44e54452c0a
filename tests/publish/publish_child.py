"""A separate process for the publish tests (fcntl locks are per process, so readers and
rival loaders must live in another process). Talks over stdin/stdout, one line at a time.

    publish_child.py hold <snapshot file>   open read-only; answer "read" with count,min,max of t
    publish_child.py current <home>         like hold, on the home's current snapshot
    publish_child.py lock <home>            hold writer_lock until stdin closes or says "exit"
    publish_child.py build <home>           begin from current and write to the build until killed
    publish_child.py readwrite <file>       try a read-write open; print "ok" or the error
"""

from __future__ import annotations

import json
import sys
from datetime import date

from warehouse import duck
from warehouse.config import home
from warehouse.publish import SnapshotStore, writer_lock


def say(*parts: object) -> None:
    print(*parts, flush=True)


def serve(con: object) -> None:
    say("ready")
    for line in sys.stdin:
        command = line.strip()
        if command == "read":
            count, low, high = con.execute("SELECT count(*), min(v), max(v) FROM t").fetchone()
            say(json.dumps([count, low, high]))
        elif command == "exit":
            break


def main(command: str, target: str) -> None:
    if command == "hold":
        serve(duck.connect(target, read_only=True))
    elif command == "current":
        serve(SnapshotStore(home(target)).connect())
    elif command == "lock":
        with writer_lock(home(target)):
            say("locked")
            sys.stdin.readline()
    elif command == "build":
        store = SnapshotStore(home(target))
        build = store.begin(date(2026, 1, 2), store.current())
        con = duck.connect(build.path)
        con.execute("UPDATE t SET v = 'half-built'")
        con.execute("INSERT INTO t SELECT 'half-built', range FROM range(1000)")
        say("writing", build.path)
        while True:
            con.execute("INSERT INTO t SELECT 'half-built', range FROM range(20000)")
    elif command == "readwrite":
        try:
            duck.connect(target).close()
            say("ok")
        except Exception as exc:
            say("error:", str(exc).splitlines()[0])
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
