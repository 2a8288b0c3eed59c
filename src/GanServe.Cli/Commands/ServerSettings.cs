using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class ServerSettings : CommandSettings
{
    /// <summary>The server's address.</summary>
    [CommandOption("--url <URL>")]
    [Description("The server (default http://localhost:8080).")]
    [DefaultValue("http://localhost:8080")]
    public string Url { get; init; } = "http://localhost:8080";

    /// <summary>An API key, when the server needs one.</summary>
    [CommandOption("--api-key <KEY>")]
    [Description("Sent as X-Api-Key.")]
    public string? ApiKey { get; init; }

    /// <summary>How long one command may wait for the server, retries included.</summary>
    [CommandOption("--timeout <SECONDS>")]
    [Description("Give up after this many seconds, retries included (default 60).")]
    [DefaultValue(60)]
    public int TimeoutSeconds { get; init; } = 60;

    /// <summary>The address as a URI.</summary>
    public Uri BaseAddress => new(Url.EndsWith('/') ? Url : Url + "/");

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (TimeoutSeconds is < 1 or > 3600)
        {
            return ValidationResult.Error($"--timeout must be between 1 and 3600 seconds, got {TimeoutSeconds}.");
        }

        return Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? ValidationResult.Success()
            : ValidationResult.Error($"--url '{Url}' is not an http(s) address.");
    }
}
