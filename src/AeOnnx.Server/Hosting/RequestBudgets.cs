namespace AeOnnx.Server.Hosting;

/// <summary>The server-wide memory budgets requests reserve from (see <see cref="ServerOptions.BodyBufferBytes"/> and <see cref="ServerOptions.WorkingBytes"/>).</summary>
internal sealed class RequestBudgets(ServerOptions options, ServerMetrics metrics)
{
    public MemoryBudget Bodies { get; } = new(options.BodyBufferBytes, "request-body buffer", bytes => metrics.BudgetInUse.WithLabels("body").Set(bytes));

    public MemoryBudget Working { get; } = new(options.WorkingBytes, "working memory", bytes => metrics.BudgetInUse.WithLabels("working").Set(bytes));

    /// <summary>How often memory was handed back after a burst (<see cref="MemoryReturner"/>).</summary>
    public int Returns { get; set; }
}
