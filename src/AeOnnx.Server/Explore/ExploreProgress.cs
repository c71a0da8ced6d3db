namespace AeOnnx.Server.Explore;

/// <summary>The map being computed: its model generation (-1: none yet), images encoded of the total, and the last failure's reason.</summary>
internal sealed record ExploreProgress(int Generation, int Done, int Total, string? Failure);
