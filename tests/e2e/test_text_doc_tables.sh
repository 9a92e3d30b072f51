# docs/text-format.md lists every keyword (with its signature and kind)
# and every record's fields (offset, name, type); a reader written from
# the docs relies on them.  psftool is the code's word: each documented
# signature, written raw, must dump as its documented keyword and kind,
# and each record of the documented size must dump the documented
# fields in order, flag fields with names and integer `flags` in decimal.
echo "== text-format.md tables agree with the code (psftool)"
python3 - "$ROOT/docs/text-format.md" "$PSFTOOL" "$WORK" > "$WORK/tables.out" 2>&1 <<'EOF'
import re, subprocess, sys
doc, tool, work = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]

def run(text):
    open(work + '/t.txt', 'w').write(text)
    subprocess.run([tool, 'compile', work + '/t.txt', '-o', work + '/t.bin'],
                   check=True)
    return subprocess.run([tool, 'dump', work + '/t.bin'], check=True,
                          capture_output=True, text=True).stdout

rows = re.findall(r'^\| `([a-z-]+)` \| `(0x[0-9a-f]{8})` \| ([^|]+?) \|', doc, re.M)
print('keywords', len(rows))
items = [r for r in rows if r[0] not in ('root', 'pad')]
body = []
for kw, sig, kind in items:
    if int(sig, 16) & 0x80000000:
        body.append('@%s { }' % sig)
    elif kind.startswith('list'):
        n = int(re.search(r'(\d+)-byte', kind).group(1))
        body.append('@%s = [%s];' % (sig, ' 01' * n))
    else:  # string; records are checked below
        body.append('@%s = [41];' % sig)
out = run('psf 1.0 schema 1 flags 0x0;\nroot {\n%s\n}\n' % '\n'.join(
    b for b, r in zip(body, items) if r[2] != 'record'))
top = [l.strip() for l in out.splitlines() if re.match(r'^\t[^\t}]', l)]
for (kw, sig, kind), line in zip([r for r in items if r[2] != 'record'], top):
    want = {'container': kw + ' { }', 'string': kw + ' = "A";'}.get(kind)
    ok = line == want if want else line.startswith(kw + ' = ') and '[' not in line
    print('%s %s %s: %s' % ('ok' if ok else 'BAD', kw, sig, line))

widths = {'UUID (16)': 16, 'MAC (6)': 6, 'enum u8': 1, 'flags u8': 1}
for name, size, table in re.findall(
        r'^`([a-z-]+)` \((\d+) bytes\):\n\n\|.*\n\|.*\n((?:\|.*\n)+)', doc, re.M):
    fields = re.findall(r'^\| (\d+) \| `([a-z-]+)` \| ([^|]+?) \|', table, re.M)
    sig = dict((k, s) for k, s, _ in rows)[name]
    end = 0
    for off, f, t in fields:
        w = widths.get(t) or int(re.search(r'u(\d+)', t).group(1)) // 8
        ok = int(off) == end
        end = int(off) + w
        print('%s %s.%s at %s' % ('ok' if ok else 'BAD', name, f, off))
    print('%s %s: %s bytes' % ('ok' if end == int(size) else 'BAD', name, size))
    out = run('psf 1.0 schema 1 flags 0x0;\nroot {\n@%s = [%s];\n}\n'
              % (sig, ' ff' * int(size)))
    got = [l.strip().split(' = ')[0] for l in out.splitlines()
           if re.match(r'^\t\t[a-z]', l)]
    want = [f for _, f, _ in fields]
    print('%s %s fields %s' % ('ok' if got == want else 'BAD', name, got))
    for _, f, t in fields:
        if f != 'flags':
            continue
        line = [l for l in out.splitlines() if l.strip().startswith('flags =')][0]
        named = '|' in line or re.search(r'= [a-z]', line)
        isint = re.search(r'= \d+;', line)
        ok = (named and t == 'flags u8') or (isint and '(integer)' in t)
        print('%s %s.flags %s: %s' % ('ok' if ok else 'BAD', name, t,
                                       line.strip()))
EOF
rc=$?
if [ $rc -ne 0 ]; then fail "table check did not run: $(tail -3 "$WORK/tables.out")"
elif grep -q '^BAD' "$WORK/tables.out"; then
    fail "text-format.md disagrees with the code: $(grep '^BAD' "$WORK/tables.out" | head -5)"
else
    pass "text-format.md: $(grep -c '^ok' "$WORK/tables.out") table entries agree with psftool ($(head -1 "$WORK/tables.out"))"
fi
