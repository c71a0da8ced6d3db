using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// Registers AeOnnx in an application's services: settings bound from configuration
/// (<see cref="AeOnnxOptions"/>), named models (<see cref="AeOnnxModels"/>), prediction engine pools
/// shaped like <c>Microsoft.Extensions.ML</c>'s, and a hosted service that loads every model at start
/// and watches those registered with watching on.
/// </summary>
public static class AeOnnxServiceCollectionExtensions
{
    /// <summary>
    /// Adds AeOnnx with settings bound from <paramref name="configuration"/>: the <c>"AeOnnx"</c> section of it
    /// when it has one (the application's root configuration), else the configuration itself (a section).
    /// Settings are checked when the host starts (<c>ValidateOnStart</c>): a bad device or batch size
    /// stops the start with an <see cref="OptionsValidationException"/> naming the key.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root or the AeOnnx section.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAeOnnx(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AeOnnxOptions.SectionName);
        AddAeOnnx(services);
        services.AddOptions<AeOnnxOptions>().Bind(section.Exists() ? section : configuration);
        return services;
    }

    /// <summary>Adds AeOnnx with settings given in code (and any bound elsewhere).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; null: the defaults.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAeOnnx(this IServiceCollection services, Action<AeOnnxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AeOnnxOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(AeOnnxModels)))
        {
            return services;
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<AeOnnxOptions>, FaultsValidator>();
        services.TryAddSingleton<AeOnnxModels>();
        services.AddSingleton<IModelWatchSource>(sp => sp.GetRequiredService<AeOnnxModels>());
        services.AddHostedService<ModelWatchService>();
        return services;
    }

    /// <summary>
    /// Adds a <see cref="PredictionEnginePool{TData, TPrediction}"/> (and AeOnnx, if not added yet), as
    /// <c>Microsoft.Extensions.ML</c>'s <c>AddPredictionEnginePool</c> does; add its models with
    /// <see cref="PredictionEnginePoolBuilder{TData, TPrediction}.FromFile(string, string, bool)"/>.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The output row type.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> AddPredictionEnginePool<TData, TPrediction>(this IServiceCollection services)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        AddAeOnnx(services);
        if (!services.Any(d => d.ServiceType == typeof(PredictionEnginePool<TData, TPrediction>)))
        {
            services.AddOptions<PoolModels<TData, TPrediction>>();
            services.AddSingleton(sp => new PredictionEnginePool<TData, TPrediction>(
                sp.GetRequiredService<IOptions<PoolModels<TData, TPrediction>>>().Value.Models,
                sp.GetRequiredService<IOptions<AeOnnxOptions>>().Value,
                sp.GetService<ILoggerFactory>()));
            services.AddSingleton<IModelWatchSource>(sp => sp.GetRequiredService<PredictionEnginePool<TData, TPrediction>>());
        }

        return new PredictionEnginePoolBuilder<TData, TPrediction>(services);
    }

    /// <summary>Names every fault of the settings in the validation failure, not only that there is one.</summary>
    private sealed class FaultsValidator : IValidateOptions<AeOnnxOptions>
    {
        public ValidateOptionsResult Validate(string? name, AeOnnxOptions options)
        {
            var faults = options.Faults().ToArray();
            return faults.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(faults);
        }
    }
}
