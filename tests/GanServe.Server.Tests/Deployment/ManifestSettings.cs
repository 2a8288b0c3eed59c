using GanServe.Server.Configuration;
using GanServe.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Tests.Deployment;

/// <summary>The ConfigMap's <c>GanServe__*</c> environment variables read the way the app reads them.</summary>
internal static class ManifestSettings
{
    public const string Prefix = GanServeOptions.SectionName + "__";

    /// <summary>The keys as the environment-variable configuration provider sees them (<c>__</c> becomes <c>:</c>).</summary>
    public static Dictionary<string, string?> AsConfiguration(IEnumerable<KeyValuePair<string, string>> environment) =>
        environment.ToDictionary(kv => kv.Key.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), kv => (string?)kv.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>Binds only these settings to <see cref="GanServeOptions"/>, failing on any key that names no option.</summary>
    public static GanServeOptions BindStrictly(IEnumerable<KeyValuePair<string, string>> environment)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AsConfiguration(environment)).Build();
        return configuration.GetSection(GanServeOptions.SectionName).Get<GanServeOptions>(o => o.ErrorOnUnknownConfiguration = true)
            ?? new GanServeOptions();
    }

    /// <summary>
    /// The options as the app's own registration (<see cref="GanServingExtensions.AddGanServing"/>: appsettings.json,
    /// data annotations, <see cref="GanServeOptionsValidator"/>) produces them with these settings on top; throws
    /// <see cref="OptionsValidationException"/> where the app would refuse to start.
    /// </summary>
    public static GanServeOptions ValidateAsTheAppDoes(IEnumerable<KeyValuePair<string, string>> environment)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(AsConfiguration(environment));
        builder.AddGanServing();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<GanServeOptions>>().Value;
    }
}
