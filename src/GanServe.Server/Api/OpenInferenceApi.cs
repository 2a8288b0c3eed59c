using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using GanServe.Server.Configuration;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Api;

/// <summary>The protocol's error body, <c>{"error": "..."}</c>.</summary>
/// <param name="Error">What went wrong.</param>
public sealed record InferenceError(string Error);

/// <summary><c>GET /v2</c>: server metadata.</summary>
/// <param name="Name">The server's name.</param>
/// <param name="Version">The server's version.</param>
/// <param name="Extensions">Protocol extensions supported (none).</param>
public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

/// <summary><c>GET /v2/health/live</c>.</summary>
/// <param name="Live">Whether the server answers.</param>
public sealed record ServerLive(bool Live);

/// <summary><c>GET /v2/health/ready</c>.</summary>
/// <param name="Ready">Whether every model is ready.</param>
public sealed record ServerReady(bool Ready);

/// <summary><c>GET /v2/models/{model}/ready</c>.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Ready">Whether it serves.</param>
public sealed record ModelReady(string Name, bool Ready);

/// <summary>A tensor's description in model metadata.</summary>
/// <param name="Name">The graph's tensor name.</param>
/// <param name="Datatype">Always FP32.</param>
/// <param name="Shape">Dimensions; -1 for the batch axis.</param>
public sealed record TensorMetadata(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary><c>GET /v2/models/{model}</c>: model metadata.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Versions">Every version served.</param>
/// <param name="Platform">onnxruntime_onnx.</param>
/// <param name="Inputs">The latent input.</param>
/// <param name="Outputs">The image output.</param>
public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<TensorMetadata> Inputs, IReadOnlyList<TensorMetadata> Outputs);

/// <summary>One output tensor of an inference response.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Datatype">FP32.</param>
/// <param name="Shape">[N, C, H, W].</param>
/// <param name="Data">The raw generator values, row-major.</param>
public sealed record InferenceOutput(string Name, string Datatype, IReadOnlyList<long> Shape, float[] Data);

/// <summary>The answer of <c>POST /v2/models/{model}/infer</c>.</summary>
/// <param name="ModelName">The model's name.</param>
/// <param name="ModelVersion">The version that ran.</param>
/// <param name="Id">The request's id (its own, or the server's request id when it gave none).</param>
/// <param name="Outputs">The output tensors.</param>
public sealed record InferenceResponse(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("outputs")] IReadOnlyList<InferenceOutput> Outputs);

/// <summary>
/// The Open Inference Protocol (KServe v2) REST routes over the same catalog, batcher, limits and validation as v1.
/// JSON tensors only: the binary tensor data extension, the model repository extension and gRPC are not served.
/// </summary>
public static class OpenInferenceApi
{
    /// <summary>The only datatype the generators take and give.</summary>
    public const string Fp32 = "FP32";

    /// <summary>The protocol's platform name for ONNX Runtime.</summary>
    public const string Platform = "onnxruntime_onnx";

