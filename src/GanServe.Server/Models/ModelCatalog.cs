using System.Text.Json;
using System.Text.RegularExpressions;
using GanServe.Core.Cards;
using GanServe.Server.Configuration;
using GanServe.Server.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Models;

/// <summary>
/// The generators of the model repository (<c>&lt;name&gt;/model.json</c> with <c>"kind": "generator"</c>),
/// read once at start. Names come from folder names that match the model-name rule; nothing a client sends
/// ever becomes a path: lookups match against what was found here.
/// </summary>
public sealed partial class ModelCatalog
{
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.Ordinal);

    /// <summary>Scans the repository named by <c>GanServe:ModelsPath</c>.</summary>
    public ModelCatalog(IOptions<GanServeOptions> options, GanServeMetrics metrics, ServingState serving, ILogger<ModelCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        RootPath = ModelsPathResolver.Resolve(options.Value.ModelsPath);
        if (!System.IO.Directory.Exists(RootPath))
        {
            LogNoRepository(logger, RootPath);
            return;
        }

        foreach (var directory in System.IO.Directory.EnumerateDirectories(RootPath).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(directory);
            var cardPath = Path.Combine(directory, "model.json");
            if (!IsValidName(name) || !File.Exists(cardPath))
            {
                continue;
            }

            var model = Read(name, directory, cardPath, metrics, serving, logger);
            if (model is not null)
            {
                _models[name] = model;
            }
        }

        LogFound(logger, _models.Count, RootPath);
    }

    /// <summary>The repository folder in use.</summary>
    public string RootPath { get; }

    /// <summary>The served models by name.</summary>
    public IReadOnlyDictionary<string, ServedModel> Models => _models;

    /// <summary>Every version of every model.</summary>
    public IEnumerable<ModelInstance> Instances => _models.Values.SelectMany(m => m.Versions.Values);

    /// <summary>Whether <paramref name="name"/> follows the model-name rule <c>^[a-z0-9][a-z0-9-]{0,62}$</c>.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Finds a model by name; false for unknown or malformed names.</summary>
    public bool TryGet(string? name, out ServedModel model)
    {
        model = null!;
        return IsValidName(name) && _models.TryGetValue(name!, out model!);
    }

    private static ServedModel? Read(string name, string directory, string cardPath, GanServeMetrics metrics, ServingState serving, ILogger logger)
    {
        ModelCard card;
        JsonElement cardJson;
        try
        {
            var bytes = File.ReadAllBytes(cardPath);
            card = JsonSerializer.Deserialize<ModelCard>(bytes, ModelCardJson.Options)
                ?? throw new InvalidDataException("the card is empty");
            cardJson = JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            // A broken card may be a generator's: list it as not ready rather than hide it.
            var reason = $"model card '{cardPath}' is not valid: {ex.Message}";
            LogBadCard(logger, cardPath, ex);
            return new ServedModel(name, directory, null, null, new Dictionary<string, string>(), [], reason);
        }

        if (!string.Equals(card.Kind, ModelCard.GeneratorKind, StringComparison.Ordinal))
        {
            LogSkipped(logger, name, card.Kind);
            return null;
        }

        var telemetry = metrics.For(name);
        var versions = new SortedDictionary<int, ModelInstance>();
        string? problem = null;
        foreach (var (key, info) in card.Versions)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 0)
            {
                problem = $"model card '{cardPath}' has a version key '{key}' that is not a number";
                continue;
            }

            var file = Path.GetFullPath(Path.Combine(directory, info.File ?? string.Empty));
            if (!file.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                problem = $"model card '{cardPath}' version {key} points outside the model folder";
                continue;
            }

            versions[version] = new ModelInstance(name, version, file, info.Sha256 ?? string.Empty, telemetry, serving);
        }

        if (versions.Count == 0)
        {
            problem ??= $"model card '{cardPath}' lists no versions";
        }

        var assets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var asset in card.Assets)
        {
            // Assets are plain file names beside the card; anything with a path in it is ignored.
            if (string.IsNullOrWhiteSpace(asset) || asset != Path.GetFileName(asset) || asset is "." or ".." || asset == "model.json")
            {
                continue;
            }

            var path = Path.Combine(directory, asset);
            if (File.Exists(path))
            {
                assets[asset] = path;
            }
        }

        return new ServedModel(name, directory, card, cardJson, assets, versions, problem);
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model repository {Path} does not exist; no models are served")]
    private static partial void LogNoRepository(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Found {Count} generator(s) in {Path}")]
    private static partial void LogFound(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model card {Path} cannot be read")]
    private static partial void LogBadCard(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipping {Model}: kind '{Kind}' is not served")]
    private static partial void LogSkipped(ILogger logger, string model, string kind);
}
