using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The outputs a job will write, checked against its inputs and each other before any work, and claimed
/// with an exclusive lock for the length of the job. Rules (on canonical paths, symbolic links resolved):
/// no output equals an input or another output; an output folder contains no input and no other output.
/// An output folder below an input folder is left out of the input listing (see <see cref="Folders"/>).
/// </summary>
internal sealed class JobOutputs
{
    private readonly List<(string Option, string Written, string Canonical, bool IsFolder)> _outputs = [];

    /// <summary>The canonical paths of the output folders, to leave out of input listings.</summary>
    public IReadOnlyCollection<string> Folders =>
        _outputs.Where(o => o.IsFolder).Select(o => o.Canonical).ToHashSet(CanonicalPath.Comparer);

    /// <summary>Adds an output file (ignored when <paramref name="path"/> is null: an option not given).</summary>
    public JobOutputs File(string option, string? path) => Add(option, path, isFolder: false);

    /// <summary>Adds an output folder.</summary>
    public JobOutputs Folder(string option, string? path) => Add(option, path, isFolder: true);

    /// <summary>Checks the outputs against each other and against the inputs; a usage error (exit 2) names the clash.</summary>
    public void Check(IEnumerable<(string Display, string FullPath)> inputs)
    {
        for (var i = 0; i < _outputs.Count; i++)
        {
            for (var j = 0; j < _outputs.Count; j++)
            {
                var (a, b) = (_outputs[i], _outputs[j]);
                if (i < j && string.Equals(a.Canonical, b.Canonical, CanonicalPath.Comparison))
                {
                    throw CliException.Usage($"{b.Option} '{b.Written}' is the same path as {a.Option} '{a.Written}'; give each output its own path.");
                }

                if (i != j && a.IsFolder && !string.Equals(a.Canonical, b.Canonical, CanonicalPath.Comparison) && CanonicalPath.IsSameOrUnder(b.Canonical, a.Canonical))
                {
                    throw CliException.Usage($"{b.Option} '{b.Written}' lies inside the output folder {a.Option} '{a.Written}'; put it elsewhere.");
                }
            }
        }

        var parents = new Dictionary<string, string>(CanonicalPath.Comparer);
        foreach ((var display, var fullPath) in inputs)
        {
            var input = CanonicalFile(fullPath, parents);
            foreach (var output in _outputs)
            {
                if (string.Equals(input, output.Canonical, CanonicalPath.Comparison))
                {
                    throw CliException.Usage($"{output.Option} '{output.Written}' is the input '{display}'; writing it would destroy the input. Choose another output path.");
                }

                if (output.IsFolder && CanonicalPath.IsSameOrUnder(input, output.Canonical))
                {
                    throw CliException.Usage($"the output folder {output.Option} '{output.Written}' contains the input '{display}'; its outputs could replace inputs. Choose a folder outside the inputs.");
                }
            }
        }
    }

    /// <summary>Checks (see <see cref="Check"/>), then takes the job's exclusive lock at <paramref name="lockPath"/>.</summary>
    public JobLock Claim(IEnumerable<(string Display, string FullPath)> inputs, string lockPath)
    {
        Check(inputs);
        return JobLock.Acquire(lockPath, _outputs.Count > 0 ? _outputs[0].Written : lockPath);
    }

    public JobLock Claim(IEnumerable<InputItem> inputs, string lockPath) =>
        Claim(inputs.Select(i => (i.DisplayPath, i.FullPath)), lockPath);

    // Files are many and share few folders: resolve each folder once, then only the file's own name.
    private static string CanonicalFile(string fullPath, Dictionary<string, string> parents)
    {
        var parent = Path.GetDirectoryName(fullPath);
        if (parent is null)
        {
            return CanonicalPath.Of(fullPath);
        }

        if (!parents.TryGetValue(parent, out var canonicalParent))
        {
            canonicalParent = CanonicalPath.Of(parent);
            parents[parent] = canonicalParent;
        }

        var joined = Path.Combine(canonicalParent, Path.GetFileName(fullPath));
        return CanonicalPath.LinkTarget(joined) is null ? joined : CanonicalPath.Of(joined);
    }

    private JobOutputs Add(string option, string? path, bool isFolder)
    {
        if (path is not null)
        {
            _outputs.Add((option, path, CanonicalPath.Of(path), isFolder));
        }

        return this;
    }
}
