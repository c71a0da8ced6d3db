namespace AeOnnx;

/// <summary>How much ONNX Runtime rewrites a graph before running it (its graph optimization levels).</summary>
public enum GraphOptimization
{
    /// <summary>No rewriting: the graph runs as exported.</summary>
    None,

    /// <summary>Semantics-preserving rewrites only: constant folding, redundant node removal.</summary>
    Basic,

    /// <summary>Basic plus node fusions for the chosen execution provider.</summary>
    Extended,

    /// <summary>Every rewrite, memory layout changes included (the default).</summary>
    All,
}
