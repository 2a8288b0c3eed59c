using System.ComponentModel;
using System.Globalization;
using GanServe.Cli.Hosting;
using GanServe.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli.Commands;

/// <summary>Options of <c>ganserve generate</c>.</summary>
public sealed class GenerateSettings : ServerSettings
{
    /// <summary>The model; the only one served when omitted.</summary>
    [CommandOption("-m|--model <NAME>")]
    [Description("The model (default: the server's only model).")]
    public string? Model { get; init; }

    /// <summary>Seeds in <c>a-b,c</c> form.</summary>
    [CommandOption("-s|--seeds <SEEDS>")]
    [Description("Seeds such as 0-15,42 (ranges include both ends).")]
    public string? Seeds { get; init; }

    /// <summary>Truncation psi.</summary>
    [CommandOption("-t|--truncation <PSI>")]
    [Description("Truncation psi, 0 < psi <= 1 (default 1).")]
    public double? Truncation { get; init; }

    /// <summary>png, jpeg or webp.</summary>
    [CommandOption("-f|--format <FORMAT>")]
    [Description("png (default), jpeg or webp.")]
    public string Format { get; init; } = "png";

    /// <summary>One grid image instead of one file per seed.</summary>
    [CommandOption("--grid")]
    [Description("Write one grid image (samples row-major) to --out.")]
    public bool Grid { get; init; }

    /// <summary>Grid columns.</summary>
    [CommandOption("--columns <N>")]
    [Description("Grid columns (default ceil(sqrt(n))).")]
    public int? Columns { get; init; }

    /// <summary>Upscale factor.</summary>
    [CommandOption("--scale <N>")]
    [Description("Nearest-neighbour upscale.")]
    public int? Scale { get; init; }

    /// <summary>Folder (one file per seed) or file (grid).</summary>
    [CommandOption("-o|--out <PATH>")]
    [Description("A folder for seedNNNN files, or the grid's file with --grid.")]
    public string? Out { get; init; }

    /// <summary>Seeds per request.</summary>
    [CommandOption("--batch <N>")]
    [Description("Seeds per request (default 16; at most the server's MaxImagesPerRequest).")]
    [DefaultValue(16)]
    public int Batch { get; init; } = 16;

    /// <summary>The parsed seeds (after validation).</summary>
    public IReadOnlyList<uint> SeedList { get; private set; } = [];

    /// <summary>The parsed format (after validation).</summary>
    public ImageFormat ImageFormat { get; private set; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var server = base.Validate();
        if (!server.Successful)
        {
            return server;
        }

        if (!SeedRanges.TryParse(Seeds, out var seeds, out var error))
        {
            return ValidationResult.Error(Seeds is null ? "--seeds is required, e.g. --seeds 0-15,42." : error!);
        }

        if (string.IsNullOrWhiteSpace(Out))
        {
            return ValidationResult.Error("--out is required: a folder, or a file with --grid.");
        }

        if (!Enum.TryParse<ImageFormat>(Format, ignoreCase: true, out var format) || !Enum.IsDefined(format) || char.IsDigit(Format[0]))
        {
            return Format.Equals("jpg", StringComparison.OrdinalIgnoreCase)
                ? Accept(seeds, ImageFormat.Jpeg)
                : ValidationResult.Error($"--format '{Format}' is not known; use png, jpeg or webp.");
        }

        if (Truncation is { } psi && !(psi > 0 && psi <= 1))
        {
            return ValidationResult.Error($"--truncation must be greater than 0 and at most 1, got {psi.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (Batch < 1)
        {
            return ValidationResult.Error("--batch must be at least 1.");
        }

        return Accept(seeds, format);
    }

    private ValidationResult Accept(IReadOnlyList<uint> seeds, ImageFormat format)
    {
        SeedList = seeds;
        ImageFormat = format;
        return ValidationResult.Success();
    }
}

/// <summary><c>ganserve generate</c>: one file per seed into a folder, or one grid into a file.</summary>
public sealed class GenerateCommand(ClientFactory clients, IAnsiConsole console) : AsyncCommand<GenerateSettings>
{
    /// <summary>Jobs with more seeds than this show a progress bar.</summary>
    public const int ProgressThreshold = 16;

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, GenerateSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var scope = clients.Create(settings);
        var client = scope.Client;
        var model = settings.Model ?? await OnlyModelAsync(client, cancellationToken).ConfigureAwait(false);
        if (model is null)
        {
            return ExitCodes.Usage;
        }

        var extension = settings.ImageFormat switch { ImageFormat.Jpeg => "jpg", ImageFormat.Webp => "webp", _ => "png" };
        var seeds = settings.SeedList;
        if (settings.Grid)
        {
            var path = Directory.Exists(settings.Out) || settings.Out!.EndsWith('/') ? Path.Combine(settings.Out!, "grid." + extension) : settings.Out!;
            var result = await client.GenerateAsync(model, Request(settings, seeds) with { Grid = true, Columns = settings.Columns }, cancellationToken).ConfigureAwait(false);
            await WriteAsync(path, result.Images[0].Data, cancellationToken).ConfigureAwait(false);
            console.MarkupLineInterpolated($"Wrote a grid of {seeds.Count} images from {model} v{result.Version} to {path}");
            return ExitCodes.Success;
        }

        Directory.CreateDirectory(settings.Out!);
        var chunks = seeds.Chunk(settings.Batch).ToList();
        async Task RunAsync(Action<int> advance)
        {
            foreach (var chunk in chunks)
            {
                var result = await client.GenerateAsync(model, Request(settings, chunk), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var name = $"seed{chunk[i].ToString("D4", CultureInfo.InvariantCulture)}.{extension}";
                    await WriteAsync(Path.Combine(settings.Out!, name), result.Images[i].Data, cancellationToken).ConfigureAwait(false);
                }

                advance(chunk.Length);
            }
        }

        if (seeds.Count > ProgressThreshold)
        {
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"{model}: {seeds.Count} images", maxValue: seeds.Count);
                    await RunAsync(n => task.Increment(n)).ConfigureAwait(false);
                })
                .ConfigureAwait(false);
        }
        else
        {
            await RunAsync(_ => { }).ConfigureAwait(false);
        }

        console.MarkupLineInterpolated($"Wrote {seeds.Count} images from {model} to {settings.Out}");
        return ExitCodes.Success;
    }

    private static GenerateRequest Request(GenerateSettings settings, IReadOnlyList<uint> seeds) => new()
    {
        Seeds = seeds,
        Truncation = settings.Truncation,
        Format = settings.ImageFormat,
        Scale = settings.Scale,
    };

    private async Task<string?> OnlyModelAsync(GanServeClient client, CancellationToken cancellationToken)
    {
        var models = await client.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        if (models.Count == 1)
        {
            return models[0].Name;
        }

        console.MarkupLineInterpolated($"[red]error:[/] the server serves {models.Count} models ({string.Join(", ", models.Select(m => m.Name))}); choose one with --model.");
        return null;
    }

    private static async Task WriteAsync(string path, byte[] data, CancellationToken cancellationToken)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllBytesAsync(path, data, cancellationToken).ConfigureAwait(false);
    }
}
