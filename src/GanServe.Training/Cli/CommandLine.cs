using System.Globalization;

namespace GanServe.Training.Cli;

/// <summary>
/// A small <c>--name value</c> / <c>--flag</c> parser. Unknown options are errors, so a typo
/// never silently trains with a default.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> name the options that take no value.</summary>
    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(flags);
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= list.Count)
                {
                    throw new UsageException($"Option --{name} needs a value.");
                }

                value = list[++i];
            }

            _values[name] = value;
        }
    }

    /// <summary>True when the flag was given.</summary>
    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    /// <summary>A text option.</summary>
    public string Text(string name, string fallback) => Raw(name) ?? fallback;

    /// <summary>An optional text option.</summary>
    public string? Text(string name) => Raw(name);

    /// <summary>An integer option.</summary>
    public int Int(string name, int fallback) => Raw(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : throw new UsageException($"--{name} expects an integer, got '{v}'.")
        : fallback;

    /// <summary>A number option.</summary>
    public double Double(string name, double fallback) => Raw(name) is { } v
        ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && double.IsFinite(r) ? r : throw new UsageException($"--{name} expects a number, got '{v}'.")
        : fallback;

    /// <summary>Fails on options that no command read.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }

    private string? Raw(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }
}

/// <summary>A command line that cannot be run; its message says why.</summary>
public sealed class UsageException(string message) : Exception(message);
