#!/usr/bin/env bash
# Seeds the evtx_chunk target with the chunks of the shared EVTX files (third-party data
# stays in ../shared: the seeds are made here, not committed).
set -euo pipefail
cd "$(dirname "$0")"
out=corpus/evtx_chunk
mkdir -p "$out"
python3 - "$out" ../../shared/data <<'PY'
import pathlib, sys
out, data = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for f in sorted(data.rglob("*.evtx"))[:40]:
    b = f.read_bytes()
    for off in range(4096, len(b) - 65535, 65536):
        c = b[off:off + 65536]
        if c[:8] == b"ElfChnk\0":
            (out / f"shared-{n}").write_bytes(c)
            n += 1
            break
print(f"{n} chunks", file=sys.stderr)
PY
