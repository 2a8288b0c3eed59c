using System.Text.Json;
using GanServe.Core.Cards;

namespace GanServe.Server.Models;

/// <summary>One generator of the model repository: its card, assets and loaded versions.</summary>
public sealed class ServedModel
{
    internal ServedModel(string name, string directory, ModelCard? card, JsonElement? cardJson, IReadOnlyDictionary<string, string> assets, SortedDictionary<int, ModelInstance> versions, string? problem)
    {
        Name = name;
        Directory = directory;
        Card = card;
        CardJson = cardJson;
        Assets = assets;
        Versions = versions;
        Problem = problem;
        Default = versions.Count == 0 ? null : versions.Values.Last();
        Telemetry = Default?.Telemetry;
    }

    /// <summary>The model's name (its folder).</summary>
    public string Name { get; }

    /// <summary>The model's folder.</summary>
    public string Directory { get; }

    /// <summary>The card; null when it could not be read.</summary>
    public ModelCard? Card { get; }

    /// <summary>The card as written, for the detail endpoint.</summary>
    public JsonElement? CardJson { get; }

    /// <summary>Asset file names the card lists that exist, mapped to their full paths.</summary>
    public IReadOnlyDictionary<string, string> Assets { get; }

    /// <summary>Versions by number.</summary>
    public SortedDictionary<int, ModelInstance> Versions { get; }

    /// <summary>Why the model cannot be served at all (bad card, no versions); null otherwise.</summary>
    public string? Problem { get; }

    /// <summary>The highest version, served by default (the versions are fixed when the catalog is built).</summary>
    public ModelInstance? Default { get; }

    /// <summary>The telemetry all versions share; null without versions.</summary>
    internal Metrics.ModelTelemetry? Telemetry { get; }

    /// <summary>Every version is loaded, warmed up and has its circuit closed.</summary>
    public bool IsReady => Problem is null && Versions.Count != 0 && Versions.Values.All(v => v.IsReady);

    /// <summary>Why the model is not ready; null when it is.</summary>
    public string? NotReadyReason
    {
        get
        {
            if (Problem is not null)
            {
                return Problem;
            }

            var failing = Versions.Values.Where(v => !v.IsReady).ToList();
            return failing.Count switch
            {
                0 => null,
                _ when Versions.Count == 1 => failing[0].NotReadyReason,
                _ => string.Join("; ", failing.Select(v => $"version {v.Version}: {v.NotReadyReason}")),
            };
        }
    }
}
