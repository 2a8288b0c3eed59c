using System.Text.RegularExpressions;

namespace GanServe.Training.Export;

/// <summary>The model-name rule shared with the server: <c>^[a-z0-9][a-z0-9-]{0,62}$</c>.</summary>
public static partial class ModelNames
{
    /// <summary>True when <paramref name="name"/> is a valid model name.</summary>
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
