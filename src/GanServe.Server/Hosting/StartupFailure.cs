using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// Recognises the exceptions that a bad setting raises while the server starts, so the operator reads one line
/// naming the setting instead of an unhandled-exception stack trace. Anything else is left to crash loudly.
/// </summary>
public static class StartupFailure
{
    /// <summary>The process exit code for a configuration the server refuses (EX_CONFIG in sysexits.h).</summary>
    public const int ConfigurationExitCode = 78;

    private const string UnparsableValuePrefix = "Failed to convert configuration value";

    /// <summary>The line to print for <paramref name="error"/>, or null when it is not a configuration error.</summary>
    public static string? Describe(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case OptionsValidationException invalid:
                    return Line(string.Join("; ", invalid.Failures));
                case InvalidOperationException bind when bind.Message.StartsWith(UnparsableValuePrefix, StringComparison.Ordinal):
                    return Line(bind.Message);
                case InvalidOperationException own when own.Message.StartsWith(GanServe.Server.Configuration.GanServeOptions.SectionName + ":", StringComparison.Ordinal):
                    return Line(own.Message);
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    return Describe(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>Whether the server is the process's own entry point (not run inside a test host).</summary>
    public static bool IsThisProcess() => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    private static string Line(string reason) => $"GanServe did not start: {reason.ReplaceLineEndings(" ").Trim()}";
}
