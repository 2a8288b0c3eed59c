using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// Recognises the exceptions that a bad setting raises while the server starts, so the operator reads one line
/// naming the setting instead of an unhandled-exception stack trace. Anything else is left to crash loudly.
/// </summary>
public static partial class StartupFailure
{
    /// <summary>The process exit code for a configuration the server refuses (EX_CONFIG in sysexits.h).</summary>
    public const int ConfigurationExitCode = 78;

    /// <summary>The line to print for <paramref name="error"/>, or null when it is not a configuration error.</summary>
    public static string? Describe(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case OptionsValidationException invalid:
                    return Line(string.Join(" ", invalid.Failures.Select(EndWithStop)));
                case InvalidOperationException bind when UnconvertibleValue().Match(bind.Message) is { Success: true } match:
                    return Line($"{match.Groups["key"].Value} ('{match.Groups["value"].Value}') must be {Expected(match.Groups["type"].Value)}.");
                case InvalidOperationException own when own.Message.StartsWith(GanServe.Server.Configuration.GanServeOptions.SectionName + ":", StringComparison.Ordinal):
                    return Line(own.Message);
                case InvalidOperationException https when https.Message.StartsWith("Unable to configure HTTPS endpoint", StringComparison.Ordinal):
                    return Line($"{FirstSentence(https.Message)} (the server itself speaks plain HTTP unless Kestrel is given a certificate; terminate TLS in front of it, or configure Kestrel:Certificates:Default).");
                case InvalidOperationException level when LogLevelValue().Match(level.Message) is { Success: true } bad
                    && level.StackTrace?.Contains("LoggerFilterConfigureOptions", StringComparison.Ordinal) == true:
                    return Line($"Logging:LogLevel ('{bad.Groups["value"].Value}') must be Trace, Debug, Information, Warning, Error, Critical or None.");
                case IOException listen when listen.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal):
                    return Line($"{listen.Message.TrimEnd('.')} (set the address with --urls or ASPNETCORE_URLS).");
                case FormatException or ArgumentException when IsFromKestrelAddressParsing(current):
                    return Line($"the listen address is not a valid URL: {current.Message} (set it with --urls or ASPNETCORE_URLS, e.g. http://0.0.0.0:8080).");
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    return Describe(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>Whether the server is the process's own entry point (not run inside a test host).</summary>
    public static bool IsThisProcess() => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    private static bool IsFromKestrelAddressParsing(Exception error) =>
        error.StackTrace?.Contains("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.AddressBinder", StringComparison.Ordinal) == true
        || error.StackTrace?.Contains("BindingAddress.Parse", StringComparison.Ordinal) == true;

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration such as 00:00:05 (hh:mm:ss)",
        _ when type.EndsWith(".ExecutionProviderChoice", StringComparison.Ordinal) => "Auto, Cuda or Cpu",
        _ => $"a value of type {type[(type.LastIndexOf('.') + 1)..]}",
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }

    private static string EndWithStop(string failure) => failure.EndsWith('.') ? failure : failure + ".";

    private static string Line(string reason) => $"GanServe did not start: {reason.ReplaceLineEndings(" ").Trim()}";

    [GeneratedRegex("^Configuration value '(?<value>.*)' is not supported\\.$", RegexOptions.Singleline)]
    private static partial Regex LogLevelValue();

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex UnconvertibleValue();
}