    private static readonly string ServerVersion =
        typeof(OpenInferenceApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>Maps the <c>/v2</c> routes.</summary>
    public static IEndpointRouteBuilder MapOpenInferenceApi(this IEndpointRouteBuilder endpoints)
    {
        var v2 = endpoints.MapGroup("/v2").WithTags("Open Inference Protocol");
        v2.MapGet("/", GetServerMetadata).WithName("V2ServerMetadata").WithSummary("Server metadata.");
        v2.MapGet("/health/live", Live).WithName("V2ServerLive").WithSummary("200 while the process runs.");
        v2.MapGet("/health/ready", Ready).WithName("V2ServerReady").WithSummary("200 when every model is ready, else 503.");

        var model = v2.MapGroup("/models/{model}").AddModelRequestMetrics();
        model.MapGet("/", (string model, ModelCatalog catalog) => GetModelMetadata(model, null, catalog))
            .WithName("V2ModelMetadata").WithSummary("Model metadata: versions, platform, input and output tensors.");
        model.MapGet("/versions/{version}", GetModelMetadata)
            .WithName("V2ModelVersionMetadata").WithSummary("Metadata of one model version.");
        model.MapGet("/ready", (string model, ModelCatalog catalog) => GetModelReady(model, null, catalog))
            .WithName("V2ModelReady").WithSummary("200 when the model is ready, else 503.");
        model.MapGet("/versions/{version}/ready", GetModelReady)
            .WithName("V2ModelVersionReady").WithSummary("200 when the version is ready, else 503.");
        model.MapPost("/infer", (string model, HttpContext context, ModelCatalog catalog, IOptions<GanServeOptions> options) =>
                Infer(model, null, context, catalog, options))
            .WithName("V2Infer").WithSummary("Runs latents (FP32 [N, latentDim]) through the generator; answers the raw FP32 images.");
        model.MapPost("/versions/{version}/infer", Infer)
            .WithName("V2VersionInfer").WithSummary("Inference on one model version.");
        return endpoints;
    }

    /// <summary>Server metadata.</summary>
    public static Ok<ServerMetadata> GetServerMetadata() => TypedResults.Ok(new ServerMetadata("ganserve", ServerVersion, []));

    /// <summary>Server liveness.</summary>
    public static Ok<ServerLive> Live() => TypedResults.Ok(new ServerLive(true));

    /// <summary>Server readiness: every model ready and not draining, as <c>/readyz</c>.</summary>
    public static Results<Ok<ServerReady>, JsonHttpResult<ServerReady>> Ready(ModelCatalog catalog, ServingState serving)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(serving);
        var ready = !serving.IsDraining && catalog.Models.Count > 0 && catalog.Models.Values.All(m => m.IsReady);
        return ready
            ? TypedResults.Ok(new ServerReady(true))
            : TypedResults.Json(new ServerReady(false), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Model (or version) metadata.</summary>
    public static Results<Ok<ModelMetadata>, JsonHttpResult<InferenceError>> GetModelMetadata(string model, string? version, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (Find(model, version, catalog, out var served, out var instance) is { } missing)
        {
            return missing;
        }

        var generator = instance.Generator;
        var card = served.Card;
        long latentDim = generator?.LatentDim ?? card?.LatentDim ?? -1;
        var shape = generator?.Shape;
        long channels = shape?.Channels ?? card?.Channels ?? -1, height = shape?.Height ?? card?.Height ?? -1, width = shape?.Width ?? card?.Width ?? -1;
        var versions = version is null ? served.Versions.Values.Select(v => v.VersionText).ToList() : [instance.VersionText];
        return TypedResults.Ok(new ModelMetadata(
            served.Name,
            versions,
            Platform,
            [new TensorMetadata(InputName(served), Fp32, [-1, latentDim])],
            [new TensorMetadata(OutputName(served), Fp32, [-1, channels, height, width])]));
    }

    /// <summary>Model (or version) readiness.</summary>
    public static Results<Ok<ModelReady>, JsonHttpResult<ModelReady>, JsonHttpResult<InferenceError>> GetModelReady(string model, string? version, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (Find(model, version, catalog, out var served, out var instance) is { } missing)
        {
            return missing;
        }

        var ready = version is null ? served.IsReady : instance.IsReady;
        return ready
            ? TypedResults.Ok(new ModelReady(served.Name, true))
            : TypedResults.Json(new ModelReady(served.Name, false), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Inference with JSON tensors, through the model's batcher.</summary>
    public static async Task<Results<Ok<InferenceResponse>, JsonHttpResult<InferenceError>>> Infer(
        string model, string? version, HttpContext context, ModelCatalog catalog, IOptions<GanServeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var limits = options.Value.Requests;
        if (Find(model, version, catalog, out var served, out var instance) is { } missing)
        {
            return missing;
        }

        if (context.Request.Headers.ContainsKey("Inference-Header-Content-Length"))
        {
            return Error(StatusCodes.Status400BadRequest, "The binary tensor data extension is not supported; send the JSON tensor form.");
        }

        // v1's reader: the same limit, 413 and client-reset handling, answered in the protocol's error form.
        var (pooled, bodyProblem) = await GenerationApi.ReadBodyAsync(context.Request, limits.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return Error(bodyProblem.StatusCode, bodyProblem.ProblemDetails.Detail ?? "The body could not be read.");
        }

        using var body = pooled!.Value;

        if (instance.Generator is not { } generator)
        {
            // Not loaded: the latent size is unknown and the answer is 503 whatever the body says.
            return FromOutcome(await instance.SubmitAsync(ReadOnlyMemory<float>.Empty, 1, limits.DefaultTimeout, context.RequestAborted), context);
        }

        var inputName = InputName(served);
        var outputName = OutputName(served);
        var request = InferenceRequestParser.Parse(body.Span, inputName, outputName, generator.LatentDim, limits.MaxImagesPerRequest, out var error);
        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        if (!GenerationSupport.TryGetTimeout(context.Request, limits, out var timeout, out var timeoutError))
        {
            return Error(StatusCodes.Status400BadRequest, timeoutError!);
        }

        var outcome = await instance.SubmitAsync(request.Latents, request.Count, timeout, context.RequestAborted);
        if (!outcome.Succeeded)
        {
            return FromOutcome(outcome, context);
        }

        GenerationSupport.AddImageHeaders(context.Response, instance, outcome.BatchSizes);
        var imageShape = generator.Shape;
        // Latents near float32's limit (e.g. 1e38) overflow inside the network; JSON has no NaN or infinity.
        if (!GenerationSupport.AllFinite(outcome.Output!))
        {
            return Error(StatusCodes.Status400BadRequest, GenerationSupport.NonFiniteOutput);
        }

        var output = new InferenceOutput(outputName, Fp32, [request.Count, imageShape.Channels, imageShape.Height, imageShape.Width], outcome.Output!);
        return TypedResults.Ok(new InferenceResponse(served.Name, instance.VersionText, request.Id ?? context.TraceIdentifier, [output]));
    }

    /// <summary>The graph's input name as the loader picked it: the card's <c>inputName</c>, else the committed models' <c>z</c>.</summary>
    private static string InputName(ServedModel served) => served.Card?.InputName ?? "z";

    /// <summary>The graph's output name as the loader picked it: the card's <c>outputName</c>, else <c>image</c>.</summary>
    private static string OutputName(ServedModel served) => served.Card?.OutputName ?? "image";

    private static JsonHttpResult<InferenceError>? Find(string model, string? version, ModelCatalog catalog, out ServedModel served, out ModelInstance instance)
    {
        instance = null!;
        if (!catalog.TryGet(model, out served))
        {
            return Error(StatusCodes.Status404NotFound, $"There is no model named '{model}'.");
        }

        if (GenerationSupport.FindVersion(served, version) is not { } found)
        {
            return Error(StatusCodes.Status404NotFound, version is null
                ? $"Model '{model}' has no servable version."
                : $"Model '{model}' has no version '{version}'.");
        }

        instance = found;
        return null;
    }

    /// <summary>v1's mapping of failures to statuses (and its Retry-After), with the protocol's error body.</summary>
    private static JsonHttpResult<InferenceError> FromOutcome(Batching.GenerationOutcome outcome, HttpContext context)
    {
        var problem = Problems.FromOutcome(outcome, context);
        return Error(problem.StatusCode, problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "The request failed.");
    }

    private static JsonHttpResult<InferenceError> Error(int status, string message) =>
        TypedResults.Json(new InferenceError(message), statusCode: status);
}

/// <summary>A validated v2 inference request: the latents of its one input and its id.</summary>
/// <param name="Latents">Count × latent size values.</param>
/// <param name="Count">The batch size N.</param>
/// <param name="Id">The request's id, if it gave one.</param>
public sealed record ParsedInferenceRequest(float[] Latents, int Count, string? Id);

/// <summary>
/// Parses the protocol's JSON inference request: one FP32 input of shape [N, latentDim] with its data flat or nested
/// (row-major), optional <c>id</c>, <c>parameters</c> and requested <c>outputs</c>. Every mistake is an error message.
/// </summary>
public static class InferenceRequestParser
{
    /// <summary>Parses <paramref name="json"/>; null with an error message when the request cannot be served.</summary>
    public static ParsedInferenceRequest? Parse(ReadOnlySpan<byte> json, string inputName, string outputName, int latentDim, int maxImages, out string? error)
    {
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..];
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                error = "The body is not valid JSON: there is more after the object.";
                return null;
            }
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }

        using (document)
        {
            try
            {
                return ParseRoot(document.RootElement, inputName, outputName, latentDim, maxImages, out error);
            }
            catch (InvalidOperationException ex)
            {
                // A string's text is decoded only when read: invalid UTF-8 or an escaped lone surrogate fail here.
                error = $"The body is not valid JSON text: {ex.Message}";
                return null;
            }
        }
    }

    private static ParsedInferenceRequest? ParseRoot(JsonElement root, string inputName, string outputName, int latentDim, int maxImages, out string? error)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The body must be a JSON object with \"inputs\".";
            return null;
        }

