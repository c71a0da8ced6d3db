namespace AeOnnx.ML.Internal;

/// <summary>
/// One model generation held for a unit of work that must not mix generations: a prediction (the pin
/// takes the binding's current generation when the row's position moves, so every column of a row is
/// computed by one model) or a cursor (one generation for its whole pass, so every row of a batch and
/// every batch agree). All AeOnnx rows and cursors of one bound pipeline share its pin; it is handed to
/// them while the pipeline builds them on the current thread (<see cref="Build"/>).
/// </summary>
internal sealed class ModelPin : IDisposable
{
    [ThreadStatic]
    private static ModelPin? _building;

    [ThreadStatic]
    private static List<ModelPin>? _created;

    private readonly Func<PinnedGeneration> _take;
    private readonly bool _forCursor;
    private readonly Lock _lock = new();
    private PinnedGeneration? _held;
    private long _position;

    public ModelPin(ModelSource source, Func<PinnedGeneration> take, bool forCursor)
    {
        Source = source;
        _take = take;
        _forCursor = forCursor;
        _created?.Add(this);
    }

    /// <summary>The source whose operations use this pin (others take their own lease).</summary>
    public ModelSource Source { get; }

    /// <summary>The pin of the bound pipeline whose rows or cursors are being built on this thread, if any.</summary>
    public static ModelPin? Building => _building;

    /// <summary>Hands <paramref name="pin"/> to the AeOnnx rows and cursors built on this thread until disposed.</summary>
    public static Scope Build(ModelPin pin) => new(pin);

    /// <summary>Collects the row pins created on this thread until disposed (a pool releases its engines' pins after each prediction).</summary>
    public static CollectScope Collect() => new();

    /// <summary>
    /// The generation for <paramref name="position"/>: the one already held for that position (or for
    /// the cursor's whole life), else the binding's current one, taken now.
    /// </summary>
    public PinnedGeneration Hold(long position)
    {
        lock (_lock)
        {
            if (_held is { } held && (_forCursor || position == _position))
            {
                return held;
            }

            var previous = _held;
            _held = _take();
            _position = position;
            previous?.Dispose();
            return _held;
        }
    }

    /// <summary>Lets the held generation go (the next call takes the current one).</summary>
    public void Release()
    {
        PinnedGeneration? held;
        lock (_lock)
        {
            held = _held;
            _held = null;
        }

        held?.Dispose();
    }

    public void Dispose() => Release();

    internal readonly struct Scope : IDisposable
    {
        private readonly ModelPin? _outer;

        public Scope(ModelPin pin)
        {
            _outer = _building;
            _building = pin;
        }

        public void Dispose() => _building = _outer;
    }

    internal sealed class CollectScope : IDisposable
    {
        private readonly List<ModelPin>? _outer;

        public CollectScope()
        {
            _outer = _created;
            _created = Pins;
        }

        public List<ModelPin> Pins { get; } = [];

        public void Dispose() => _created = _outer;
    }
}
