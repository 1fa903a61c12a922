#!/usr/bin/env python3
"""Read the machine code C2 emits without hsdis, and count the instructions of its loops.

  jitdis.py LOG Class::method       disassemble the last C2 nmethod of Class::method that LOG holds
  jitdis.py --loops LISTING         per loop of an objdump/gdb listing (this script's output too): instructions,
                                    vector-register instructions, 512-bit ones, and the int8/int16 dot instructions
  jitdis.py --inlining XML method   per C2 compile of method (e.g. Block32Kernels::dotQ4_0) in a -XX:+LogCompilation
                                    file: inlined calls, failed ones by reason, late inlines, Vector API intrinsics

LOG is the stdout of a JVM run with -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,Class::method: without
the hsdis plugin, PrintAssembly prints each nmethod's [MachCode] as hex words, which binutils' objdump decodes at
their original addresses (jump targets stay readable). A loop is the range from a backward jump's target to the jump.
See docs/PERFORMANCE.md, "Why decode cannot reach llama.cpp on JDK 25".
"""
import re
import subprocess
import sys
import tempfile

HEADER = re.compile(r"^Compiled method \((c1|c2)\)\s.*\s(\S+::\S+)( @ \d+)? \(\d+ bytes\)")
CODE = re.compile(r"^\s*0x([0-9a-f]+):\s+([0-9a-f| ]+)$")
INSN = re.compile(r"^\s+(?:0x)?([0-9a-f]+)(?: <\+\d+>)?:\t(.*)")


def machine_code(log, method):
    """(start address, bytes) of the last non-OSR C2 nmethod of `method` in a PrintAssembly log."""
    found, cur, in_code = None, None, False
    with open(log, errors="replace") as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                cur = None
                if m.group(1) == "c2" and m.group(2) == method and not m.group(3):
                    cur = found = {"start": None, "bytes": bytearray()}
                in_code = False
                continue
            if cur is None:
                continue
            if line.startswith("[MachCode]"):
                in_code = True
            elif line.startswith(("[/MachCode]", "[Stub Code]", "=====")):
                in_code = False
            elif in_code:
                m = CODE.match(line.rstrip("\n"))
                if m:
                    addr = int(m.group(1), 16)
                    if cur["start"] is None:
                        cur["start"] = addr
                    if addr != cur["start"] + len(cur["bytes"]):
                        sys.exit(f"{log}: gap in the code of {method} at {addr:#x}")
                    cur["bytes"] += bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
    if found is None or found["start"] is None:
        sys.exit(f"{log}: no C2 code of {method} (was it run with -XX:CompileCommand=print,{method}?)")
    return found["start"], bytes(found["bytes"])


def disassemble(log, method):
    start, code = machine_code(log, method)
    with tempfile.NamedTemporaryFile(suffix=".bin") as t:
        t.write(code)
        t.flush()
        print(f"# C2 code of {method}: {len(code)} bytes at {start:#x}", flush=True)
        subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", f"--adjust-vma={start:#x}",
                        "--no-show-raw-insn", t.name], check=True)


def loops(listing):
    insns = []
    with open(listing) as f:
        for line in f:
            m = INSN.match(line.rstrip("\n"))
            if m:
                insns.append((int(m.group(1), 16), m.group(2).strip()))
    index = {a: i for i, (a, _) in enumerate(insns)}
    for i, (a, text) in enumerate(insns):
        m = re.match(r"j\w+\s+(?:0x)?([0-9a-f]+)", text)
        if not m or int(m.group(1), 16) >= a or int(m.group(1), 16) not in index:
            continue
        body = [t for _, t in insns[index[int(m.group(1), 16)]:i + 1]]
        vec = [t for t in body if re.search(r"%[xyz]mm", t)]
        count = {k: sum(k in t for t in body) for k in ("vpdpbusd", "vpdpwssd", "vpmaddubsw", "vpmaddwd", "vfmadd")}
        print(f"loop {int(m.group(1), 16):#x}..{a:#x}: {len(body)} instructions, {len(vec)} on vector registers "
              f"({sum('%zmm' in t for t in vec)} 512-bit), "
              + ", ".join(f"{k} {v}" for k, v in count.items()))


def inlining(xml, method):
    holder, name = method.rsplit("::", 1)
    text = open(xml, errors="replace").read()
    for m in re.finditer(r"<task ([^>]*)>(.*?)</task>", text, re.S):
        attrs, body = m.group(1), m.group(2)
        if f" {name} " not in attrs.replace("/", ".").replace("'", " ") or holder.split(".")[-1] not in attrs:
            continue
        if "osr_bci" in attrs or ("level=" in attrs and "level='4'" not in attrs):
            continue
        reasons = {}
        for r in re.findall(r"<inline_fail reason='([^']*)'", body):
            reasons[r] = reasons.get(r, 0) + 1
        intrinsics = {}
        for r in re.findall(r"<intrinsic id='(_Vector\w+)'", body):
            intrinsics[r] = intrinsics.get(r, 0) + 1
        cid = re.search(r"compile_id='(\d+)'", attrs).group(1)
        print(f"C2 compile {cid} of {method}: {body.count('<inline_success')} inlined, "
              f"{sum(reasons.values())} not inlined at parse {reasons or ''}, "
              f"{body.count('<late_inline')} late inlines, Vector API intrinsics {intrinsics}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--loops":
        loops(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--inlining":
        inlining(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        disassemble(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
