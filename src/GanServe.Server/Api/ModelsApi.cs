using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;

namespace GanServe.Server.Api;

/// <summary><c>/v1/models</c>: the generators served, one model's detail and card, and its assets.</summary>
public static class ModelsApi
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Maps the model routes.</summary>
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/models").WithTags("Models");
        group.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("Every generator served, with its default version and readiness.");
        var model = group.MapGroup("/{model}").AddModelRequestMetrics();
        model.MapGet("/", GetModel)
            .WithName("GetModel")
            .WithSummary("One model: summary fields, versions, the model card and its asset URLs.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        model.MapGet("/assets/{file}", GetAsset)
            .WithName("GetModelAsset")
            .WithSummary("A file the model card lists as an asset (e.g. sample-grid.png).")
            .WithMetadata(new ImageResponseMetadata("image/png", "application/octet-stream"))
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <summary>Lists the generators.</summary>
    public static Ok<ModelList> ListModels(ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return TypedResults.Ok(new ModelList([.. catalog.Models.Values.Select(Summarise)]));
    }

    /// <summary>One model's detail.</summary>
    public static Results<Ok<ModelDetail>, ProblemHttpResult> GetModel(string model, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!catalog.TryGet(model, out var served))
        {
            return Problems.NotFound($"There is no model named '{model}'.");
        }

        var summary = Summarise(served);
        var versions = served.Versions.Values
            .Select(v => new ModelVersionSummary(v.VersionText, v.IsReady, v.Provider, v.Sha256, v.NotReadyReason))
            .ToList();
        var assets = served.Assets.Keys
            .Order(StringComparer.Ordinal)
            .Select(name => new AssetLink(name, $"/v1/models/{served.Name}/assets/{Uri.EscapeDataString(name)}"))
            .ToList();
        return TypedResults.Ok(new ModelDetail(
            summary.Name,
            summary.Version,
            summary.LatentDim,
            summary.Width,
            summary.Height,
            summary.Channels,
            summary.Ready,
            summary.Provider,
            summary.Reason,
            summary.Warning,
            versions,
            assets,
            served.CardJson));
    }

    /// <summary>An asset the card lists; the file name is matched against that list, never used as a path.</summary>
    public static Results<PhysicalFileHttpResult, ProblemHttpResult> GetAsset(string model, string file, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!catalog.TryGet(model, out var served))
        {
            return Problems.NotFound($"There is no model named '{model}'.");
        }

        if (!served.Assets.TryGetValue(file, out var path))
        {
            return Problems.NotFound($"Model '{model}' has no asset named '{file}'.");
        }

        var contentType = ContentTypes.TryGetContentType(path, out var type) ? type : "application/octet-stream";
        return TypedResults.PhysicalFile(path, contentType, enableRangeProcessing: false);
    }

    private static ModelSummary Summarise(ServedModel model)
    {
        var instance = model.Default;
        var generator = instance?.Generator;
        var card = model.Card;
        return new ModelSummary(
            model.Name,
            instance?.VersionText,
            generator?.LatentDim ?? card?.LatentDim,
            generator?.Shape.Width ?? card?.Width,
            generator?.Shape.Height ?? card?.Height,
            generator?.Shape.Channels ?? card?.Channels,
            model.IsReady,
            instance?.Provider,
            model.NotReadyReason,
            instance?.ProviderWarning);
    }
}
