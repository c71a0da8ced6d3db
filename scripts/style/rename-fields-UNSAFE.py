"""Renames private fields IDE1006 reports (name -> _name) in the file that declares them; driven by build output."""
import re, sys, collections
errs = collections.defaultdict(set)
for line in open(sys.argv[1]):
    m = re.match(r'(/[^(]+)\((\d+),(\d+)\): error IDE1006: Naming rule violation: Missing prefix', line)
    if m:
        errs[m.group(1)].add((int(m.group(2)), int(m.group(3))))
for path, spots in errs.items():
    lines = open(path).read().split('\n')
    names = set()
    for ln, col in spots:
        m = re.match(r'[A-Za-z_]\w*', lines[ln - 1][col - 1:])
        names.add(m.group(0))
    s = '\n'.join(lines)
    for name in sorted(names):
        # code, not strings or member access of other objects; `this.name` becomes `_name`
        s = re.sub(rf'\bthis\.{name}\b', '_' + name, s)
        s = re.sub(rf'(?<![\.\w"$]){name}\b(?!")', '_' + name, s)
    open(path, 'w').write(s)
    print(path.split('/')[-1], sorted(names))
