using System.Text;
using System.Text.RegularExpressions;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// A file glob: <c>*</c> and <c>?</c> within one path segment, <c>**</c> across segments, <c>[abc]</c> sets.
/// Matching is ordinal and case-sensitive on '/' separated relative paths.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Regex regex;

    public GlobPattern(string pattern)
    {
        Pattern = pattern.Replace('\\', '/');
        regex = new Regex("^" + ToRegex(Pattern) + "$", RegexOptions.CultureInvariant);
        MatchesFileNameOnly = !Pattern.Contains('/');
    }

    public string Pattern { get; }

    /// <summary>A pattern without '/' is matched against the file name, as <c>find -name</c> does.</summary>
    public bool MatchesFileNameOnly { get; }

    public static bool HasWildcards(string text) => text.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>True when <paramref name="relativePath"/> ('/' separated) matches.</summary>
    public bool IsMatch(string relativePath)
    {
        string subject = MatchesFileNameOnly ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath;
        return regex.IsMatch(subject);
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        sb.Append("(?:.*/)?"); // "**/" : zero or more whole segments
                    }
                    else
                    {
                        sb.Append(".*");
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    int close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    string set = pattern[(i + 1)..close];
                    if (set.StartsWith('!'))
                    {
                        set = "^" + set[1..];
                    }

                    sb.Append('[').Append(set.Replace(@"\", @"\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.ToString();
    }
}