        string? id = null;
        if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            if (idElement.ValueKind != JsonValueKind.String)
            {
                error = "id must be a string.";
                return null;
            }

            id = idElement.GetString();
        }

        if (root.TryGetProperty("parameters", out var parameters) && (error = CheckParameters(parameters, "parameters")) is not null)
        {
            return null;
        }

        if (root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind != JsonValueKind.Null && (error = CheckOutputs(outputs, outputName)) is not null)
        {
            return null;
        }

        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            error = "inputs must be an array with one tensor.";
            return null;
        }

        if (inputs.GetArrayLength() != 1)
        {
            error = $"inputs must hold exactly one tensor ('{inputName}'), got {inputs.GetArrayLength()}.";
            return null;
        }

        var latents = ParseInput(inputs[0], inputName, latentDim, maxImages, out var count, out error);
        return latents is null ? null : new ParsedInferenceRequest(latents, count, id);
    }

    private static float[]? ParseInput(JsonElement input, string inputName, int latentDim, int maxImages, out int count, out string? error)
    {
        count = 0;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = "inputs[0] must be an object {name, shape, datatype, data}.";
            return null;
        }

        if (!input.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            error = "inputs[0].name must be a string.";
            return null;
        }

        if (name.GetString() != inputName)
        {
            error = $"inputs[0].name is '{name.GetString()}'; this model's input is '{inputName}'.";
            return null;
        }

        if (!input.TryGetProperty("datatype", out var datatype) || datatype.ValueKind != JsonValueKind.String)
        {
            error = $"inputs[0].datatype must be a string ({OpenInferenceApi.Fp32}).";
            return null;
        }

        if (datatype.GetString() != OpenInferenceApi.Fp32)
        {
            error = $"inputs[0].datatype is '{datatype.GetString()}'; '{inputName}' takes {OpenInferenceApi.Fp32}.";
            return null;
        }

        if (input.TryGetProperty("parameters", out var parameters) && (error = CheckParameters(parameters, "inputs[0].parameters")) is not null)
        {
            return null;
        }

        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            error = $"inputs[0].shape must be an array [N, {latentDim}].";
            return null;
        }

        var dims = new List<long>();
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
            {
                error = "inputs[0].shape must hold non-negative integers.";
                return null;
            }

            dims.Add(d);
        }

        if (dims.Count != 2 || dims[1] != latentDim)
        {
            error = $"inputs[0].shape is [{string.Join(", ", dims)}]; '{inputName}' takes [N, {latentDim}].";
            return null;
        }

        if (dims[0] < 1)
        {
            error = "inputs[0].shape asks for no images; N must be at least 1.";
            return null;
        }

        if (dims[0] > maxImages)
        {
            error = $"The request asks for {dims[0]} images, more than {maxImages} (GanServe:Requests:MaxImagesPerRequest).";
            return null;
        }

        if (!input.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            error = "inputs[0].data must be an array of numbers (flat or nested, row-major); the binary tensor data extension is not supported.";
            return null;
        }

        count = (int)dims[0];

        // Nested data must have the shape's structure: N rows of latentDim numbers. Flat data holds numbers only.
        var nested = data.GetArrayLength() > 0 && data[0].ValueKind == JsonValueKind.Array;
        if (nested)
        {
            var rows = 0;
            foreach (var row in data.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != latentDim)
                {
                    error = $"inputs[0].data[{rows}] must be an array of {latentDim} numbers to match shape [{count}, {latentDim}].";
                    return null;
                }

                rows++;
            }

            if (rows != count)
            {
                error = $"inputs[0].data has {rows} rows; shape [{count}, {latentDim}] needs {count}.";
                return null;
            }
        }

        var expected = count * latentDim;
        var values = new float[expected];
        var length = 0;
        if (!Flatten(data, values, ref length, depth: nested ? 0 : 1, out error))
        {
            return null;
        }

        if (length != expected)
        {
            error = $"inputs[0].data has {length} values; shape [{count}, {latentDim}] needs {expected}.";
            return null;
        }

        return values;
    }

    private static bool Flatten(JsonElement array, float[] values, ref int length, int depth, out string? error)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                if (depth >= 1)
                {
                    error = "inputs[0].data must be flat numbers or rows of numbers matching the shape, not a mix or deeper nesting.";
                    return false;
                }

                if (!Flatten(item, values, ref length, depth + 1, out error))
                {
                    return false;
                }

                continue;
            }

            if (item.ValueKind != JsonValueKind.Number)
            {
                error = $"inputs[0].data[{length}] must be a number, got {item.ValueKind.ToString().ToLowerInvariant()}.";
                return false;
            }

            // A float32 overflows sooner than a double (1e39); a value that rounds to float.MaxValue is fine.
            if (!item.TryGetDouble(out var value) || !float.IsFinite((float)value))
            {
                error = $"inputs[0].data[{length}] ({item.GetRawText()}) is not a finite float32 value.";
                return false;
            }

            if (length == values.Length)
            {
                error = $"inputs[0].data has more than the {values.Length} values its shape needs.";
                return false;
            }

            values[length++] = (float)value;
        }

        error = null;
        return true;
    }

    private static string? CheckOutputs(JsonElement outputs, string outputName)
    {
        if (outputs.ValueKind != JsonValueKind.Array)
        {
            return "outputs must be an array of {name}.";
        }

        foreach (var output in outputs.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return "outputs must hold objects with a string name.";
            }

            if (name.GetString() != outputName)
            {
                return $"outputs names '{name.GetString()}'; this model's only output is '{outputName}'.";
            }

            if (output.TryGetProperty("parameters", out var parameters) && CheckParameters(parameters, "outputs[].parameters") is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>Parameters are accepted and ignored, except those asking for the binary extension or classification.</summary>
    private static string? CheckParameters(JsonElement parameters, string where)
    {
        if (parameters.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return $"{where} must be an object.";
        }

        foreach (var parameter in parameters.EnumerateObject())
        {
            var asksBinary = parameter.Name is "binary_data" or "binary_data_output" && parameter.Value.ValueKind == JsonValueKind.True;
            if (asksBinary || parameter.Name == "binary_data_size")
            {
                return $"{where}.{parameter.Name}: the binary tensor data extension is not supported; use JSON tensors (binary_data=False in tritonclient).";
            }

            if (parameter.Name == "classification")
            {
                return $"{where}.classification: the classification extension is not supported.";
            }
        }

        return null;
    }
}
