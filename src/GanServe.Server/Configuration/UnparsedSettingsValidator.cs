using System.Globalization;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Configuration;

/// <summary>
/// Checks the raw text of settings the binder would drop without a word: it skips list entries it cannot
/// convert (<c>GanServe:Batching:Buckets:0=abc</c>) and ignores a single value given where a list belongs.
/// </summary>
public sealed class UnparsedSettingsValidator(IConfiguration configuration) : IValidateOptions<GanServeOptions>
{
    private const string BucketsKey = "GanServe:Batching:Buckets";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GanServeOptions options)
    {
        var failures = new List<string>();
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
}
