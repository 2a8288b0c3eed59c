using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Configuration;

/// <summary>
/// Checks the raw settings the binder would drop without a word: keys under <c>GanServe</c> that match no option
/// (a misspelt <c>GanServe__Batching__MaxBtchSize</c>), list entries it cannot convert
/// (<c>GanServe:Batching:Buckets:0=abc</c>) and a single value given where a list belongs.
/// </summary>
public sealed class UnparsedSettingsValidator(IConfiguration configuration) : IValidateOptions<GanServeOptions>
{
    private const string BucketsKey = "GanServe:Batching:Buckets";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GanServeOptions options)
    {
        var failures = new List<string>();
        Unknown(configuration.GetSection(GanServeOptions.SectionName), typeof(GanServeOptions), failures);
        var buckets = configuration.GetSection(BucketsKey);
        if (!string.IsNullOrWhiteSpace(buckets.Value))
        {
            failures.Add($"{BucketsKey} is a list: give its entries as {BucketsKey}:0, {BucketsKey}:1, ... (GanServe__Batching__Buckets__0=8), not one value ('{buckets.Value}').");
        }

        foreach (var entry in buckets.GetChildren())
        {
            if (entry.Value is { } text && !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                failures.Add($"{entry.Path} ('{text}') must be a whole number.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Unknown(IConfigurationSection section, Type options, List<string> failures)
    {
        var properties = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                failures.Add($"{child.Path} is not a setting ({section.Path} has {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}).");
            }
            else if (property.PropertyType.Namespace == typeof(GanServeOptions).Namespace && property.PropertyType.IsClass)
            {
                Unknown(child, property.PropertyType, failures);
            }
        }
    }
}
