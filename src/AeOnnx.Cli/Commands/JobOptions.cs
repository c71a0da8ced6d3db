using System.CommandLine;
using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Commands;

/// <summary>Options of resumable batch jobs: <c>--resume</c> and (encode) <c>--shard K/N</c>.</summary>
internal sealed class JobOptions
{
    private readonly bool _sharding;

    public JobOptions(bool sharding)
    {
        this._sharding = sharding;
        Shard.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (text is not null)
            {
                try
                {
                    ShardSpec.Parse(text);
                }
                catch (CliException e)
                {
                    result.AddError(e.Message);
                }
            }
        });
    }

    public Option<bool> Resume { get; } = new("--resume")
    {
        Description = "Continue an interrupted run of the same command (same inputs, model and options) from its journal",
    };

    public Option<string?> Shard { get; } = new("--shard")
    {
        Description = "Process only the K-th of N contiguous parts of the sorted inputs (1-based); join parts with 'aeonnx merge'",
        HelpName = "K/N",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Resume);
        if (_sharding)
        {
            command.Options.Add(Shard);
        }
    }

    public ShardSpec? GetShard(ParseResult parse) =>
        _sharding && parse.GetValue(Shard) is { } text ? ShardSpec.Parse(text) : null;
}
