using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Configuration;

/// <summary>
/// Checks the raw settings under <c>GanServe</c> before they are bound, for what the binder would drop without a
/// word or crash on: keys that match no option (a misspelt <c>GanServe__Batching__MaxBtchSize</c>), one value
/// given where a list belongs (<c>GanServe__Security__ApiKeys=secret</c>, which would leave the server open),
/// list entries that are objects, null, or do not convert (<c>GanServe:Batching:Buckets:0=abc</c>).
/// </summary>
public static class RawSettings
{
    /// <summary>Binds <paramref name="options"/> from <paramref name="configuration"/>, or throws naming every bad key.</summary>
    public static void BindOrThrow(GanServeOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var failures = Problems(configuration);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GanServeOptions), failures);
        }

        configuration.GetSection(GanServeOptions.SectionName).Bind(options);
    }

    /// <summary>Every problem found in the raw settings, each naming its key; empty when there is none.</summary>
    public static List<string> Problems(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var failures = new List<string>();
        Section(configuration.GetSection(GanServeOptions.SectionName), typeof(GanServeOptions), failures);
        return failures;
    }

    private static void Section(IConfigurationSection section, Type options, List<string> failures)
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
            else if (property.PropertyType.IsArray)
            {
                List(child, property.PropertyType.GetElementType()!, failures);
            }
            else if (property.PropertyType.Namespace == typeof(GanServeOptions).Namespace && property.PropertyType.IsClass)
            {
                if (!string.IsNullOrEmpty(child.Value))
                {
                    failures.Add($"{child.Path} is a section, not a value ('{child.Value}'): set its keys ({child.Path}:...).");
                }

                Section(child, property.PropertyType, failures);
            }
        }
    }

    private static void List(IConfigurationSection list, Type element, List<string> failures)
    {
        if (!string.IsNullOrEmpty(list.Value))
        {
            var example = list.Path.Replace(":", "__", StringComparison.Ordinal) + "__0";
            failures.Add($"{list.Path} is a list: give its entries as {list.Path}:0, {list.Path}:1, ... ({example}=...), not one value ('{list.Value}').");
        }

        foreach (var entry in list.GetChildren())
        {
            if (entry.GetChildren().Any())
            {
                failures.Add($"{entry.Path} must be a single value, not a nested object or list.");
            }
            else if (entry.Value is not { } text)
            {
                failures.Add($"{entry.Path} must not be null.");
            }
            else if (element == typeof(int) && !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                failures.Add($"{entry.Path} ('{text}') must be a whole number.");
            }
        }
    }
}
