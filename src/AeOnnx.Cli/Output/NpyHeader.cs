using System.Buffers.Binary;
using System.Text;

namespace AeOnnx.Cli.Output;

/// <summary>
/// The header of a <c>.npy</c> file read by NumPy's rules (<c>numpy.lib.format</c>), so that a file means
/// the same thing here as in NumPy or is refused with the reason: version 1.0, 2.0 or 3.0 exactly (a 2-
/// or 4-byte little-endian length; Latin-1 text, UTF-8 for 3.0); at most 10,000 header bytes (NumPy's
/// <c>max_header_size</c>); the header ends with a newline and the data starts on a 16-byte boundary
/// (64 since NumPy 1.14, 16 before: every NumPy writer aligns); the text is one Python dict literal with
/// exactly the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, each once (NumPy's
/// <c>literal_eval</c> would let a repeated key's last value win while a lax parser takes the first:
/// such a file is refused, never read one way or the other), a string, a bool and a tuple of
/// non-negative integers.
/// </summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape)
{
    /// <summary>NumPy's default <c>max_header_size</c>: longer headers need NumPy's explicit consent too.</summary>
    public const int MaxHeaderBytes = 10_000;

    private const int MinAlignment = 16;

    /// <summary>
    /// Reads the prefix and header from the start of <paramref name="stream"/> (of <paramref name="fileLength"/>
    /// bytes), leaving it at the first data byte.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a .npy file by NumPy's rules, with the reason.</exception>
    public static NpyHeader Read(Stream stream, long fileLength)
    {
        try
        {
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            if (!prefix[..6].SequenceEqual(IO.NpyWriter.Magic))
            {
                throw new InvalidDataException("not a .npy file (bad magic)");
            }

            int major = prefix[6], minor = prefix[7];
            if (major is not (1 or 2 or 3) || minor != 0)
            {
                throw new InvalidDataException($"unsupported .npy version {major}.{minor} (NumPy writes 1.0, 2.0 and 3.0)");
            }

            Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
            stream.ReadExactly(lengthBytes);
            long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            long prefixLength = 8 + lengthBytes.Length;

            // Sizes are checked against the file before anything is allocated: a header may claim anything.
            if (headerLength > MaxHeaderBytes || prefixLength + headerLength > fileLength)
            {
                throw new InvalidDataException($"the header claims {headerLength} bytes; the file has {fileLength - prefixLength} after the prefix (at most {MaxHeaderBytes})");
            }

            if ((prefixLength + headerLength) % MinAlignment != 0)
            {
                throw new InvalidDataException($"the data starts at byte {prefixLength + headerLength}, not on a {MinAlignment}-byte boundary (NumPy pads its header to 64 bytes, 16 before 1.14): not written by NumPy's rules");
            }

            var headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
            if (headerLength == 0 || headerBytes[^1] != (byte)'\n')
            {
                throw new InvalidDataException("the header does not end with a newline (NumPy ends it with one): not written by NumPy's rules");
            }

            string text;
            try
            {
                text = major == 3
                    ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes)
                    : Encoding.Latin1.GetString(headerBytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException("a version 3.0 header that is not UTF-8", e);
            }

            return Parse(text);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the file ends inside its header", e);
        }
    }

    /// <summary>Parses a header's text (the dict literal, with its padding).</summary>
    /// <exception cref="InvalidDataException">Not the dict NumPy writes, with the reason.</exception>
    public static NpyHeader Parse(string text) => new Parser(text).Header();

    /// <summary>A recursive-descent reader of the one Python literal a .npy header is.</summary>
    private sealed class Parser(string text)
    {
        private readonly string _text = text;
        private int _at;

        public NpyHeader Header()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            var keys = new List<string>();
            Expect('{', "a dict literal");
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    _at++;
                    break;
                }

                var key = String("a string key");
                if (keys.Contains(key, StringComparer.Ordinal))
                {
                    throw Bad($"the key '{Shorten(key)}' appears twice (NumPy would take its last value, a lax reader its first)");
                }

                keys.Add(key);
                Expect(':', "':' after a key");
                switch (key)
                {
                    case "descr":
                        SkipSpace();
                        if (Peek() is '[' or '{' or '(')
                        {
                            throw Bad("a structured dtype (descr is a list); expected a float array");
                        }

                        descr = String("descr as a string");
                        break;
                    case "fortran_order":
                        fortran = Bool();
                        break;
                    case "shape":
                        shape = Tuple();
                        break;
                    default:
                        throw Bad($"an unknown key '{Shorten(key)}'; NumPy's header has exactly descr, fortran_order and shape");
                }

                SkipSpace();
                if (Peek() == ',')
                {
                    _at++;
                    continue;
                }

                Expect('}', "',' or '}' after a value");
                break;
            }

            SkipSpace();
            if (_at != _text.Length)
            {
                throw Bad($"text after the dict: '{Shorten(_text[_at..])}'");
            }

            if (descr is null || fortran is null || shape is null)
            {
                throw Bad($"the keys are [{string.Join(", ", keys.Select(Shorten))}]; NumPy's header has exactly descr, fortran_order and shape");
            }

            return new NpyHeader(descr, fortran.Value, shape);
        }

        private long[] Tuple()
        {
            SkipSpace();
            var start = _at;
            Expect('(', "shape as a tuple");
            var cells = new List<string>();
            var trailingComma = false;
            while (true)
            {
                SkipSpace();
                if (Peek() == ')')
                {
                    _at++;
                    break;
                }

                var cell = _at;
                while (_at < _text.Length && _text[_at] is not (',' or ')') && !char.IsWhiteSpace(_text[_at]))
                {
                    _at++;
                }

                cells.Add(_text[cell.._at]);
                SkipSpace();
                trailingComma = Peek() == ',';
                if (trailingComma)
                {
                    _at++;
                    continue;
                }

                Expect(')', "',' or ')' in shape");
                break;
            }

            // "(3)" is the integer 3 in Python, not a tuple: NumPy refuses it as a shape.
            if (cells.Count == 1 && !trailingComma)
            {
                throw Bad($"shape {Shorten(_text[start.._at])} is not a tuple (a 1-D shape is written '(n,)')");
            }

            var dims = new long[cells.Count];
            for (var i = 0; i < dims.Length; i++)
            {
                // Plain non-negative decimal integers only: "-1", "3L" (Python 2), "1e3" are not NumPy shapes.
                if (cells[i].Length == 0 || !cells[i].All(char.IsAsciiDigit) || (cells[i].Length > 1 && cells[i][0] == '0')
                    || !long.TryParse(cells[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dims[i]))
                {
                    throw Bad($"shape {Shorten(_text[start.._at])}: dimension '{Shorten(cells[i])}' is not a non-negative 64-bit integer");
                }
            }

            return dims;
        }

        private bool Bool()
        {
            SkipSpace();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(_text, _at, word, 0, word.Length) == 0
                    && (_at + word.Length == _text.Length || !(char.IsAsciiLetterOrDigit(_text[_at + word.Length]) || _text[_at + word.Length] == '_')))
                {
                    _at += word.Length;
                    return value;
                }
            }

            throw Bad("fortran_order is not True or False");
        }

        private string String(string what)
        {
            SkipSpace();
            var quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Bad($"expected {what}");
            }

            var end = _text.IndexOf(quote, _at + 1);
            if (end < 0)
            {
                throw Bad("an unterminated string");
            }

            var value = _text[(_at + 1)..end];
            if (value.Contains('\\', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            {
                throw Bad($"a string with an escape or line break ('{Shorten(value)}'); NumPy writes none");
            }

            _at = end + 1;
            return value;
        }

        private void Expect(char c, string what)
        {
            SkipSpace();
            if (Peek() != c)
            {
                throw Bad($"expected {what} at character {_at}");
            }

            _at++;
        }

        private void SkipSpace()
        {
            while (_at < _text.Length && _text[_at] is ' ' or '\t' or '\n' or '\r')
            {
                _at++;
            }
        }

        private char Peek() => _at < _text.Length ? _text[_at] : '\0';

        private InvalidDataException Bad(string reason) =>
            new($"not a NumPy header ({reason}): {Shorten(_text.Trim())}");
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
