"""C# fixes dotnet format cannot make (IDE1006 in tests; var where the explicit type mattered). Idempotent."""
import re, glob
def edit(path, fn):
    s = open(path).read(); t = fn(s)
    if t != s: open(path, 'w').write(t); print('fixed', path)
def rename_fields(s):
    for name in ('model', 'temp'):
        if re.search(rf'private readonly \w+ {name}\b', s):
            s = re.sub(rf'(?<![\.\w"\'\[]){name}\b(?!")', '_' + name, s)
            s = re.sub(rf'(?<=\[){name}\b(?=[\.\[,\]])', '_' + name, s)
    return s
for f in glob.glob('tests/**/*.cs', recursive=True):
    if '/bin/' in f or '/obj/' in f: continue
    pass  # fields: renamed with Roslyn (semantic), not by text
edit('tests/AeOnnx.Cli.Tests/Commands/ProcessTests.cs', lambda s: re.sub(r'\bCopies\b', 'copies', s))
edit('tests/AeOnnx.Tests/Support/ApiLeaks.cs', lambda s: s.replace('const BindingFlags Public =', 'const BindingFlags publicMembers =').replace('(Public)', '(publicMembers)'))
edit('tests/AeOnnx.Cli.Tests/Commands/ReconstructAndDecodeTests.cs', lambda s: s.replace('using Image reference = ImageSharpInterop', 'using var reference = ImageSharpInterop').replace('.Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;', '.Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();'))
edit('tests/AeOnnx.ML.Tests/SavedPipelineHostileTests.cs', lambda s: s.replace('        JsonNode? node = root;', '        var node = (JsonNode?)root;'))
edit('.editorconfig', lambda s: s if 'dotnet_diagnostic.IDE1006.severity' in s else s.replace('\n[tests/**.cs]', '# naming rules (private fields _camel, ...) fail the build like the other :warning rules\ndotnet_diagnostic.IDE1006.severity = warning\n\n[tests/**.cs]', 1))
