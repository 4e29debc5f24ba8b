#!/usr/bin/env python3
"""checksrc: source rules the compiler does not check (curl checksrc.pl).

- banned functions (lib/util/include/util/banned.h) never called
- no system()/popen() anywhere (no shell between jobctl and a task)
- no // comments, no tabs, no trailing whitespace in C files
- every .c/.h starts with a comment saying what it is for
- lib/ never includes orchestrator/ or tasks/ headers; tasks never include
  orchestrator headers (DESIGN.md section 1 dependency direction)
Prints file:line: message; exit 1 on any finding.
"""
import os
import re
import sys

BANNED = ["strcpy", "strcat", "strncpy", "sprintf", "vsprintf", "strtok",
          "gets", "atoi", "atol", "atof", "localtime", "gmtime", "ctime",
          "asctime", "system", "popen", "mktemp", "tmpnam"]
CALL = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")
ORCH_HDRS = ("jobctl/spec.h", "jobctl/run.h", "jobctl/store.h", "store/",
             "core/", "exec/", "http/", "api/", "client/", "daemon/", "cli/")


def strip_strings(line):
    return re.sub(r'"(\\.|[^"\\])*"', '""', line)


def check(path, rel, out):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if not lines[0].startswith("/*"):
        out.append(f"{rel}:1: file must start with a comment saying what it is for")
    in_comment = False
    for i, raw in enumerate(lines, 1):
        if "\t" in raw:
            out.append(f"{rel}:{i}: tab character")
        if raw.rstrip() != raw:
            out.append(f"{rel}:{i}: trailing whitespace")
        line = strip_strings(raw)
        code = ""
        j = 0
        while j < len(line):
            if in_comment:
                k = line.find("*/", j)
                if k < 0:
                    j = len(line)
                else:
                    in_comment = False
                    j = k + 2
            else:
                k = line.find("/*", j)
                if k < 0:
                    code += line[j:]
                    j = len(line)
                else:
                    code += line[j:k]
                    in_comment = True
                    j = k + 2
        if "//" in code and "://" not in code:
            out.append(f"{rel}:{i}: use /* */ comments")
        if rel.endswith("banned.h"):
            continue
        m = CALL.search(code)
        if m:
            out.append(f"{rel}:{i}: banned function '{m.group(1)}'")
        inc = re.match(r'\s*#\s*include\s*"([^"]+)"', code)
        if inc:
            h = inc.group(1)
            if rel.startswith("lib/") and h.startswith(ORCH_HDRS):
                out.append(f"{rel}:{i}: lib/ must not include '{h}'")
            if rel.startswith("tasks/") and h.startswith(ORCH_HDRS):
                out.append(f"{rel}:{i}: tasks must not include '{h}'")


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    out = []
    for d in ("lib", "orchestrator", "tasks", "tests/unit", "tests/fuzz",
              "tests/support"):
        for root, _, files in os.walk(os.path.join(top, d)):
            if "node_modules" in root:
                continue
            for fn in sorted(files):
                if fn.endswith((".c", ".h")):
                    p = os.path.join(root, fn)
                    check(p, os.path.relpath(p, top), out)
    for line in out:
        print(line)
    print(f"checksrc: {len(out)} finding(s)")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
