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

    /// <summary>The address as a URI.</summary>
    public Uri BaseAddress => new(Url.EndsWith('/') ? Url : Url + "/");

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? ValidationResult.Success()
            : ValidationResult.Error($"--url '{Url}' is not an http(s) address.");
}
